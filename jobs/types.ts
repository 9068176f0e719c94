import type { Agenda } from 'agenda';

/** What a job may ask of the process running it. */
export type JobRun = {
  /** Aborted when the process begins to stop: a long run takes no new work from then on (jobs/index.ts). */
  stopping: AbortSignal;
};

/** One file per job area: `define` registers handlers, `schedule` sets up recurring runs (idempotent). */
export type JobArea = {
  define: (agenda: Agenda, run: JobRun) => void;
  schedule?: (agenda: Agenda) => Promise<void>;
};

/**
 * A sweep that one process at a time runs: agenda's lock holds for ten minutes, longer than a sweep takes, so another
 * process does not start the same run while it is still going (each sweep is idempotent either way).
 */
export const sweepOptions = { concurrency: 1, lockLifetime: 10 * 60 * 1000 };
