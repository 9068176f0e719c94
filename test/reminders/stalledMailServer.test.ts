import { expect } from 'chai';
import { NotificationDeliveryModel } from '../../models/NotificationDelivery.ts';
import { planSessionReminders, runDueNotifications, sendingDone } from '../../server/services/reminders/index.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildCohortWithSession } from '../support/remindersFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

const minutes = (n: number) => n * 60_000;

/** A session soon whose one reminder (an hour before) is due now, for `participants` people. */
async function sessionWithReminderDue(participants: number) {
  const built = await buildCohortWithSession({
    startsAt: new Date(Date.now() + minutes(50)),
    participants,
    offsets: [60],
  });
  await planSessionReminders({ now: new Date(Date.now() - minutes(60)) });
  return built;
}

describe('reminders: a mail server that stops answering holds back no other reminder, and sends nothing after a stop', function () {
  this.timeout(20_000);
  useTestDatabase();
  // Short limits, so that what takes seconds in production takes a fraction of one here.
  const sink = useSmtpSink({ socketTimeoutMs: 2_500 });
  beforeEach(async () => {
    await clearDatabase();
    sink.received.length = 0;
    sink.handedOver.length = 0;
    sink.state.stalled = [];
    sink.state.delayMs = 0;
  });

  it('while one message waits for an answer that never comes, the others of its run and a reminder due after it leave at once; the stalled one is retried and arrives once', async () => {
    // A first reminder while the server answers: the connections are open and the templates read.
    await sessionWithReminderDue(1);
    expect((await runDueNotifications()).sent).to.equal(1);
    const first = await sessionWithReminderDue(3);
    const stalledAddress = first.users[0]!.email;
    sink.state.stalled = [stalledAddress];

    const started = Date.now();
    const run = await runDueNotifications({ waitForSendMs: 1_000 });
    expect(Date.now() - started, 'the run does not wait for the stalled message').to.be.below(2_000);
    expect(run).to.include({ sent: 2, stillSending: 1 });

    // A reminder of another session, due now: the next run sends it at once.
    const second = await sessionWithReminderDue(1);
    const next = Date.now();
    expect(await runDueNotifications({ waitForSendMs: 1_000 })).to.include({ sent: 1 });
    expect(Date.now() - next).to.be.below(2_000);
    expect(sink.received.map((m) => m.to[0])).to.include(second.users[0]!.email);

    // The mail server recovers; the stalled send ends at its socket timeout, a failure retried like any other.
    sink.state.stalled = [];
    await sendingDone();
    const failed = await NotificationDeliveryModel.findOne({ phase: 'result', outcome: 'failed' }).lean();
    expect(failed?.final).to.equal(false);
    expect((await runDueNotifications({ now: new Date(Date.now() + minutes(1)) })).sent).to.equal(1);
    expect(sink.received.filter((m) => m.to.includes(stalledAddress))).to.have.length(1);
    expect(sink.received).to.have.length(5);
  });

  it('from the stop on, no message is handed to the mail server; those waiting for a connection are given back and sent by the next run, none twice', async () => {
    const { users } = await sessionWithReminderDue(14);
    sink.state.delayMs = 300;
    const stop = new AbortController();
    const run = runDueNotifications({ stopping: stop.signal });
    // Every connection has a message the server is taking its time over; more wait for their turn.
    for (let i = 0; i < 200 && sink.handedOver.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sink.handedOver).to.have.length(5);
    stop.abort();
    const stoppedAt = Date.now();
    const report = await run;
    await sendingDone();
    expect(
      sink.handedOver.filter((h) => h.at > stoppedAt),
      'handed over after the stop',
    ).to.have.length(0);
    expect(report.remaining).to.be.above(0);
    expect(report.sent + report.remaining).to.equal(14);

    sink.state.delayMs = 0;
    expect((await runDueNotifications()).sent).to.equal(report.remaining);
    expect(sink.received.map((m) => m.to[0]).sort()).to.deep.equal(users.map((u) => u.email).sort());
  });
});
