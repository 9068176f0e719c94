import type { Agenda } from 'agenda';
import {
  planUpcoming,
  runDueNotifications,
  sendWaitingAddressedEmails,
  settleNotifications,
} from '../server/services/reminders/index.ts';
import { sweepOptions, type JobArea, type JobRun } from './types.ts';

/**
 * Thin agenda wrappers around the reminders area. `reminders:send` runs every 5 seconds, so a due reminder goes
 * out within about 10 s (agenda polls every 5 s). Correctness never rests on agenda's lock (not atomic on
 * FerretDB): two runs at once, in one process or two, claim each send through a unique insert.
 */
export const sendEvery = '5 seconds';

export async function sendDueReminders(run: JobRun): Promise<void> {
  const started = Date.now();
  // Stop taking new batches after 4 minutes (agenda's lock lasts 5), the next run carries on. A message the mail
  // server leaves unanswered is waited for 10 s at most (waitForSendMs), so a stalled server holds up the next run,
  // and every reminder due meanwhile, no longer; the stop of the process waits for it (sendingDone).
  await runDueNotifications({ timeBudgetMs: 4 * 60 * 1000, stopping: run.stopping });
  // Bring a few records in line with the journal each run (updates are costly on FerretDB).
  if (Date.now() - started < 2_000 && !run.stopping.aborted) await settleNotifications({ limit: 50 });
}

export const remindersJobs: JobArea = {
  define(agenda: Agenda, run: JobRun) {
    agenda.define('reminders:send', () => sendDueReminders(run), { concurrency: 1, lockLifetime: 5 * 60 * 1000 });
    // Its own job: a mail server stalling on these (each answered within the socket timeout) holds no reminder.
    agenda.define(
      'reminders:send-addressed',
      () => sendWaitingAddressedEmails({ timeBudgetMs: 4 * 60 * 1000, stopping: run.stopping }),
      { concurrency: 1, lockLifetime: 5 * 60 * 1000 },
    );
    agenda.define('reminders:plan', async () => planUpcoming(), sweepOptions);
  },
  async schedule(agenda: Agenda) {
    await agenda.every(sendEvery, 'reminders:send', {}, { skipImmediate: false });
    await agenda.every(sendEvery, 'reminders:send-addressed', {}, { skipImmediate: false });
    await agenda.every('15 minutes', 'reminders:plan', {}, { skipImmediate: false });
  },
};
