import { expect } from 'chai';
import { DateTime } from 'luxon';
import { Agenda } from 'agenda';
import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { ModuleModel } from '../../models/Module.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { UserModel } from '../../models/User.ts';
import { createAgenda } from '../../jobs/index.ts';
import {
  planFacilitatorDigests,
  planModuleNudges,
  planSessionReminders,
  runDueNotifications,
  settleNotifications,
} from '../../server/services/reminders/index.ts';
import { savePreferences } from '../../server/services/reminders/queries.ts';
import { decideDue } from '../../server/services/reminders/due.ts';
import { minutesBefore, nextWeekly } from '../../server/services/reminders/time.ts';
import { useTestDatabase } from '../support/db.ts';
import { bothBodies, emailPart, useSmtpSink } from '../support/smtp.ts';
import { buildCohortWithSession } from '../support/remindersFactories.ts';
import { Types } from 'mongoose';
import { planNotifications } from '../../server/services/reminders/plan.ts';
import { buildUser } from '../support/factories.ts';
import { buildModule } from '../support/learningFactories.ts';
import { updateOwnDetails } from '../../server/services/accounts/details.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';

/** A facilitator with her digest day, named on a cohort (running to the end of 2027) with a first session. */
async function facilitatorOfACohort(props: {
  email: string;
  name: string;
  timezone: string;
  digestWeekday: number;
  startsAt: string;
  participants: number;
}) {
  const facilitator = await UserModel.create({
    email: props.email,
    name: props.name,
    roles: ['facilitator'],
    timezone: props.timezone,
    digestWeekday: props.digestWeekday,
    status: 'active',
  });
  const { cohort } = await buildCohortWithSession({
    startsAt: new Date(props.startsAt),
    participants: props.participants,
    facilitatorIds: [String(facilitator._id)],
  });
  await CohortModel.updateOne({ _id: cohort._id }, { $set: { endsOn: '2027-12-31' } });
  return { facilitator, cohort };
}

describe('reminders: time zones, DST, the weekly digest and the agenda job', () => {
  useTestDatabase();
  const sink = useSmtpSink();

  it('a weekly digest at 08:00 local stays at 08:00 local across the DST change (and moves in UTC)', () => {
    const zone = 'Europe/London';
    const before = nextWeekly({ after: new Date('2027-03-20T12:00:00Z'), weekday: 1, hour: 8, zone }); // Monday 22 March, GMT
    const after = nextWeekly({ after: before, weekday: 1, hour: 8, zone }); // Monday 29 March, BST (clocks changed on the 28th)
    expect(before.toISOString()).to.equal('2027-03-22T08:00:00.000Z');
    expect(after.toISOString()).to.equal('2027-03-29T07:00:00.000Z');
    expect(DateTime.fromJSDate(after, { zone }).toFormat('ccc HH:mm')).to.equal('Mon 08:00');
    const toronto = nextWeekly({
      after: new Date('2027-11-06T12:00:00Z'),
      weekday: 1,
      hour: 8,
      zone: 'America/Toronto',
    });
    expect(DateTime.fromJSDate(toronto, { zone: 'America/Toronto' }).toFormat('ccc HH:mm')).to.equal('Mon 08:00');
  });

  it('a 24-hour reminder is exactly 1,440 minutes before the start, even across a DST change', () => {
    const startsAt = new Date('2027-03-28T18:00:00Z'); // the evening after London's clocks went forward
    expect(minutesBefore(startsAt, 1440).toISOString()).to.equal('2027-03-27T18:00:00.000Z');
  });

  it('the due decision is a plain function of (records, now)', () => {
    const eventAt = new Date('2027-01-10T10:00:00Z');
    const record = (offset: number) => ({
      _id: new Types.ObjectId(),
      kind: 'session-reminder',
      series: 's',
      sendAt: minutesBefore(eventAt, offset),
      eventAt,
      status: 'scheduled' as const,
      maxAttempts: 8,
      nextAttemptAt: minutesBefore(eventAt, offset),
    });
    const items = [record(1440), record(60)].map((r) => ({ record: r, rows: [] }));
    expect(decideDue(items, minutesBefore(eventAt, 1500))).to.deep.equal([]);
    expect(decideDue(items, minutesBefore(eventAt, 1000)).map((d) => d.action)).to.deep.equal(['send']);
    expect(decideDue(items, minutesBefore(eventAt, 30)).map((d) => d.action)).to.deep.equal(['skip', 'send']);
    expect(decideDue(items, new Date(eventAt.getTime() + 1)).map((d) => d.action)).to.deep.equal(['skip', 'skip']);
  });

  it("a module due on 20 May in a London cohort is overdue for an Auckland participant only after London's 20 May ends, and her emails say by when in her time", async () => {
    const { cohort, users } = await buildCohortWithSession({
      startsAt: new Date('2027-12-01T10:00:00Z'),
      participants: 1,
      participantZone: 'Pacific/Auckland',
    });
    const module = await ModuleModel.create({
      programmeId: cohort.programmeId,
      title: 'Building a governing board',
      body: 'Read this.',
      estimatedMinutes: 30,
      completion: { type: 'view' },
      position: 1,
    });
    await CohortModel.updateOne(
      { _id: cohort._id },
      { $set: { moduleDueDates: [{ moduleId: module._id, dueOn: '2027-05-20' }] } },
    );
    await planModuleNudges({ cohortId: cohort._id });
    // Due by the end of 20 May in London (23:00Z): 11:00 on 21 May in Auckland (NZST, UTC+12).
    const overdue = await NotificationModel.findOne({ userId: users[0]!._id, kind: 'module-overdue' }).lean();
    expect(overdue!.sendAt.getTime()).to.be.greaterThan(new Date('2027-05-20T23:00:00Z').getTime());
    expect(DateTime.fromJSDate(overdue!.sendAt, { zone: 'Pacific/Auckland' }).toFormat('yyyy-LL-dd HH:mm')).to.equal(
      '2027-05-22 09:00',
    );
    // The three-day nudge names the deadline in her own zone.
    await runDueNotifications({ now: new Date('2027-05-17T21:30:00Z') });
    const nudge = sink.received.find((e) => e.subject.startsWith('Due in 3 days'))!;
    const text = emailPart(nudge, 'text/plain');
    expect(text).to.include('(by Friday 21 May 2027, 10:59 GMT+12 (Pacific/Auckland))');
    // 09:00 on 21 May her time, still 20 May in London: nothing is overdue yet.
    await runDueNotifications({ now: new Date('2027-05-20T21:30:00Z') });
    expect(await NotificationModel.countDocuments({ kind: 'module-overdue', status: 'sent' })).to.equal(0);
    expect(sink.received.filter((e) => e.subject.startsWith('Overdue'))).to.have.length(0);
  });

  describe('the module nudge counts the days left on her own calendar when it is sent', () => {
    async function moduleDue(props: { participantZone: string; dueOn: string; title: string }) {
      const { cohort, users } = await buildCohortWithSession({
        startsAt: new Date('2027-12-01T10:00:00Z'),
        participants: 1,
        participantZone: props.participantZone,
      });
      const module = await ModuleModel.create({
        programmeId: cohort.programmeId,
        title: props.title,
        body: 'Read this.',
        estimatedMinutes: 30,
        completion: { type: 'view' },
        position: 1,
      });
      await CohortModel.updateOne(
        { _id: cohort._id },
        { $set: { moduleDueDates: [{ moduleId: module._id, dueOn: props.dueOn }] } },
      );
      await planModuleNudges({ cohortId: cohort._id });
      return users[0]!;
    }
    const textOf = (to: string) => bothBodies(sink.received.find((e) => e.to.includes(to))!);

    it('an Auckland participant of a London cohort hears 3 days before the deadline on her calendar (21 May there), and it says "in 3 days"', async () => {
      sink.received.length = 0;
      const her = await moduleDue({
        participantZone: 'Pacific/Auckland',
        dueOn: '2027-05-20',
        title: 'Auckland nudge',
      });
      const nudge = await NotificationModel.findOne({ userId: her._id, kind: 'module-due' }).lean();
      // London's 20 May ends at 11:00 on 21 May in Auckland: three days before that is 18 May, not 17 May.
      expect(DateTime.fromJSDate(nudge!.sendAt, { zone: 'Pacific/Auckland' }).toFormat('yyyy-LL-dd HH:mm')).to.equal(
        '2027-05-18 09:00',
      );
      await runDueNotifications({ now: nudge!.sendAt });
      const email = sink.received.find((e) => e.to.includes(her.email))!;
      expect(email.subject).to.equal('Due in 3 days: Auckland nudge');
      // Every day in it is on her calendar: London's 20 May ends on her 21 May.
      expect(textOf(her.email)).to.include(
        'is due on 21 May 2027 (by Friday 21 May 2027, 10:59 GMT+12 (Pacific/Auckland)), in 3 days,',
      );
      expect(textOf(her.email)).to.include(
        'is due on <strong>21 May 2027</strong> (by Friday 21 May 2027, 10:59 GMT+12 (Pacific/Auckland)), in 3 days,',
      );
    });

    it('in a daily digest the next morning it says "in 2 days", and sent a day late by the job "tomorrow"', async () => {
      sink.received.length = 0;
      const digestReader = await moduleDue({
        participantZone: 'Europe/London',
        dueOn: '2027-06-20',
        title: 'Digest nudge',
      });
      await UserModel.updateOne({ _id: digestReader._id }, { $set: { emailDigest: 'daily' } });
      const late = await moduleDue({
        participantZone: 'America/Los_Angeles',
        dueOn: '2027-06-20',
        title: 'Late nudge',
      });
      // Hers is due at 09:00 PDT on 17 June; the job was down and sends it at 10:00 PDT on 19 June: London's 20 June
      // ends at 16:00 PDT on the 20th, so it is due tomorrow, not in three days.
      const planned = await NotificationModel.findOne({ userId: late._id, kind: 'module-due' }).lean();
      await NotificationModel.updateOne(
        { _id: planned!._id },
        { $set: { sendAt: new Date('2027-06-19T17:00:00Z'), nextAttemptAt: new Date('2027-06-19T17:00:00Z') } },
      );
      // Due 09:00 BST on 17 June: bundled into her digest at 08:00 BST on 18 June.
      await runDueNotifications({ now: new Date('2027-06-17T08:00:05Z') });
      await runDueNotifications({ now: new Date('2027-06-18T07:00:05Z') });
      expect(textOf(digestReader.email)).to.include('== Due in 2 days: Digest nudge ==').and.include(', in 2 days,');
      await runDueNotifications({ now: new Date('2027-06-19T17:00:05Z') });
      expect(sink.received.find((e) => e.to.includes(late.email))!.subject).to.equal('Due tomorrow: Late nudge');
    });
  });

  it("the facilitator digest is planned for her weekday at 08:00 her time, and sent once with the cohort's week", async () => {
    const { cohort } = await facilitatorOfACohort({
      email: 'fiona@example.org',
      name: 'Fiona',
      timezone: 'Australia/Sydney',
      digestWeekday: 3,
      startsAt: '2027-03-02T09:00:00Z',
      participants: 2,
    });
    await planFacilitatorDigests({ now: new Date('2027-03-01T00:00:00Z') });
    await planFacilitatorDigests({ now: new Date('2027-03-01T00:05:00Z') });
    const digests = await NotificationModel.find({ kind: 'facilitator-digest' }).lean();
    expect(digests).to.have.length(1);
    expect(DateTime.fromJSDate(digests[0]!.sendAt, { zone: 'Australia/Sydney' }).toFormat('ccc HH:mm')).to.equal(
      'Wed 08:00',
    );
    sink.received.length = 0;
    const report = await runDueNotifications({ now: digests[0]!.sendAt });
    expect(report.sent).to.equal(1);
    expect(sink.received[0]!.subject).to.equal(`Weekly digest: ${cohort.name}`);
    expect(sink.received[0]!.raw).to.include('Sessions this week');
  });

  it('the facilitator digest lists the sessions since her last digest, Monday 08:00 to Monday 08:00 on her clock, in the weeks the clocks change', async () => {
    const facilitator = await UserModel.create({
      email: 'fenella@example.org',
      name: 'Fenella',
      roles: ['facilitator'],
      timezone: 'Europe/London',
      digestWeekday: 1,
      status: 'active',
    });
    // Autumn: the digest of Monday 25 October 2027 went at 08:00 BST (07:00 UTC), the next at 08:00 GMT (08:00 UTC).
    const { cohort } = await buildCohortWithSession({
      startsAt: new Date('2027-10-25T06:30:00Z'),
      facilitatorIds: [String(facilitator._id)],
    });
    await CohortSessionModel.create(
      [
        { cohortId: cohort._id, title: 'Autumn, after the last digest', startsAt: new Date('2027-10-25T07:30:00Z') },
        // Spring: the digest of Monday 22 March went at 08:00 GMT (08:00 UTC), the next at 08:00 BST (07:00 UTC).
        { cohortId: cohort._id, title: 'Spring, before the last digest', startsAt: new Date('2027-03-22T07:30:00Z') },
        { cohortId: cohort._id, title: 'Spring, after the last digest', startsAt: new Date('2027-03-22T08:30:00Z') },
      ].map((s) => ({ ...s, durationMinutes: 30, mode: 'online' as const, joinUrl: 'https://meet.example.org/x' })),
    );
    const digestAfter = async (now: string) => {
      await planFacilitatorDigests({ now: new Date(now) });
      const next = await NotificationModel.findOne({
        kind: 'facilitator-digest',
        userId: facilitator._id,
        status: 'scheduled',
      });
      sink.received.length = 0;
      await runDueNotifications({ now: next!.sendAt });
      return sink.received.map((m) => m.raw).join('\n');
    };
    const spring = await digestAfter('2027-03-22T08:10:00Z');
    expect(spring).to.include('Spring, after the last digest');
    expect(spring).to.not.include('Spring, before the last digest');
    const autumn = await digestAfter('2027-10-25T07:10:00Z');
    expect(autumn).to.include('Autumn, after the last digest');
    expect(autumn).to.not.include('Leading difficult conversations');
  });

  it('a weekly digest skipped after downtime says why in a digest\'s words, not "The event had already started." (a digest has no event)', async () => {
    const { facilitator } = await facilitatorOfACohort({
      email: 'delia@example.org',
      name: 'Delia',
      timezone: 'Europe/London',
      digestWeekday: 1,
      startsAt: '2027-03-02T09:00:00Z',
      participants: 1,
    });
    await planFacilitatorDigests({ now: new Date('2027-03-01T12:00:00Z') });
    const [digest] = await NotificationModel.find({ kind: 'facilitator-digest', userId: facilitator._id }).lean();
    // The app was down from the Monday morning until the Tuesday afternoon.
    const back = new Date(digest!.sendAt.getTime() + 30 * 60 * 60_000);
    sink.received.length = 0;
    expect(await runDueNotifications({ ids: [digest!._id], now: back })).to.include({ sent: 0, skipped: 1 });
    await settleNotifications({ ids: [digest!._id], now: back });
    expect(await NotificationModel.findById(digest!._id).lean()).to.include({
      status: 'skipped',
      skipReason: 'It was more than a day late: a weekly digest is not sent that late, and the next one follows.',
    });
    expect(sink.received).to.have.length(0);

    // The network digest says the same; of two due in one series, the earlier is replaced by a digest, not a reminder.
    const sendAt = new Date('2027-03-08T08:00:00Z');
    const networkDigest = (at: Date) => ({
      record: {
        _id: new Types.ObjectId(),
        kind: 'network-digest',
        series: 'network-digest:someone',
        sendAt: at,
        eventAt: new Date(at.getTime() + 24 * 60 * 60_000),
        status: 'scheduled' as const,
        maxAttempts: 8,
        nextAttemptAt: at,
      },
      rows: [],
    });
    const late = decideDue([networkDigest(sendAt)], new Date(sendAt.getTime() + 25 * 60 * 60_000));
    expect(late.map((d) => d.action === 'skip' && d.reason)).to.deep.equal([
      'It was more than a day late: a weekly digest is not sent that late, and the next one follows.',
    ]);
    const two = decideDue(
      [networkDigest(sendAt), networkDigest(new Date(sendAt.getTime() + 60 * 60_000))],
      new Date(sendAt.getTime() + 2 * 60 * 60_000),
    );
    expect(two.map((d) => (d.action === 'skip' ? d.reason : d.action))).to.deep.equal([
      'A later weekly digest replaced it.',
      'send',
    ]);
  });

  it('a week with nothing to tell (a cohort whose sessions are months away, nobody behind or flagged) sends no digest', async () => {
    const { facilitator } = await facilitatorOfACohort({
      email: 'farida@example.org',
      name: 'Farida',
      timezone: 'Asia/Karachi',
      digestWeekday: 7,
      startsAt: '2027-04-04T09:00:00Z',
      participants: 2,
    });
    await planFacilitatorDigests({ now: new Date('2027-01-04T00:00:00Z') });
    const [planned] = await NotificationModel.find({ kind: 'facilitator-digest', userId: facilitator._id }).lean();
    sink.received.length = 0;
    const ids = [planned!._id];
    expect(await runDueNotifications({ ids, now: planned!.sendAt })).to.include({ sent: 0, skipped: 1 });
    await settleNotifications({ ids, now: planned!.sendAt });
    expect(sink.received).to.have.length(0);
    expect((await NotificationModel.findById(planned!._id).lean())!.skipReason).to.equal(
      'Nothing to report this week: no sessions, nobody behind or flagged.',
    );
  });

  it('a module retired after its due date passed makes nobody "behind" in the weekly digest (its date is kept, unused)', async () => {
    const { facilitator, cohort } = await facilitatorOfACohort({
      email: 'fenna@example.org',
      name: 'Fenna',
      timezone: 'Europe/London',
      digestWeekday: 1,
      startsAt: '2027-09-04T09:00:00Z',
      participants: 2,
    });
    const retired = await buildModule(String(cohort.programmeId), { title: 'A retired module', archived: true });
    await CohortModel.updateOne(
      { _id: cohort._id },
      { $set: { moduleDueDates: [{ moduleId: retired.id, dueOn: '2027-01-20' }] } },
    );
    await planFacilitatorDigests({ now: new Date('2027-03-01T00:00:00Z') });
    const [planned] = await NotificationModel.find({ kind: 'facilitator-digest', userId: facilitator._id }).lean();
    sink.received.length = 0;
    const ids = [planned!._id];
    expect(await runDueNotifications({ ids, now: planned!.sendAt })).to.include({ sent: 0, skipped: 1 });
    await settleNotifications({ ids, now: planned!.sendAt });
    expect((await NotificationModel.findById(planned!._id).lean())!.skipReason).to.equal(
      'Nothing to report this week: no sessions, nobody behind or flagged.',
    );
  });

  it('a weekly digest planned for a day she has since left is not sent; the next one comes on her new day', async () => {
    const { facilitator } = await facilitatorOfACohort({
      email: 'frieda@example.org',
      name: 'Frieda',
      timezone: 'America/Toronto',
      digestWeekday: 3,
      startsAt: '2027-03-02T15:00:00Z',
      participants: 1,
    });
    const now = new Date('2027-03-01T12:00:00Z');
    await planFacilitatorDigests({ now });
    const [wednesday] = await NotificationModel.find({ kind: 'facilitator-digest', userId: facilitator._id }).lean();
    // Two saves at once could leave her new day stored with the Wednesday digest still planned: here she chose Friday
    // and nothing re-planned.
    await UserModel.updateOne({ _id: facilitator._id }, { $set: { digestWeekday: 5 } });
    sink.received.length = 0;
    const ids = [wednesday!._id];
    expect(await runDueNotifications({ ids, now: wednesday!.sendAt })).to.include({ sent: 0, skipped: 1 });
    await settleNotifications({ ids, now: wednesday!.sendAt });
    expect(sink.received.filter((e) => e.to.includes('frieda@example.org'))).to.have.length(0);
    const skipped = await NotificationModel.findById(wednesday!._id).lean();
    expect(skipped).to.include({ status: 'skipped', skipReason: 'She moved her weekly digest to another day.' });
    await planFacilitatorDigests({ now: wednesday!.sendAt });
    const next = await NotificationModel.findOne({
      kind: 'facilitator-digest',
      userId: facilitator._id,
      status: 'scheduled',
    }).lean();
    expect(DateTime.fromJSDate(next!.sendAt, { zone: 'America/Toronto' }).toFormat('ccc d LLL HH:mm')).to.equal(
      'Fri 5 Mar 08:00',
    );
    await runDueNotifications({ now: next!.sendAt });
    expect(sink.received.filter((e) => e.to.includes('frieda@example.org'))).to.have.length(1);
  });

  it('a facilitator whose role an admin took away is not sent the digest of a cohort she is still named on', async () => {
    const { facilitator: former } = await facilitatorOfACohort({
      email: 'fay@example.org',
      name: 'Fay',
      timezone: 'Europe/London',
      digestWeekday: 3,
      startsAt: '2027-03-02T09:00:00Z',
      participants: 2,
    });
    await planFacilitatorDigests({ now: new Date('2027-03-01T00:00:00Z') });
    const [planned] = await NotificationModel.find({ kind: 'facilitator-digest', userId: former._id }).lean();
    // Planned while she ran it; before it is sent, she is a participant only.
    await UserModel.updateOne({ _id: former._id }, { $set: { roles: ['participant'] } });
    sink.received.length = 0;
    const ids = [planned!._id];
    expect(await runDueNotifications({ ids, now: planned!.sendAt })).to.include({ sent: 0, skipped: 1 });
    await settleNotifications({ ids, now: planned!.sendAt });
    expect(sink.received.filter((e) => e.to.includes('fay@example.org'))).to.have.length(0);
    expect(await NotificationModel.findById(planned!._id).lean()).to.include({
      status: 'skipped',
      skipReason: 'She no longer runs this cohort.',
    });
    // And no new one is planned for her.
    await planFacilitatorDigests({ now: new Date('2027-03-04T00:00:00Z') });
    expect(
      await NotificationModel.countDocuments({ kind: 'facilitator-digest', userId: former._id, status: 'scheduled' }),
    ).to.equal(0);
  });

  it('saving her settings with a new digest day re-plans at once, and again when she goes back', async () => {
    const { facilitator } = await facilitatorOfACohort({
      email: 'farah@example.org',
      name: 'Farah',
      timezone: 'Asia/Dubai',
      digestWeekday: 1,
      startsAt: '2027-03-02T09:00:00Z',
      participants: 1,
    });
    const now = new Date('2027-03-01T12:00:00Z');
    await planFacilitatorDigests({ now });
    const userId = String(facilitator._id);
    await savePreferences({ userId, now, preferences: { mutedKinds: [], emailDigest: 'single', digestWeekday: 4 } });
    const planned = async () =>
      (
        await NotificationModel.find({
          kind: 'facilitator-digest',
          userId: facilitator._id,
          status: 'scheduled',
        }).lean()
      ).map((n) => DateTime.fromJSDate(n.sendAt, { zone: 'Asia/Dubai' }).toFormat('ccc HH:mm'));
    expect(await planned()).to.deep.equal(['Thu 08:00']);
    await savePreferences({ userId, now, preferences: { mutedKinds: [], emailDigest: 'single', digestWeekday: 1 } });
    expect(await planned()).to.deep.equal(['Mon 08:00']);
  });

  it('agenda itself runs the job end to end: a due reminder reaches the SMTP server within seconds', async function () {
    this.timeout(60_000);
    sink.received.length = 0;
    const startsAt = new Date(Date.now() + 60 * 60_000 + 3_000);
    const { users } = await buildCohortWithSession({ startsAt, offsets: [60] });
    await planSessionReminders({ now: new Date() });
    const agenda: Agenda = createAgenda({ processEvery: '1 second' });
    await agenda.start();
    await agenda.every('2 seconds', 'reminders:send', {}, { skipImmediate: false });
    try {
      for (let i = 0; i < 100 && !sink.received.some((e) => e.to.includes(users[0]!.email)); i++)
        await new Promise((r) => setTimeout(r, 250));
    } finally {
      await agenda.drain(10_000).catch(() => undefined);
      await agenda.stop();
    }
    expect(sink.received.filter((e) => e.to.includes(users[0]!.email))).to.have.length(1);
  });
  it('a survey planned for 09:00 her time moves to 09:00 in her new zone when she changes it (herself or an admin)', async () => {
    const her = await buildUser({ timezone: 'America/Toronto' });
    const nineInToronto = DateTime.fromISO('2027-01-17T09:00', { zone: 'America/Toronto' }).toJSDate();
    await planNotifications([
      {
        key: `survey-invitation:zone-test:${her.id}`,
        userId: her.id,
        kind: 'survey-invitation',
        about: { type: 'survey', id: new Types.ObjectId() },
        sendAt: nineInToronto,
        subject: 'A survey',
      },
    ]);
    const sendAt = async () =>
      (await NotificationModel.findOne({ key: `survey-invitation:zone-test:${her.id}` }).lean())!.sendAt;
    await updateOwnDetails({ actor: { id: her.id, name: her.name }, changes: { timezone: 'Asia/Kathmandu' } });
    expect(DateTime.fromJSDate(await sendAt(), { zone: 'Asia/Kathmandu' }).toISO()).to.equal(
      '2027-01-17T09:00:00.000+05:45',
    );
    const admin = await buildUser({ roles: ['admin'] });
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: her.id,
      changes: { timezone: 'Pacific/Chatham' },
    });
    expect(DateTime.fromJSDate(await sendAt(), { zone: 'Pacific/Chatham' }).toFormat('yyyy-MM-dd HH:mm')).to.equal(
      '2027-01-17 09:00',
    );
  });
});
