import { expect } from 'chai';
import { DateTime } from 'luxon';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { UserModel } from '../../models/User.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { acceptMentoringRequest, createMentoringRequest } from '../../server/services/mentoring/requests.ts';
import {
  closingFields,
  endMentorshipsPastTheirEnd,
  mentorshipMessages,
  saveAgreement,
  settleInterruptedCloses,
} from '../../server/services/mentoring/mentorships.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { ValidationError } from '../../server/errors.ts';
import '../../server/subscriptions.ts';
import { useTestDatabase } from '../support/db.ts';
import { type TestUser } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

const day = 86_400_000;
const actor = (u: TestUser) => ({ id: u.id, roles: u.roles });

describe('mentoring: a mentorship ends on its agreed end date', () => {
  useTestDatabase();
  const sink = useSmtpSink();
  const to = (u: TestUser, subject: RegExp) =>
    sink.received.filter((m) => m.to.includes(u.email) && subject.test(m.subject));

  it('once the end day is over for both members it is closed, the mentor’s place comes back once, and no rhythm reminder follows', async () => {
    // Mentor in Sydney (mornings), mentee in London (evenings): the end day is over in Sydney 10–11 hours earlier.
    const mentor = await buildMentor({ timezone: 'Australia/Sydney', capacity: 1 });
    await UserModel.updateOne({ _id: mentor.id }, { $set: { timezone: 'Australia/Sydney' } });
    await MentorProfileModel.updateOne(
      { userId: mentor.id },
      {
        $set: {
          availability: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => ({
            day: d,
            from: '05:00',
            to: '09:00',
          })),
        },
      },
    );
    const mentee = await buildMentee({ timezone: 'Europe/London' });
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(0);
    // Monthly rhythm (a reminder after 5 weeks without a meeting), ending in 20 days: the rhythm reminder would fall
    // after the end.
    const endsOn = DateTime.fromJSDate(t0, { zone: 'Europe/London' }).plus({ days: 20 }).toISODate()!;
    await saveAgreement({
      actor: actor(mentee),
      mentorshipId: String(m._id),
      goals: ['Interviews'],
      meetingFrequency: 'monthly',
      endsOn,
      now: t0,
    });

    const londonDayOver = DateTime.fromISO(endsOn, { zone: 'Europe/London' }).plus({ days: 1 }).toJSDate();
    const sydneyDayOver = DateTime.fromISO(endsOn, { zone: 'Australia/Sydney' }).plus({ days: 1 }).toJSDate();
    // Over in Sydney, still the end day in London: it goes on.
    expect(await endMentorshipsPastTheirEnd({ now: new Date(sydneyDayOver.getTime() + 1000) })).to.equal(0);
    expect(await endMentorshipsPastTheirEnd({ now: new Date(londonDayOver.getTime() - 1000) })).to.equal(0);
    expect((await MentorshipModel.findById(m._id).lean())!.status).to.equal('active');

    // Over for both: two sweeps at once (two processes) close it once and give the place back once.
    const after = new Date(londonDayOver.getTime() + 1000);
    const ended = await Promise.all([
      endMentorshipsPastTheirEnd({ now: after }),
      endMentorshipsPastTheirEnd({ now: after }),
    ]);
    expect(ended[0] + ended[1]).to.equal(1);
    expect(await endMentorshipsPastTheirEnd({ now: after })).to.equal(0);
    const closed = (await MentorshipModel.findById(m._id).lean())!;
    expect(closed.status).to.equal('closed');
    expect(closed.closeReason).to.match(/end date/i);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(1);

    // Weeks later nobody is told that no meeting was logged in a mentorship that has ended.
    await runDueNotifications({ now: new Date(t0.getTime() + 40 * day) });
    expect(to(mentor, /No mentoring meeting logged/)).to.have.length(0);
    expect(to(mentee, /No mentoring meeting logged/)).to.have.length(0);
  });

  it('a close whose process stopped right after the close is finished by the sweep: the place comes back once, the outcomes prompt is planned', async () => {
    const mentor = await buildMentor({ capacity: 1 });
    const mentee = await buildMentee();
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    const places = async () => (await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces;
    expect(await places()).to.equal(0);
    // The close's write landed; its process stopped before anything after it.
    await MentorshipModel.updateOne(
      { _id: m._id, status: 'active' },
      { $set: closingFields(m, t0, 'Closed by her mentee', mentee.id) },
    );
    const soon = new Date(t0.getTime() + 60_000);
    expect(await settleInterruptedCloses({ now: soon })).to.equal(0);
    const later = new Date(t0.getTime() + 10 * 60_000);
    // Two sweeps at once (two processes): the place comes back once.
    const settled = await Promise.all([
      settleInterruptedCloses({ now: later }),
      settleInterruptedCloses({ now: later }),
    ]);
    expect(settled[0] + settled[1]).to.be.within(1, 2);
    expect(await places()).to.equal(1);
    expect(await settleInterruptedCloses({ now: later })).to.equal(0);
    expect((await MentorshipModel.findById(m._id).lean())!.settling ?? null).to.equal(null);
    expect(
      await NotificationModel.countDocuments({
        key: `mentoring-outcomes-prompt:${String(m._id)}`,
        status: 'scheduled',
      }),
    ).to.equal(1);
    // Finished again (a sweep that read it before it settled): nothing more comes back.
    await MentorshipModel.updateOne({ _id: m._id }, { $set: { settling: true } });
    expect(await settleInterruptedCloses({ now: later })).to.equal(1);
    expect(await places()).to.equal(1);
  });

  it('a rhythm reminder that would fall after the agreed end is not sent, even before the end is swept', async () => {
    const mentor = await buildMentor();
    const mentee = await buildMentee();
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    const endsOn = DateTime.fromJSDate(t0, { zone: 'Europe/London' }).plus({ days: 20 }).toISODate()!;
    await saveAgreement({
      actor: actor(mentor),
      mentorshipId: String(m._id),
      goals: ['Applications'],
      meetingFrequency: 'monthly',
      endsOn,
      now: t0,
    });
    await runDueNotifications({ now: new Date(t0.getTime() + 36 * day) });
    expect(to(mentor, /No mentoring meeting logged/)).to.have.length(0);
    expect(to(mentee, /No mentoring meeting logged/)).to.have.length(0);
  });

  it('an end date already over is refused at the field (it would end the mentorship at once); today is accepted', async () => {
    const mentor = await buildMentor();
    const mentee = await buildMentee();
    const t0 = new Date('2027-03-01T10:00:00Z');
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    const later = new Date('2027-06-10T22:30:00Z'); // 11 June in Sydney, still 10 June in London (BST)
    const agreement = { mentorshipId: String(m._id), goals: ['Interviews'], meetingFrequency: 'monthly' as const };
    const sydney = { ...actor(mentor), timezone: 'Australia/Sydney' };
    const refused = await saveAgreement({ actor: sydney, ...agreement, endsOn: '2027-06-10', now: later }).catch(
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(ValidationError);
    expect((refused as ValidationError).errors).to.deep.equal([
      { path: 'endsOn', message: mentorshipMessages.endsOnBeforeToday },
    ]);
    expect((await MentorshipModel.findById(m._id).lean())!.agreement).to.equal(null);
    const london = { ...actor(mentee), timezone: 'Europe/London' };
    await saveAgreement({ actor: london, ...agreement, endsOn: '2027-06-10', now: later });
  });
});
