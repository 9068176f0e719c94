import mongoose from 'mongoose';

/** One scheduled job as agenda stores it, with what the admin job page shows. */
export type ScheduledJob = {
  name: string;
  repeatInterval?: string;
  nextRunAt?: Date | null;
  lastRunAt?: Date;
  lastFinishedAt?: Date;
  lockedAt?: Date | null;
  failCount?: number;
  failReason?: string;
  failedAt?: Date;
};

/**
 * Agenda's queue (its `jobs` collection on our database), soonest first, for the admin job page. Read directly
 * because a web process need not run agenda (RUN_JOBS=false) and still shows every process's queue.
 */
export async function listScheduledJobs(props: { limit: number }): Promise<ScheduledJob[]> {
  const jobs = mongoose.connection.db!.collection<ScheduledJob>('jobs');
  return jobs
    .find({}, { projection: { name: 1, repeatInterval: 1, nextRunAt: 1, lastRunAt: 1, lastFinishedAt: 1, lockedAt: 1, failCount: 1, failReason: 1, failedAt: 1 } })
    .sort({ nextRunAt: 1 })
    .limit(props.limit)
    .toArray();
}
