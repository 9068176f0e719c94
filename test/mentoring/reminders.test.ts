import { expect } from 'chai';
import { DateTime } from 'luxon';
import { MentoringRequestModel } from '../../models/MentoringRequest.ts';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { NotificationModel, type NotificationKind } from '../../models/Notification.ts';
import { UserModel } from '../../models/User.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import {
  acceptMentoringRequest,
  createMentoringRequest,
  declineMentoringRequest,
  expireRequests,
} from '../../server/services/mentoring/requests.ts';
import {
  closeMentorship,
  contactEndedReason,
  logMeeting,
  saveAgreement,
} from '../../server/services/mentoring/mentorships.ts';
import { blockPerson } from '../../server/services/directory/blocks.ts';
import { planMentorshipReminders } from '../../server/services/mentoring/reminders.ts';
import { updateOwnDetails } from '../../server/services/accounts/details.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { ConflictError, NotFoundError } from '../../server/errors.ts';
import '../../server/subscriptions.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, type TestUser } from '../support/factories.ts';
import { sendAssignedRequests } from '../../server/services/mentoring/assignmentSend.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

const day = 86_400_000;
const actor = (u: TestUser) => ({ id: u.id, roles: u.roles });

describe('mentoring: reminders through the pipeline, each sent once', () => {
  useTestDatabase();
  const sink = useSmtpSink();
  const to = (u: TestUser, subject: RegExp) =>
    sink.received.filter((m) => m.to.includes(u.email) && subject.test(m.subject));
  /** The job, twice over at the same instant (two processes, or a run repeated after a crash). */
  const runTwice = async (now: Date) => {
    await Promise.all([runDueNotifications({ now }), runDueNotifications({ now })]);
    await runDueNotifications({ now });
  };

  it('a new request reaches the mentor once, at 7 days she is reminded once, and at 14 days the mentee hears once that it expired', async () => {
    const mentor = await buildMentor();
    const mentee = await buildMentee({ name: 'Mina Expiring' });
    const t0 = new Date();
    const request = await createMentoringRequest({
      actor: actor(mentee),
      mentorId: mentor.id,
      message: 'Hello',
      now: t0,
    });
    await runTwice(new Date(t0.getTime() + 1000));
    expect(to(mentor, /Mina Expiring asks you to mentor her/)).to.have.length(1);
    await runTwice(new Date(t0.getTime() + 7 * day + 1000));
    expect(to(mentor, /still waiting for your answer/)).to.have.length(1);
    const expiry = new Date(t0.getTime() + 14 * day + 1000);
    await runTwice(expiry);
    expect(to(mentee, /has expired/)).to.have.length(1);
    expect((await MentoringRequestModel.findById(request._id).lean())!.status).to.equal('expired');
    expect(await expireRequests({ now: expiry })).to.equal(0);
    const email = to(mentee, /has expired/)[0]!;
    expect(email.headers['list-unsubscribe']).to.be.a('string');
  });

  it('a request the admin’s assignment sends on her behalf is told to the mentee once, at once, so a later answer or expiry is about a request she knows of; her own requests send her nothing', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const mentor = await buildMentor({ name: 'Ola Assigned' });
    const mentee = await buildMentee({ name: 'Pia Assigned' });
    const t0 = new Date();
    await sendAssignedRequests({ actor: actor(admin), items: [{ menteeId: mentee.id, mentorId: mentor.id }], now: t0 });
    await runTwice(new Date(t0.getTime() + 1000));
    const told = to(mentee, /asked Ola Assigned to mentor you/);
    expect(told).to.have.length(1);
    expect(told[0]!.raw).to.include('/mentoring/requests');
    // The mentor is told who asks: the programme team, for her (she wrote no message).
    expect(to(mentor, /The programme team asks you to mentor Pia Assigned/)).to.have.length(1);

    const herOwn = await buildMentor({ name: 'Quinn Chosen' });
    await createMentoringRequest({ actor: actor(mentee), mentorId: herOwn.id, message: 'Hello', now: t0 });
    await runTwice(new Date(t0.getTime() + 2000));
    expect(to(mentee, /to mentor you/)).to.have.length(1);
  });

  it('the assignment’s email to the mentor names only what the pair shares: the goals they have in common, or none when they share no goal', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [mentor, other] = [await buildMentor({ name: 'Rae Assigned' }), await buildMentor({ name: 'Sid Assigned' })];
    const [sharing, apart] = [await buildMentee({ name: 'Tia Sharing' }), await buildMentee({ name: 'Uma Apart' })];
    await MenteeProfileModel.updateOne({ userId: apart.id }, { goals: ['returning-after-a-break'] });
    const t0 = new Date();
    await sendAssignedRequests({
      actor: actor(admin),
      items: [
        { menteeId: sharing.id, mentorId: mentor.id },
        { menteeId: apart.id, mentorId: other.id },
      ],
      now: t0,
    });
    await runTwice(new Date(t0.getTime() + 1000));
    const body = (m: { raw: string }) => m.raw.replace(/=\r?\n/g, '').replace(/\s+/g, ' ');
    const toSharing = body(to(mentor, /asks you to mentor Tia Sharing/)[0]!);
    expect(toSharing).to.include('you share 1 goal (interviews), 15 hours a week of free time,');
    const toApart = body(to(other, /asks you to mentor Uma Apart/)[0]!);
    expect(toApart).to.include('you share 15 hours a week of free time').and.not.to.match(/goal/i);
  });

  it('an accepted request is neither reminded nor expired: the mentee hears once, at once, that it was accepted', async () => {
    const mentor = await buildMentor({ name: 'Ada Accepting' });
    const mentee = await buildMentee();
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    await runTwice(new Date(t0.getTime() + 1000));
    const told = to(mentee, /Ada Accepting accepted your mentoring request/);
    expect(told).to.have.length(1);
    expect(told[0]!.raw).to.include(`/mentorships/${String(m._id)}`);
    await runTwice(new Date(t0.getTime() + 15 * day));
    expect(sink.received.filter((e) => e.to.includes(mentor.email) || e.to.includes(mentee.email))).to.have.length(1);
  });

  it('a declined request: the mentee hears once, at once, with the reason and a link to her other suggested mentors', async () => {
    const mentor = await buildMentor({ name: 'Dee Declining' });
    const mentee = await buildMentee();
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    await declineMentoringRequest({
      actor: actor(mentor),
      requestId: String(request._id),
      reason: 'My places are promised until September.',
      now: t0,
    });
    await runTwice(new Date(t0.getTime() + 1000));
    const told = to(mentee, /Dee Declining declined your mentoring request/);
    expect(told).to.have.length(1);
    expect(told[0]!.raw).to.include('My places are promised until September.');
    expect(told[0]!.raw).to.include('/mentoring/suggestions');
    await runTwice(new Date(t0.getTime() + 15 * day));
    expect(to(mentee, /declined|expired/)).to.have.length(1);
    // Answered before the job ran: the mentor is not emailed a request she has already declined.
    expect(to(mentor, /./)).to.have.length(0);
  });

  it('a mentor who turned request emails off gets none, and the others still go', async () => {
    const mentor = await buildMentor();
    await UserModel.updateOne({ _id: mentor.id }, { $set: { mutedKinds: ['mentoring-request'] } });
    const mentee = await buildMentee({ name: 'Nell Muted' });
    const t0 = new Date();
    await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    await runTwice(new Date(t0.getTime() + 1000));
    expect(to(mentor, /Nell Muted asks/)).to.have.length(0);
    await runTwice(new Date(t0.getTime() + 7 * day + 1000));
    expect(to(mentor, /still waiting/)).to.have.length(1);
  });

  it('with a fortnightly rhythm and no meeting logged, both hear once after 3 weeks; a meeting logged starts the count again', async () => {
    const mentor = await buildMentor();
    const mentee = await buildMentee();
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    const endsOn = DateTime.fromJSDate(t0).plus({ months: 6 }).toISODate()!;
    await saveAgreement({
      actor: actor(mentee),
      mentorshipId: String(m._id),
      goals: ['Interviews'],
      meetingFrequency: 'fortnightly',
      endsOn,
      now: t0,
    });
    await runTwice(new Date(t0.getTime() + 20 * day));
    expect(to(mentor, /No mentoring meeting logged/)).to.have.length(0);
    await runTwice(new Date(t0.getTime() + 21 * day + 1000));
    expect(to(mentor, /No mentoring meeting logged for 3 weeks/)).to.have.length(1);
    expect(to(mentee, /No mentoring meeting logged for 3 weeks/)).to.have.length(1);
    // They meet on day 22: the next reminder counts from that meeting.
    const met = new Date(t0.getTime() + 22 * day);
    await logMeeting({ actor: actor(mentor), mentorshipId: String(m._id), heldAt: met, minutes: 40, now: met });
    await runTwice(new Date(met.getTime() + 20 * day));
    expect(to(mentee, /No mentoring meeting logged/)).to.have.length(1);
    await runTwice(new Date(met.getTime() + 21 * day + 1000));
    expect(to(mentee, /No mentoring meeting logged/)).to.have.length(2);
  });

  it('with a monthly rhythm, or none agreed yet, and no meeting logged, both hear once after 5 weeks', async () => {
    const t0 = new Date();
    const pairs: { mentor: TestUser; mentee: TestUser }[] = [];
    for (const rhythm of ['monthly', 'none'] as const) {
      const [mentor, mentee] = [await buildMentor(), await buildMentee()];
      const request = await createMentoringRequest({
        actor: actor(mentee),
        mentorId: mentor.id,
        message: 'Hi',
        now: t0,
      });
      const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
      if (rhythm === 'monthly')
        await saveAgreement({
          actor: actor(mentor),
          mentorshipId: String(m._id),
          goals: ['Applications'],
          meetingFrequency: 'monthly',
          endsOn: DateTime.fromJSDate(t0).plus({ months: 6 }).toISODate()!,
          now: t0,
        });
      pairs.push({ mentor, mentee });
    }
    const everyone = pairs.flatMap((p) => [p.mentor, p.mentee]);
    await runTwice(new Date(t0.getTime() + 34 * day));
    for (const u of everyone) expect(to(u, /No mentoring meeting logged/)).to.have.length(0);
    await runTwice(new Date(t0.getTime() + 35 * day + 1000));
    for (const u of everyone) expect(to(u, /No mentoring meeting logged for 5 weeks/)).to.have.length(1);
    // A week later, still without a meeting: nobody hears twice about the same gap.
    await runTwice(new Date(t0.getTime() + 42 * day));
    for (const u of everyone) expect(to(u, /No mentoring meeting logged/)).to.have.length(1);
  });

  it('14 days before the agreed end, each member hears once at 09:00 in her own zone (Sydney and London)', async () => {
    const mentor = await buildMentor({ timezone: 'Australia/Sydney' });
    await UserModel.updateOne({ _id: mentor.id }, { $set: { timezone: 'Australia/Sydney' } });
    const mentee = await buildMentee({ timezone: 'Europe/London' });
    // Their evenings do not overlap across those zones; give the mentor mornings that meet London evenings.
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
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    const endsOn = DateTime.fromJSDate(t0).plus({ days: 60 }).toISODate()!;
    await saveAgreement({
      actor: actor(mentor),
      mentorshipId: String(m._id),
      goals: ['Salary'],
      meetingFrequency: 'monthly',
      endsOn,
      now: t0,
    });
    const notices = await NotificationModel.find({ 'about.id': String(m._id), kind: 'mentorship-ending' }).lean();
    const at = (u: TestUser) => notices.find((n) => String(n.userId) === u.id)!.sendAt;
    expect(DateTime.fromJSDate(at(mentor), { zone: 'Australia/Sydney' }).toFormat('yyyy-LL-dd HH:mm')).to.equal(
      `${DateTime.fromISO(endsOn).minus({ days: 14 }).toISODate()} 09:00`,
    );
    expect(DateTime.fromJSDate(at(mentee), { zone: 'Europe/London' }).toFormat('yyyy-LL-dd HH:mm')).to.equal(
      `${DateTime.fromISO(endsOn).minus({ days: 14 }).toISODate()} 09:00`,
    );
    const later = new Date(Math.max(at(mentor).getTime(), at(mentee).getTime()) + 1000);
    // Meetings logged so the rhythm reminder stays out of the way.
    await logMeeting({
      actor: actor(mentor),
      mentorshipId: String(m._id),
      heldAt: new Date(later.getTime() - day),
      minutes: 30,
      now: later,
    });
    await runTwice(later);
    expect(to(mentor, /ends on/)).to.have.length(1);
    expect(to(mentee, /ends on/)).to.have.length(1);
  });

  it('the "ends in 14 days" notice follows a change of zone, hers or an admin’s: 09:00 in the new zone, 14 days before', async () => {
    const mentor = await buildMentor();
    const mentee = await buildMentee();
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    const endsOn = DateTime.fromJSDate(t0).plus({ days: 60 }).toISODate()!;
    await saveAgreement({
      actor: actor(mentor),
      mentorshipId: String(m._id),
      goals: ['Salary'],
      meetingFrequency: 'monthly',
      endsOn,
      now: t0,
    });
    await updateOwnDetails({
      actor: { id: mentee.id, name: mentee.name },
      changes: { timezone: 'Pacific/Kiritimati' },
    });
    const admin = await buildUser({ roles: ['admin'] });
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: mentor.id,
      changes: { timezone: 'Pacific/Pago_Pago' },
    });
    const notices = async () =>
      NotificationModel.find({ 'about.id': String(m._id), kind: 'mentorship-ending' })
        .select({ userId: 1, sendAt: 1, eventAt: 1 })
        .lean();
    const moved = await notices();
    const inHerZone = (u: TestUser, zone: string) => {
      const n = moved.find((x) => String(x.userId) === u.id)!;
      return [
        DateTime.fromJSDate(n.sendAt, { zone }).toFormat('yyyy-LL-dd HH:mm'),
        DateTime.fromJSDate(n.eventAt!, { zone }).toFormat('yyyy-LL-dd HH:mm'),
      ];
    };
    const fourteenDaysBefore = `${DateTime.fromISO(endsOn).minus({ days: 14 }).toISODate()} 09:00`;
    expect(inHerZone(mentee, 'Pacific/Kiritimati')).to.deep.equal([fourteenDaysBefore, `${endsOn} 00:00`]);
    expect(inHerZone(mentor, 'Pacific/Pago_Pago')).to.deep.equal([fourteenDaysBefore, `${endsOn} 00:00`]);
    // Just as a re-plan in their new zones plans them.
    await planMentorshipReminders({ mentorshipId: String(m._id), now: t0 });
    expect(await notices()).to.deep.equal(moved);
  });

  it('6 months after a mentorship closes, the mentee is asked once to record her outcomes', async () => {
    const mentor = await buildMentor();
    const mentee = await buildMentee();
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    await closeMentorship({ actor: actor(mentee), mentorshipId: String(m._id), reason: 'Appointed', now: t0 });
    const prompt = (await NotificationModel.findOne({
      'about.id': String(m._id),
      kind: 'mentoring-outcomes-prompt',
    }).lean())!;
    expect(DateTime.fromJSDate(prompt.sendAt, { zone: 'Europe/London' }).toFormat('HH:mm')).to.equal('09:00');
    expect(Math.round((prompt.sendAt.getTime() - t0.getTime()) / day)).to.be.within(180, 186);
    await runTwice(new Date(prompt.sendAt.getTime() + 1000));
    expect(to(mentee, /Six months on/)).to.have.length(1);
    expect(to(mentor, /Six months on/)).to.have.length(0);
  });

  it('when a member closes the mentorship, the other is told once, at once, with the reason; a close by a block tells nobody', async () => {
    const t0 = new Date();
    const pair = async (names: { mentor: string; mentee: string }) => {
      const mentor = await buildMentor({ name: names.mentor });
      const mentee = await buildMentee({ name: names.mentee });
      const request = await createMentoringRequest({
        actor: actor(mentee),
        mentorId: mentor.id,
        message: 'Hi',
        now: t0,
      });
      const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
      return { mentor, mentee, mentorshipId: String(m._id) };
    };
    const first = await pair({ mentor: 'Kim Closing', mentee: 'Lu Told' });
    await closeMentorship({ actor: actor(first.mentor), mentorshipId: first.mentorshipId, reason: 'Moving schools' });
    const second = await pair({ mentor: 'Mo Told', mentee: 'Nell Closing' });
    await closeMentorship({ actor: actor(second.mentee), mentorshipId: second.mentorshipId, reason: 'Not a fit' });
    const third = await pair({ mentor: 'Oz Blocked', mentee: 'Pam Blocking' });
    await blockPerson({ actor: third.mentee, userId: third.mentor.id });
    await runTwice(new Date(Date.now() + 1000));

    const toMentee = to(first.mentee, /Kim Closing closed your mentorship/);
    expect(toMentee).to.have.length(1);
    expect(toMentee[0]!.raw).to.include('Moving schools').and.to.include(`/mentorships/${first.mentorshipId}`);
    expect(to(first.mentor, /closed your mentorship/)).to.have.length(0);
    const toMentor = to(second.mentor, /Nell Closing closed your mentorship/);
    expect(toMentor).to.have.length(1);
    expect(toMentor[0]!.raw).to.include('Not a fit');
    expect(to(second.mentee, /closed your mentorship/)).to.have.length(0);
    expect(to(third.mentor, /closed your mentorship/)).to.have.length(0);
  });

  it('a block ends their mentorship: the place comes back, the rhythm reminders stop, and six months on the prompt names no one', async () => {
    const mentor = await buildMentor({ capacity: 1, name: 'Marta Blocked' });
    const mentee = await buildMentee();
    const t0 = new Date();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    const mentorshipId = String(m._id);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(0);

    await blockPerson({ actor: mentee, userId: mentor.id });
    const closed = (await MentorshipModel.findById(mentorshipId).lean())!;
    expect(closed).to.include({ status: 'closed', closeReason: contactEndedReason });
    expect(String(closed.closedBy)).to.equal(mentee.id);
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(1);
    expect(
      await NotificationModel.countDocuments({
        'about.id': mentorshipId,
        kind: { $in: ['mentoring-meeting-due', 'mentorship-ending'] },
        status: 'scheduled',
      }),
    ).to.equal(0);
    const refused = await logMeeting({ actor: actor(mentor), mentorshipId, heldAt: t0, minutes: 30 }).catch(
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(ConflictError);
    // Blocking again closes nothing more and gives no second place back.
    await blockPerson({ actor: mentee, userId: mentor.id });
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(1);

    const prompt = (await NotificationModel.findOne({
      'about.id': mentorshipId,
      kind: 'mentoring-outcomes-prompt',
    }).lean())!;
    await runTwice(new Date(prompt.sendAt.getTime() + 1000));
    const asked = to(mentee, /Six months on/);
    expect(asked).to.have.length(1);
    expect(asked[0]!.raw).to.include('your mentor').and.not.include('Marta Blocked');
  });

  it('a mentorship ended by an erasure closes as any close does: no rhythm or ending reminder stays, the mentee who remains is asked about her outcomes six months on (not naming the mentor who left), an erased mentee is asked nothing', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const t0 = new Date();
    const mentorshipOf = async (mentor: TestUser, mentee: TestUser) => {
      const request = await createMentoringRequest({
        actor: actor(mentee),
        mentorId: mentor.id,
        message: 'Hi',
        now: t0,
      });
      const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
      await saveAgreement({
        actor: actor(mentee),
        mentorshipId: String(m._id),
        goals: ['Apply for headship'],
        meetingFrequency: 'monthly',
        endsOn: DateTime.fromJSDate(t0).plus({ months: 3 }).toISODate()!,
      });
      return String(m._id);
    };
    const scheduled = (mentorshipId: string, kinds: NotificationKind[]) =>
      NotificationModel.find({ 'about.id': mentorshipId, kind: { $in: kinds }, status: 'scheduled' }).lean();
    const erase = (u: TestUser) =>
      eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: u.id, bySelf: false });

    // Her mentor leaves Pathways.
    const leavingMentor = await buildMentor({ name: 'Marta Leaving' });
    const mentee = await buildMentee();
    const hers = await mentorshipOf(leavingMentor, mentee);
    expect(await scheduled(hers, ['mentoring-meeting-due', 'mentorship-ending'])).to.have.length(4);
    await erase(leavingMentor);
    expect((await MentorshipModel.findById(hers).lean())!.status).to.equal('closed');
    expect(await scheduled(hers, ['mentoring-meeting-due', 'mentorship-ending'])).to.deep.equal([]);
    const [prompt] = await scheduled(hers, ['mentoring-outcomes-prompt']);
    expect(String(prompt!.userId)).to.equal(mentee.id);
    expect(JSON.stringify(prompt)).to.not.include('Marta Leaving');
    await runTwice(new Date(prompt!.sendAt.getTime() + 1000));
    const asked = to(mentee, /Six months on/);
    expect(asked).to.have.length(1);
    expect(asked[0]!.raw).to.include('your mentor').and.not.include('Marta Leaving');

    // A mentee leaves: her mentor's reminders stop and she is asked nothing.
    const mentor = await buildMentor({ capacity: 1 });
    const leavingMentee = await buildMentee();
    const theirs = await mentorshipOf(mentor, leavingMentee);
    await erase(leavingMentee);
    expect(await scheduled(theirs, ['mentoring-meeting-due', 'mentorship-ending'])).to.deep.equal([]);
    expect(await NotificationModel.countDocuments({ 'about.id': theirs, kind: 'mentoring-outcomes-prompt' })).to.equal(
      0,
    );
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(1);
  });

  it('a block made while the mentor accepts (two processes): the mentorship it makes is ended at once, and the accept answers 404', async () => {
    const mentor = await buildMentor({ capacity: 1 });
    const mentee = await buildMentee();
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi' });
    // The accept has checked for a block and is about to write the mentorship when her block, and its own close of
    // any mentorship between them (none yet), land.
    const held = holdNextCall(MentorshipModel, 'create', { before: true });
    let accepting: Promise<unknown> | undefined;
    try {
      accepting = acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id) }).catch(
        (error: unknown) => error,
      );
      await held.reached;
      held.restore();
      await blockPerson({ actor: mentee, userId: mentor.id });
      held.release();
      expect(await accepting).to.be.instanceOf(NotFoundError);
    } finally {
      held.release();
      held.restore();
    }
    expect(await MentorshipModel.countDocuments({ mentorId: mentor.id, status: 'active' })).to.equal(0);
    expect((await MentorshipModel.findOne({ requestId: request._id }).lean())!.closeReason).to.equal(
      contactEndedReason,
    );
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(1);
  });

  it('when both members log a meeting at once (two processes), the rhythm reminder counts from the later meeting', async () => {
    const mentor = await buildMentor();
    const mentee = await buildMentee();
    const t0 = new Date(Date.now() - 10 * day);
    const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Hi', now: t0 });
    const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id), now: t0 });
    const mentorshipId = String(m._id);
    const earlier = new Date(t0.getTime() + 2 * day);
    const later = new Date(t0.getTime() + 3 * day);
    // The mentor's log re-plans from the mentorship as it read it (its second read), then stalls while the mentee's
    // log of a later meeting lands and re-plans.
    let reads = 0;
    const held = holdNextCall(MentorshipModel, 'findById', { lean: true, when: () => ++reads === 2 });
    try {
      const mentorLogs = logMeeting({ actor: actor(mentor), mentorshipId, heldAt: earlier, minutes: 30 });
      await held.reached;
      held.restore();
      await logMeeting({ actor: actor(mentee), mentorshipId, heldAt: later, minutes: 30 });
      held.release();
      await mentorLogs;
    } finally {
      held.release();
      held.restore();
    }
    expect((await MentorshipModel.findById(mentorshipId).lean())!.lastMeetingAt!.getTime()).to.equal(later.getTime());
    const scheduled = await NotificationModel.find({
      kind: 'mentoring-meeting-due',
      'about.id': mentorshipId,
      status: 'scheduled',
    }).lean();
    expect(scheduled.map((n) => (n.data as { from: string }).from)).to.deep.equal([
      later.toISOString(),
      later.toISOString(),
    ]);
  });
});
