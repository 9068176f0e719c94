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
    .find(
      {},
      {
        projection: {
          name: 1,
          repeatInterval: 1,
          nextRunAt: 1,
          lastRunAt: 1,
          lastFinishedAt: 1,
          lockedAt: 1,
          failCount: 1,
          failReason: 1,
          failedAt: 1,
        },
      },
    )
    .sort({ nextRunAt: 1 })
    .limit(props.limit)
    .toArray();
}

/**
 * Leaves one copy of each recurring job. Every process that runs jobs schedules them on start with agenda's upsert
 * by name, which without a unique index (agenda declares none) can insert twice when two processes start at the
 * same moment. Each keeps the oldest copy (smallest _id), so processes doing this at once agree on which.
 */
export async function removeDuplicateRecurringJobs(): Promise<number> {
  const jobs = mongoose.connection.db!.collection<{ _id: unknown; name: string; type?: string }>('jobs');
  const recurring = await jobs
    .find({ type: 'single' }, { projection: { name: 1 } })
    .sort({ _id: 1 })
    .toArray();
  const seen = new Set<string>();
  const extra = recurring
    .filter((job) => (seen.has(job.name) ? true : (seen.add(job.name), false)))
    .map((job) => job._id);
  if (extra.length === 0) return 0;
  return (await jobs.deleteMany({ _id: { $in: extra } })).deletedCount;
}
