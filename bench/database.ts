import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedDatabase } from '../server/embeddedDatabase.ts';

/**
 * The database a bench phase seeds and the app under test reads: by default a FerretDB of its own in a temporary
 * folder (deleted afterwards), so a bench never touches anyone's data. BENCH_MONGODB_URI points it at a server of
 * your choice instead (a real MongoDB, to compare); the app always uses the database named `pathways` on it
 * (server/db.ts), so the bench refuses a server whose `pathways` database holds data the bench did not write.
 */
export type BenchDatabase = { uri: string; kind: 'ferretdb' | 'mongod' | 'external'; stop: () => Promise<void> };

export async function startBenchDatabase(): Promise<BenchDatabase> {
  const external = process.env.BENCH_MONGODB_URI;
  if (external) return { uri: external, kind: 'external', stop: async () => {} };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-bench-'));
  const embedded = await startEmbeddedDatabase({ dataDir });
  return {
    uri: embedded.uri,
    kind: embedded.kind,
    stop: async () => {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
