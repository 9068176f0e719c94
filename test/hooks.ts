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

export const mochaHooks = {
  beforeAll(): void {
    logger.level = process.env.TEST_LOG_LEVEL ?? 'silent';
  },
};
