import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../server/embeddedDatabase.ts';
import { logger } from '../server/logger.ts';

/**
 * One database server for the whole run (FerretDB on SQLite in a temporary folder, or MONGODB_URI when set);
 * each test file then uses its own database on it (test/support/db.ts), so files never see each other's data.
 */
let embedded: EmbeddedDatabase | undefined;
let dataDir: string | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  logger.level = process.env.TEST_LOG_LEVEL ?? 'silent';
  if (process.env.MONGODB_URI) return;
  dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-test-'));
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

export const mochaHooks = {
  beforeAll(): void {
    logger.level = process.env.TEST_LOG_LEVEL ?? 'silent';
  },
  async beforeEach(): Promise<void> {
    await notAcrossABlockEdge();
  },
};
