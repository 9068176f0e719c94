import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import mongoose from 'mongoose';
import { logger } from '../server/logger.ts';
import { removeDuplicateRecurringJobs } from '../server/services/jobQueue.ts';
import { ltiJobs } from './lti.ts';
import { maintenanceJobs } from './maintenance.ts';
import { mentoringJobs } from './mentoring.ts';
import { networksJobs } from './networks.ts';
import { remindersJobs } from './reminders.ts';
import { researchJobs } from './research.ts';
import '../server/subscriptions.ts';
import type { JobArea } from './types.ts';

/** Every job area, registered in this one place. */
export const jobAreas: JobArea[] = [maintenanceJobs, remindersJobs, researchJobs, mentoringJobs, networksJobs, ltiJobs];

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
  for (const area of jobAreas) area.define(agenda);
  return agenda;
}

export async function startJobs(opts: { processEvery?: string } = {}): Promise<Agenda> {
  const agenda = createAgenda(opts);
  await agenda.start();
  for (const area of jobAreas) await area.schedule?.(agenda);
  await removeDuplicateRecurringJobs();
  return agenda;
}

export async function stopJobs(agenda: Agenda): Promise<void> {
  await agenda.drain(10_000).catch(() => undefined);
  await agenda.stop();
}
