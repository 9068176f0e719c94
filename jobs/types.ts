import type { Agenda } from 'agenda';

/** One file per job area: `define` registers handlers, `schedule` sets up recurring runs (idempotent). */
export type JobArea = {
  define: (agenda: Agenda) => void;
  schedule?: (agenda: Agenda) => Promise<void>;
};

/**
 * A sweep that one process at a time runs: agenda's lock holds for ten minutes, longer than a sweep takes, so another
 * process does not start the same run while it is still going (each sweep is idempotent either way).
 */
export const sweepOptions = { concurrency: 1, lockLifetime: 10 * 60 * 1000 };
