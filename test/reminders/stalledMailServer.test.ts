import { expect } from 'chai';
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

describe('reminders: a slow mail server, and a stop', function () {
  this.timeout(20_000);
  useTestDatabase();
  const sink = useSmtpSink();
  beforeEach(async () => {
    await clearDatabase();
    sink.received.length = 0;
    sink.handedOver.length = 0;
    sink.state.delayMs = 0;
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
