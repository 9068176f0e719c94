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
export type BenchDatabase = {
  uri: string;
  kind: 'ferretdb' | 'mongod' | 'external';
  /** The database's process when the bench started it (none for BENCH_MONGODB_URI). */
  pid?: number;
  stop: () => Promise<void>;
};

export async function startBenchDatabase(): Promise<BenchDatabase> {
  const external = process.env.BENCH_MONGODB_URI;
  if (external) return { uri: external, kind: 'external', stop: async () => {} };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-bench-'));
  // For profiling FerretDB under a bench, e.g. BENCH_FERRETDB_ARGS="--debug-addr=127.0.0.1:8088" and then
  // `go tool pprof http://127.0.0.1:8088/debug/pprof/profile?seconds=8` while a scenario runs.
  const ferretDbArgs = process.env.BENCH_FERRETDB_ARGS?.split(/\s+/).filter(Boolean);
  const embedded = await startEmbeddedDatabase({ dataDir, ferretDbArgs });
  return {
    uri: embedded.uri,
    kind: embedded.kind,
    pid: embedded.pid,
    stop: async () => {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
