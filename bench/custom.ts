import type { startBenchDatabase } from './database.ts';
import type { seedBenchDatabase } from './seed.ts';
import type { startApp } from './server.ts';

/**
 * Hook for benchmarks that are not "drive one HTTP request with autocannon" (e.g. reminders throughput).
 * A file bench/<name>.ts that exports `bench: CustomBench` and whose name is listed in `customBenchNames` runs in
 * `npm run bench` (after the HTTP scenarios) and alone with `--only <name>`. It gets the building blocks and
 * returns flat figures, which are printed and included in the --json line under its name.
 */
export type CustomBenchContext = {
  /** Participants (--scale). */
  scale: number;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  startDatabase: typeof startBenchDatabase;
  seed: typeof seedBenchDatabase;
  startApp: typeof startApp;
};
export type CustomBenchResult = Record<string, number | string | boolean | null>;
export type CustomBench = (ctx: CustomBenchContext) => Promise<CustomBenchResult>;

export const customBenchNames = ['reminders', 'mentoring-assignment'];
