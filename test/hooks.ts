import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildApp } from '../scripts/builtApp.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../server/embeddedDatabase.ts';
import { logger } from '../server/logger.ts';
import { scratchParent } from './support/scratch.ts';

/**
 * One database server for the whole run (FerretDB on SQLite in a temporary folder, or MONGODB_URI when set);
 * each test file then uses its own database on it (test/support/db.ts), so files never see each other's data.
 */
let embedded: EmbeddedDatabase | undefined;
let dataDir: string | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  logger.level = process.env.TEST_LOG_LEVEL ?? 'silent';
  // The tests that start the app or the CLI in a process of their own run them as `npm start` does: built. Built now,
  // they run this run's code.
  buildApp();
  if (process.env.MONGODB_URI) return;
  dataDir = mkdtempSync(path.join(scratchParent(), 'pathways-test-'));
  embedded = await startEmbeddedDatabase({ dataDir });
  process.env.MONGODB_URI = embedded.uri;
  process.env.PATHWAYS_TEST_DATA_DIR = dataDir;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await embedded?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

/**
 * Rate limits and keyless repeat detection count in fixed blocks of the clock (README, Limits: 10-, 15- and 60-minute
 * windows, all starting on a multiple of 5 minutes). A test that spends a limit and then expects its refusal, or sends
 * one text twice, would see a fresh block if it ran across an edge, so no test starts in the last seconds before one:
 * it waits until the edge has passed. Real time throughout; at most one short wait per edge the run crosses.
 */
const blockEdgeMs = 5 * 60_000;
const quietBeforeEdgeMs = 15_000;

async function notAcrossABlockEdge(): Promise<void> {
  const left = blockEdgeMs - (Date.now() % blockEdgeMs);
  if (left < quietBeforeEdgeMs) await new Promise((resolve) => setTimeout(resolve, left + 250));
}

/**
 * With TEST_TIMINGS_FILE set, each test file appends one JSON line (file, worker pid, start and end in ms since the
 * epoch): the wall time of a file with its hooks, which the reporter does not show, for keeping the suite's length
 * in check (README, Tests). Mocha runs root beforeAll and afterAll once per file in parallel mode.
 */
const timingsFile = process.env.TEST_TIMINGS_FILE;
let fileStartedAt = 0;

function fileOf(context: Mocha.Context): string {
  const root = context.test?.parent;
  return root?.suites[0]?.file ?? root?.file ?? 'unknown';
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    logger.level = process.env.TEST_LOG_LEVEL ?? 'silent';
    fileStartedAt = Date.now();
  },
  afterAll(this: Mocha.Context): void {
    if (!timingsFile) return;
    const line = { file: path.relative(process.cwd(), fileOf(this)), pid: process.pid, start: fileStartedAt };
    appendFileSync(timingsFile, JSON.stringify({ ...line, end: Date.now() }) + '\n');
  },
  async beforeEach(): Promise<void> {
    await notAcrossABlockEdge();
  },
};
