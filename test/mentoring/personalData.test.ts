import { expect } from 'chai';
import { Types } from 'mongoose';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { MentoringRequestModel } from '../../models/MentoringRequest.ts';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { MentorshipMeetingModel } from '../../models/MentorshipMeeting.ts';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { mentoringPersonalData } from '../../server/services/mentoring/personalData.ts';
import { personalDataAreas } from '../../server/services/privacy/areas.ts';
import { logMeeting, recordOutcome, saveAgreement } from '../../server/services/mentoring/mentorships.ts';
import {
  acceptMentoringRequest,
  createMentoringRequest,
  declineMentoringRequest,
} from '../../server/services/mentoring/requests.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { useTestDatabase } from '../support/db.ts';
import type { TestUser } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';

const actor = (u: TestUser) => ({ id: u.id, roles: u.roles });

describe('mentoring: her personal data (export and erasure)', () => {
  useTestDatabase();

  async function pair() {
    const mentor = await buildMentor({ capacity: 1 });
    const mentee = await buildMentee();
    const r = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'My own words.' });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(r._id) });
    const heldAt = new Date(Date.now() - 3_600_000);
    await logMeeting({
      actor: actor(mentee),
      mentorshipId: String(m._id),
      heldAt,
      minutes: 30,
      sharedNotes: 'Her shared.',
      privateNotes: 'Her secret.',
    });
    await logMeeting({
      actor: actor(mentor),
      mentorshipId: String(m._id),
      heldAt,
      minutes: 30,
      sharedNotes: 'Mentor shared.',
      privateNotes: 'Mentor secret.',
    });
    await recordOutcome({ actor: actor(mentee), kind: 'interviewed', on: '2026-11-01', detail: 'Oakfield Primary.' });
    return { mentor, mentee, m };
  }

  it('is listed among the areas of personal data', () => {
    expect(personalDataAreas).to.include(mentoringPersonalData);
  });

  it('her export holds her profile, request message, mentorship with shared notes and only her own private notes, outcomes; never an email', async () => {
    const { mentor, mentee } = await pair();
    const data = JSON.stringify(await mentoringPersonalData.exportFor(new Types.ObjectId(mentee.id)));
    expect(data)
      .to.include('My own words.')
      .and.to.include('Her secret.')
      .and.to.include('Mentor shared.')
      .and.to.include('Oakfield Primary.');
    expect(data).to.include('"menteeProfile":{');
    expect(data).not.to.include('Mentor secret.');
    expect(data).not.to.include(mentor.email).and.not.to.include(mentee.email);
    const mentorData = JSON.stringify(await mentoringPersonalData.exportFor(new Types.ObjectId(mentor.id)));
    expect(mentorData)
      .to.include('Mentor secret.')
      .and.not.to.include('Her secret.')
      .and.not.to.include('My own words.');
  });

  it('erasing her keeps the mentorship row for her mentor, drops her notes and profile, frees the place, and is idempotent', async () => {
    const { mentor, mentee, m } = await pair();
    const id = new Types.ObjectId(mentee.id);
    await mentoringPersonalData.eraseFor(id);
    await mentoringPersonalData.eraseFor(id);
    const row = (await MentorshipModel.findById(m._id).lean())!;
    expect(row.status).to.equal('closed');
    expect(String(row.menteeId)).to.equal(mentee.id);
    expect(await MenteeProfileModel.countDocuments({ userId: id })).to.equal(0);
    const meetings = await MentorshipMeetingModel.find({ mentorshipId: m._id }).lean();
    expect(meetings).to.have.length(2);
    const hers = meetings.find((x) => String(x.authorId) === mentee.id)!;
    expect([hers.sharedNotes, hers.privateNotes]).to.deep.equal(['', '']);
    const theirs = meetings.find((x) => String(x.authorId) === mentor.id)!;
    expect(theirs.privateNotes).to.equal('Mentor secret.');
    expect((await MentoringRequestModel.findOne({ menteeId: id }).lean())!.message).to.equal('');
    // The place she held is free again, once.
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(1);
    const after = JSON.stringify(await mentoringPersonalData.exportFor(id));
    expect(after).not.to.include('Her secret.').and.not.to.include('Oakfield Primary.');
  });

  it('erasing a mentee empties the goals of her mentorships; erasing a mentor takes his reason for declining out of the mentee’s email', async () => {
    const { mentee, m } = await pair();
    await saveAgreement({
      actor: actor(mentee),
      mentorshipId: String(m._id),
      goals: ['Shortlisted for the Oakridge headship'],
      meetingFrequency: 'monthly',
      endsOn: '2027-11-30',
    });
    await mentoringPersonalData.eraseFor(new Types.ObjectId(mentee.id));
    expect((await MentorshipModel.findById(m._id).lean())!.agreement!.goals).to.deep.equal([]);

    const mentor = await buildMentor({ capacity: 2 });
    const asker = await buildMentee();
    const r = await createMentoringRequest({ actor: actor(asker), mentorId: mentor.id, message: 'Please.' });
    await declineMentoringRequest({
      actor: actor(mentor),
      requestId: String(r._id),
      reason: 'I mentor at Hillcrest Academy already',
    });
    await runDueNotifications({ now: new Date() });
    const toHer = () => OutboxMessageModel.find({ to: asker.email }).lean();
    expect(JSON.stringify(await toHer())).to.include('Hillcrest Academy');
    await mentoringPersonalData.eraseFor(new Types.ObjectId(mentor.id));
    const kept = JSON.stringify([await toHer(), await NotificationModel.find({ userId: asker.id }).lean()]);
    expect(kept).to.not.include('Hillcrest');
    expect(kept).to.include('removed when she left Pathways');
  });
});
