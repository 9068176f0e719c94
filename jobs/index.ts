import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import mongoose, { Types } from 'mongoose';
import { logger } from '../server/logger.ts';
import { removeDuplicateRecurringJobs } from '../server/services/jobQueue.ts';
import { boardsJobs } from './boards.ts';
import { cohortsJobs } from './cohorts.ts';
import { learningJobs } from './learning.ts';
import { ltiJobs } from './lti.ts';
import { maintenanceJobs } from './maintenance.ts';
import { mentoringJobs } from './mentoring.ts';
import { networksJobs } from './networks.ts';
import { remindersJobs } from './reminders.ts';
import { researchJobs } from './research.ts';
import '../server/subscriptions.ts';
import type { JobArea } from './types.ts';

/** Every job area, registered in this one place. */
export const jobAreas: JobArea[] = [
  maintenanceJobs,
  remindersJobs,
  researchJobs,
  mentoringJobs,
  networksJobs,
  cohortsJobs,
  boardsJobs,
  learningJobs,
  ltiJobs,
];

/**
 * Builds agenda on mongoose's connection (one copy of the mongodb driver, pinned in package.json).
 * Any number of processes may run jobs: agenda's lock is one atomic findOneAndUpdate, on MongoDB and on our patched
 * FerretDB alike, so each run goes to one process. Correctness of sends never rests on that lock anyway (see
 * jobs/reminders.ts): a send is claimed through a unique insert.
 */
export function createAgenda(opts: { processEvery?: string } = {}): Agenda {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: mongoose.connection.db! as never, collection: 'jobs' }),
    processEvery: opts.processEvery ?? '5 seconds',
    maxConcurrency: 10,
    defaultConcurrency: 1,
    defaultLockLifetime: 5 * 60 * 1000,
  });
  agenda.on('error', (error: unknown) => logger.error({ err: error }, 'agenda error'));
  // A job that throws is marked failed in the jobs collection and nothing more: without this line the operator never
  // heard of it. `remote` is another process's failure, relayed: that process logs its own.
  agenda.on('fail', (error: unknown, job: { attrs?: { name?: string; failCount?: number } }, remote?: boolean) => {
    if (remote) return;
    logger.error({ err: error, job: job.attrs?.name, failCount: job.attrs?.failCount }, 'job failed');
  });
  const stop = new AbortController();
  stopSignals.set(agenda, stop);
  for (const area of jobAreas) area.define(agenda, { stopping: stop.signal });
  return agenda;
}

const stopSignals = new WeakMap<Agenda, AbortController>();

/**
 * The first thing a stopping process does (before its requests in flight, while jobs may still run): jobs take no
 * new work from here on (the reminders claim no more sends), so that what they have begun can finish within the time
 * the stop is given. The jobs themselves are stopped later, by stopJobs.
 */
export function stopTakingWork(agenda: Agenda): void {
  clearInterval(clockWatches.get(agenda));
  stopSignals.get(agenda)?.abort();
}

export async function startJobs(opts: { processEvery?: string } = {}): Promise<Agenda> {
  const agenda = createAgenda(opts);
  await agenda.start();
  for (const area of jobAreas) await area.schedule?.(agenda);
  await removeDuplicateRecurringJobs();
  await runRecurringJobsNow();
  const watch = setInterval(() => {
    catchUpAfterClockStep().catch((error: unknown) => logger.error({ err: error }, 'clock-step catch-up failed'));
  }, clockWatchEveryMs);
  watch.unref();
  clockWatches.set(agenda, watch);
  return agenda;
}

const recurringJobs = () => mongoose.connection.db!.collection('jobs');
const clockWatchEveryMs = 60_000;
/** How far ahead of this process's clock a job's last run may lie before the clock is taken to have gone back. */
const clockStepMs = 5 * 60_000;
const clockWatches = new WeakMap<Agenda, NodeJS.Timeout>();

/**
 * Every recurring job runs when a process starts, then on its interval (README: the repairs "hourly and at start").
 * agenda keeps a recurring job's stored next run when it is later than now, so without this a restart ran nothing
 * until the time counted from an earlier start (or from a clock that was ahead, since put right) came round. Several
 * processes starting at once make each due once: agenda's lock gives each run to one of them.
 */
export async function runRecurringJobsNow(now = new Date()): Promise<number> {
  const moved = await recurringJobs().updateMany(
    { type: 'single', nextRunAt: { $gt: now } },
    { $set: { nextRunAt: now } },
  );
  return moved.modifiedCount;
}

/**
 * A clock stepped back (an NTP correction, a host's clock put right) leaves every recurring job's next run counted
 * from the later time: reminders, grades and repairs would all wait until then. A job whose last run lies ahead of
 * now is made due now (checked every minute by each process running jobs; five minutes of slack for clocks that
 * differ between processes).
 */
export async function catchUpAfterClockStep(now = new Date()): Promise<number> {
  const moved = await recurringJobs().updateMany(
    { type: 'single', lastRunAt: { $gt: new Date(now.getTime() + clockStepMs) }, nextRunAt: { $gt: now } },
    { $set: { nextRunAt: now } },
  );
  if (moved.modifiedCount)
    logger.warn({ jobs: moved.modifiedCount }, 'the clock went back: recurring jobs made due now');
  return moved.modifiedCount;
}

/** Stops taking jobs, waits up to `drainMs` for running ones, and unlocks those still running. */
export async function stopJobs(agenda: Agenda, opts: { drainMs?: number } = {}): Promise<void> {
  stopTakingWork(agenda);
  const before = await agenda.getRunningStats(true).catch(() => undefined);
  const drained = await agenda.drain(opts.drainMs ?? 10_000).catch(() => undefined);
  await agenda.stop();
  // A job still running after the wait is cut short when the process exits, but agenda keeps a running job's lock
  // (5 minutes), so no other process would take it up until then: release it. Only the lock it took (its lockedAt),
  // so a job that finished meanwhile and was locked again elsewhere keeps that lock. Sends are claimed through unique
  // inserts (jobs/reminders.ts), so a run taken up again repeats no email.
  if (!drained?.timedOut || !Array.isArray(before?.runningJobs)) return;
  for (const job of before.runningJobs) {
    if (!job._id || !job.lockedAt) continue;
    await mongoose.connection
      .db!.collection('jobs')
      .updateOne(
        { _id: new Types.ObjectId(String(job._id)), lockedAt: new Date(job.lockedAt) },
        { $unset: { lockedAt: true } },
      );
  }
}
