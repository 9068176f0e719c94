import { expect } from 'chai';
import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { NotificationModel } from '../../models/Notification.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { emitDomainEvent } from '../../server/events.ts';
import {
  composeNotification,
  Memo,
  renderNotificationEmail,
  type Composed,
} from '../../server/services/reminders/compose.ts';
import { planRoundReminders } from '../../server/services/boards/roundReminders.ts';
import { closeRound, updateRound } from '../../server/services/boards/rounds.ts';
import '../../server/subscriptions.ts';
import { asActor, buildBoard, buildRound, giveCertificate } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, type TestUser } from '../support/factories.ts';

const inDays = (days: number) => DateTime.now().setZone('Europe/London').plus({ days }).toISODate()!;
const nineAm = (date: string, daysBefore: number) =>
  DateTime.fromISO(date, { zone: 'Europe/London' })
    .minus({ days: daysBefore })
    .set({ hour: 9 })
    .toJSDate()
    .toISOString();

describe('boards: escalating reminders before the interview', () => {
  useTestDatabase();
  let chair: TestUser;
  let ready: TestUser;
  let learner: TestUser;
  let idle: TestUser;
  let board: { id: string };

  beforeEach(async () => {
    [chair, ready, learner, idle] = (await Promise.all([1, 2, 3, 4].map(() => buildUser({ roles: ['governor'] })))) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ];
    board = await buildBoard([
      { user: chair!, role: 'chair' },
      { user: ready!, role: 'governor' },
      { user: learner!, role: 'governor' },
      { user: idle!, role: 'governor' },
    ]);
    await giveCertificate(ready!.id, { issuedAt: new Date(Date.now() - 86_400_000), expiresAt: null });
  });

  const scheduledFor = async (roundId: string, userId?: string) =>
    (
      await NotificationModel.find({ 'about.id': roundId, status: 'scheduled', ...(userId ? { userId } : {}) }).lean()
    ).map((n) => ({
      kind: n.kind,
      sendAt: n.sendAt.toISOString(),
      daysBefore: (n.data as { daysBefore: number }).daysBefore,
    }));

  it('plans 21, 14, 7 and 2 days before for each member not ready, 7 and 2 for the chair, at 09:00 in the board zone, and nothing for the ready one', async () => {
    const date = inDays(30);
    const round = await buildRound(board.id, { interviewDates: [date], panel: [ready, learner, idle] });
    await planRoundReminders({ roundId: round.id });
    const learnerPlan = await scheduledFor(round.id, learner.id);
    expect(learnerPlan.map((p) => p.daysBefore).sort((a, b) => b - a)).to.deep.equal([21, 14, 7, 2]);
    expect(learnerPlan.every((p) => p.kind === 'panel-training-due')).to.equal(true);
    expect(learnerPlan.find((p) => p.daysBefore === 21)!.sendAt).to.equal(nineAm(date, 21));
    expect(await scheduledFor(round.id, idle.id)).to.have.length(4);
    expect(await scheduledFor(round.id, ready.id)).to.have.length(0);
    const chairPlan = await scheduledFor(round.id, chair.id);
    expect(chairPlan.map((p) => `${p.kind}:${p.daysBefore}`).sort()).to.deep.equal([
      'panel-not-ready:2',
      'panel-not-ready:7',
    ]);
    // Planning again changes nothing (one record per key).
    await planRoundReminders({ roundId: round.id });
    expect(await NotificationModel.countDocuments({ 'about.id': round.id })).to.equal(10);
  });

  it('a round of several interview days counts down to the first: she must be trained before she interviews anyone', async () => {
    const first = inDays(30);
    const round = await buildRound(board.id, { interviewDates: [inDays(44), first], panel: [learner] });
    await planRoundReminders({ roundId: round.id });
    const plan = await scheduledFor(round.id, learner.id);
    expect(plan.map((p) => p.sendAt).sort()).to.deep.equal([21, 14, 7, 2].map((d) => nineAm(first, d)).sort());
    const chairPlan = await scheduledFor(round.id, chair.id);
    expect(chairPlan.map((p) => p.sendAt).sort()).to.deep.equal([7, 2].map((d) => nineAm(first, d)).sort());
  });

  it('when the interview is near, the last step already passed goes at once and the steps ahead at their time; once heard, it is not repeated', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(10)], panel: [learner] });
    await planRoundReminders({ roundId: round.id });
    const plan = await scheduledFor(round.id, learner.id);
    expect(plan.map((p) => p.daysBefore).sort((a, b) => b - a)).to.deep.equal([14, 7, 2]);
    expect(new Date(plan.find((p) => p.daysBefore === 14)!.sendAt).getTime()).to.be.at.most(Date.now());
    // She heard it: planning again (another member's certificate, a panel change) does not tell her again.
    await NotificationModel.updateOne(
      { 'about.id': round.id, userId: learner.id, 'data.daysBefore': 14 },
      { $set: { status: 'sent' } },
    );
    await planRoundReminders({ roundId: round.id });
    expect((await scheduledFor(round.id, learner.id)).map((p) => p.daysBefore).sort()).to.deep.equal([2, 7]);
    expect(await NotificationModel.countDocuments({ 'about.id': round.id, userId: learner.id })).to.equal(3);
  });

  it('added hours before a step is due (the 2-day one, 09:00 that morning), she hears that step on time and not the 7-day one at once as well', async () => {
    const round = await buildRound(board.id, { interviewDates: ['2027-06-10'], panel: [learner] });
    // 06:00 in London on 8 June: the 7-day step has passed, the 2-day one is due at 09:00 (08:00 UTC).
    await planRoundReminders({ roundId: round.id, now: new Date('2027-06-08T05:00:00Z') });
    const plan = await scheduledFor(round.id, learner.id);
    expect(plan).to.deep.equal([{ kind: 'panel-training-due', sendAt: '2027-06-08T08:00:00.000Z', daysBefore: 2 }]);
    // Planned again after 09:00 (a panel change), still that one step, never the 7-day one.
    await planRoundReminders({ roundId: round.id, now: new Date('2027-06-08T11:00:00Z') });
    expect((await scheduledFor(round.id, learner.id)).map((p) => p.daysBefore)).to.deep.equal([2]);
  });

  it('a member added to the panel the day before the interview, and her chair, hear at once; on the interview day nothing is planned', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(1)], panel: [] });
    await planRoundReminders({ roundId: round.id });
    expect(await NotificationModel.countDocuments({ 'about.id': round.id })).to.equal(0);
    await RecruitmentRoundModel.updateOne({ _id: round.id }, { $set: { panel: [new Types.ObjectId(idle.id)] } });
    await planRoundReminders({ roundId: round.id });
    const due = (who: TestUser) => scheduledFor(round.id, who.id);
    expect((await due(idle)).map((p) => `${p.kind}:${p.daysBefore}`)).to.deep.equal(['panel-training-due:2']);
    expect((await due(chair)).map((p) => `${p.kind}:${p.daysBefore}`)).to.deep.equal(['panel-not-ready:2']);
    for (const p of [...(await due(idle)), ...(await due(chair))])
      expect(new Date(p.sendAt).getTime()).to.be.at.most(Date.now());
    const today = await buildRound(board.id, { interviewDates: [inDays(0)], panel: [idle] });
    await planRoundReminders({ roundId: today.id });
    expect(await NotificationModel.countDocuments({ 'about.id': today.id })).to.equal(0);
  });

  it('stops a member’s reminders once her certificate is issued, and the chair’s once the whole panel is ready', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [ready, learner, idle] });
    await planRoundReminders({ roundId: round.id });
    const c1 = await giveCertificate(learner.id, {
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + 1000 * 86_400_000),
    });
    await emitDomainEvent('certificate.issued', { certificateId: c1.id, userId: learner.id });
    expect(await scheduledFor(round.id, learner.id)).to.have.length(0);
    expect(
      await NotificationModel.countDocuments({ 'about.id': round.id, userId: learner.id, status: 'cancelled' }),
    ).to.equal(4);
    expect(await scheduledFor(round.id, chair.id)).to.have.length(2);
    // What the chair would read at 7 days names only who is still not ready.
    const record = (await NotificationModel.findOne({
      'about.id': round.id,
      userId: chair.id,
      status: 'scheduled',
    }).lean())!;
    const composed = await composeNotification({
      record: record as never,
      recipient: {
        _id: record.userId,
        email: chair.email,
        name: chair.name,
        timezone: 'Europe/London',
        status: 'active',
      },
      now: new Date(),
      memo: new Memo(),
    });
    expect(
      (composed as unknown as { data: { notReady: { name: string }[] } }).data.notReady.map((m) => m.name),
    ).to.deep.equal([idle.name]);
    const email = renderNotificationEmail(
      record as never,
      { _id: record.userId, email: chair.email, name: chair.name, timezone: 'Europe/London', status: 'active' },
      composed as Composed,
    );
    expect(email.text).to.include(idle.name);
    expect(email.text).to.not.include(learner.name);
    expect(email.html).to.include('/rounds/');
    const memberRecord = (await NotificationModel.findOne({
      'about.id': round.id,
      userId: idle.id,
      status: 'scheduled',
    }).lean())!;
    const recipient = {
      _id: memberRecord.userId,
      email: idle.email,
      name: idle.name,
      timezone: 'Europe/London',
      status: 'active',
    };
    const memberEmail = renderNotificationEmail(
      memberRecord as never,
      recipient,
      (await composeNotification({
        record: memberRecord as never,
        recipient,
        now: new Date(),
        memo: new Memo(),
      })) as Composed,
    );
    expect(memberEmail.text).to.include('you have not started');
    const c2 = await giveCertificate(idle.id, { issuedAt: new Date(), expiresAt: null });
    await emitDomainEvent('certificate.issued', { certificateId: c2.id, userId: idle.id });
    expect(await scheduledFor(round.id)).to.have.length(0);
  });

  it('moves the reminders when the interview date changes, and a reminder planned for the old date is skipped at send time', async () => {
    const first = inDays(30);
    const round = await buildRound(board.id, { interviewDates: [first], panel: [learner] });
    await planRoundReminders({ roundId: round.id });
    const old = (await NotificationModel.findOne({ 'about.id': round.id, userId: learner.id }).lean())!;
    const moved = inDays(40);
    await updateRound({
      actor: asActor(chair),
      roundId: round.id,
      input: { title: 'Headteacher', interviewDates: [moved] },
    });
    const plan = await NotificationModel.find({ 'about.id': round.id, userId: learner.id, status: 'scheduled' }).lean();
    expect(plan).to.have.length(4);
    expect(plan.every((n) => (n.data as { interviewDate: string }).interviewDate === moved)).to.equal(true);
    expect((await NotificationModel.findById(old._id).lean())!.status).to.equal('cancelled');
    const verdict = await composeNotification({
      record: old as never,
      recipient: {
        _id: old.userId,
        email: learner.email,
        name: learner.name,
        timezone: 'Europe/London',
        status: 'active',
      },
      now: new Date(),
      memo: new Memo(),
    });
    expect(verdict).to.deep.equal({ skip: 'the interview date changed' });
  });

  it('tells a member whose certificate lapses before the interview, and her chair, to renew and by when, in each reader’s zone', async () => {
    const lapsesAt = DateTime.fromISO(inDays(12), { zone: 'Europe/London' }).set({ hour: 12 }).toJSDate();
    await giveCertificate(learner.id, { issuedAt: new Date(Date.now() - 1000 * 86_400_000), expiresAt: lapsesAt });
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [learner] });
    await planRoundReminders({ roundId: round.id });
    const render = async (userId: string, user: TestUser, timezone: string) => {
      const record = (await NotificationModel.findOne({ 'about.id': round.id, userId, status: 'scheduled' }).lean())!;
      const recipient = { _id: record.userId, email: user.email, name: user.name, timezone, status: 'active' };
      return renderNotificationEmail(
        record as never,
        recipient,
        (await composeNotification({
          record: record as never,
          recipient,
          now: new Date(),
          memo: new Memo(),
        })) as Composed,
      );
    };
    const tokyo = DateTime.fromJSDate(lapsesAt, { zone: 'Asia/Tokyo' });
    const member = await render(learner.id, learner, 'Asia/Tokyo');
    expect(member.text).to.include(
      `Renew your training by ${tokyo.toFormat('cccc d LLLL yyyy')}, ${tokyo.toFormat('HH:mm')}`,
    );
    expect(member.text).to.include('(Asia/Tokyo)');
    expect(member.html).to.include('Renew your training by');
    const london = DateTime.fromJSDate(lapsesAt, { zone: 'Europe/London' });
    const chairs = await render(chair.id, chair, 'Europe/London');
    expect(chairs.text).to.include(
      `\u2068${learner.name}\u2069: certificate lapses before the interview, must renew by ${london.toFormat('cccc d LLLL yyyy')}, ${london.toFormat('HH:mm')}`,
    );
    expect(chairs.text).to.include('(Europe/London)');
  });

  it('counts the days to the interview when the email goes, not when it was planned: the 2-day reminder sent a day late (her daily digest, a late run) says tomorrow', async () => {
    const interview = inDays(20);
    const round = await buildRound(board.id, { interviewDates: [interview], panel: [learner] });
    await planRoundReminders({ roundId: round.id });
    const dayBefore = DateTime.fromISO(interview, { zone: 'Europe/London' }).minus({ days: 1 }).set({ hour: 8 });
    const render = async (user: TestUser, now: Date) => {
      const record = (await NotificationModel.findOne({
        'about.id': round.id,
        userId: user.id,
        'data.daysBefore': 2,
      }).lean())!;
      const recipient = {
        _id: record.userId,
        email: user.email,
        name: user.name,
        timezone: 'Europe/London',
        status: 'active',
      };
      const composed = (await composeNotification({
        record: record as never,
        recipient,
        now,
        memo: new Memo(),
      })) as Composed;
      return { ...renderNotificationEmail(record as never, recipient, composed), subject: composed.subject };
    };
    const late = await render(learner, dayBefore.toJSDate());
    expect(late.subject).to.equal('Interview panel tomorrow: your unconscious-bias training');
    expect(late.text).to.include(', tomorrow.').and.not.include('in 2 days');
    // The interview day is the board's, and says so: "tomorrow" is on London's calendar, whoever reads it.
    const shownDay = DateTime.fromISO(interview).toFormat('d LLLL yyyy');
    expect(late.text).to.include(`The interview is on ${shownDay} (Europe/London), tomorrow.`);
    expect(late.html).to.include(`<strong>${shownDay}</strong> (Europe/London), tomorrow.`);
    const chairs = await render(chair, dayBefore.toJSDate());
    expect(chairs.subject).to.equal('1 panel member not ready, interview tomorrow');
    expect(chairs.text).to.include(', tomorrow, and these panel members').and.not.include('in 2 days');
    expect(chairs.text).to.include(`is on ${shownDay} (Europe/London), tomorrow`);
    const onTime = await render(learner, dayBefore.minus({ days: 1 }).set({ hour: 9 }).toJSDate());
    expect(onTime.subject).to.equal('Interview panel in 2 days: your unconscious-bias training');
    expect(onTime.text).to.include(', in 2 days.');
  });

  it('when two re-plans meet (a member added on another process meanwhile), the member added keeps her reminders', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [learner] });
    // The first re-plan reads the round before the panel grows, then stalls; the second runs after the change.
    const held = holdNextCall(RecruitmentRoundModel, 'findById', { lean: true });
    try {
      const first = planRoundReminders({ roundId: round.id });
      await held.reached;
      held.restore();
      await RecruitmentRoundModel.updateOne({ _id: round.id }, { $push: { panel: new Types.ObjectId(idle.id) } });
      await planRoundReminders({ roundId: round.id });
      held.release();
      await first;
    } finally {
      held.release();
      held.restore();
    }
    expect(await scheduledFor(round.id, idle.id)).to.have.length(4);
    expect(await scheduledFor(round.id, learner.id)).to.have.length(4);
  });

  it('cancels everything when the round closes', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [learner, idle] });
    await planRoundReminders({ roundId: round.id });
    await closeRound({ actor: asActor(chair), roundId: round.id });
    expect(await scheduledFor(round.id)).to.have.length(0);
  });
});
