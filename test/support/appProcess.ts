import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { builtApp } from '../../scripts/builtApp.ts';

/**
 * The app as production runs it (`npm start`): built, dist/server.js, in a process of its own, for the tests that need
 * a real process (two processes on one database, shutdown, the demo load cut by a signal). It uses the test file's
 * database. The run builds it first (test/hooks.ts).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type AppProcess = { base: string; child: ChildProcess; output: () => string };

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The connection string of the test file's own database (useTestDatabase), for a process of its own. */
export function testDatabaseUri(): string {
  const uri = new URL(process.env.MONGODB_URI!);
  uri.pathname = `/${mongoose.connection.db!.databaseName}`;
  return uri.toString();
}

type AppOptions = {
  /** Variables over the defaults; `undefined` unsets one (MONGODB_URI: the embedded database under DATA_DIR). */
  env?: Record<string, string | undefined>;
  nodeArgs?: string[];
  /** In a process group of its own (a terminal's Ctrl-C reaches the whole group). */
  detached?: boolean;
};

/**
 * Starts the app on a free port, on the test file's database, without demo data or jobs unless `env` says so;
 * `output()` is what it printed so far. Answers at once: `untilHealthy` waits for it to serve.
 */
export async function spawnApp(props: AppOptions = {}): Promise<AppProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    BASE_URL: base,
    // Only when asked for: a test of the embedded database has no test database of its own.
    MONGODB_URI: props.env && 'MONGODB_URI' in props.env ? undefined : testDatabaseUri(),
    SESSION_SECRET: 'app-process-tests-share-this-secret-of-32-chars',
    DEMO_DATA: 'false',
    RUN_JOBS: 'false',
    LOG_LEVEL: 'info',
    ...props.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child = spawn(process.execPath, [...builtApp.serverNodeArgs, ...(props.nodeArgs ?? []), builtApp.server], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: props.detached ?? false,
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return { base, child, output: () => output };
}

/** Waits until the app answers /healthz (a minute unless told), failing with what it printed if it exits or never does. */
export async function untilHealthy(app: AppProcess, withinMs = 60_000): Promise<AppProcess> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (app.child.exitCode !== null) throw new Error(`app process exited early:\n${app.output()}`);
    // The port was free when freePort chose it, not reserved: until the app says it listens, an answer there may be
    // another process's (another worker's test server took the port meanwhile, and this app could not listen: CI,
    // 7 December, ECONNREFUSED once that server had gone). Only after its own line does an answer count.
    const ok =
      app.output().includes('Pathways is running on') &&
      (await fetch(`${app.base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
    if (ok) return app;
    if (Date.now() > deadline) throw new Error(`app process did not answer /healthz:\n${app.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * spawnApp, then untilHealthy (within `withinMs`, a minute unless told); on another port when the one chosen was taken
 * before the app could listen.
 */
export async function startAppProcess(props: AppOptions & { withinMs?: number } = {}): Promise<AppProcess> {
  for (let attempt = 1; ; attempt += 1) {
    const app = await spawnApp(props);
    try {
      return await untilHealthy(app, props.withinMs);
    } catch (error) {
      if (attempt < 3 && app.output().includes('could not listen on PORT')) continue;
      throw error;
    }
  }
}

export async function stopAppProcess(app: AppProcess): Promise<void> {
  if (app.child.exitCode !== null) return;
  app.child.kill('SIGTERM');
  await once(app.child, 'exit');
}
