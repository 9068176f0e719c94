import type { Agenda } from 'agenda';

/** One file per job area: `define` registers handlers, `schedule` sets up recurring runs (idempotent). */
export type JobArea = {
  define: (agenda: Agenda) => void;
  schedule?: (agenda: Agenda) => Promise<void>;
};
