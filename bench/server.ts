import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, builtApp } from '../scripts/builtApp.ts';

/**
 * The app under test: built as `npm start` runs it (dist/server.js, built once per bench run from this checkout) in
 * its own process, in production mode (so views are cached, logging is quiet and cookies are Secure), on a free
 * loopback port, against the bench database, with no demo data and no jobs. No email is sent while pages load, so
 * SMTP_URL points at a closed port.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let built = false;

/**
 * Production cookies are Secure. The app trusts loopback proxies, so the bench speaks as a TLS-terminating proxy
 * would: every request says it arrived over https, and the session cookie is then set and accepted over plain http.
 */
export const proxyHeaders = { 'x-forwarded-proto': 'https' } as const;

export type AppUnderTest = {
  baseUrl: string;
  logFile: string;
  /** The app process's CPU time so far (user + system, all threads), in ms; NaN where /proc cannot tell (not Linux). */
  cpuMs: () => number;
  stop: () => Promise<void>;
};

/** Clock ticks per second of /proc's CPU times: 100 on every Linux this runs on (USER_HZ). */
const ticksPerSecond = 100;

/** A process's CPU time so far from /proc/<pid>/stat (fields 14 and 15, utime and stime, after the command name). */
export function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return NaN;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startApp(props: { mongodbUri: string }): Promise<AppUnderTest> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-bench-app-'));
  const logFile = path.join(dataDir, 'app.log');
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    NODE_ENV: 'production',
    PORT: String(port),
    BASE_URL: baseUrl,
    MONGODB_URI: props.mongodbUri,
    DATA_DIR: dataDir,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    SMTP_URL: 'smtp://127.0.0.1:9',
    DEMO_DATA: 'false',
    RUN_JOBS: 'false',
    // The bench's seeded admin and facilitators have no authenticator app; production would ask them to set one up.
    MFA_REQUIRED_ROLES: 'none',
    LOG_LEVEL: 'warn',
  };
  // For profiling the app under load, e.g. BENCH_APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.BENCH_APP_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  if (!built) buildApp();
  built = true;
  const child = spawn(process.execPath, [...nodeArgs, ...builtApp.serverNodeArgs, builtApp.server], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const stop = () => stopChild(child).then(() => rmSync(dataDir, { recursive: true, force: true }));
  try {
    await waitForHealth(baseUrl, child);
  } catch (error) {
    await stopChild(child);
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n--- app log ---\n${tail}`);
  }
  return { baseUrl, logFile, cpuMs: () => cpuMsOf(child.pid), stop };
}

async function waitForHealth(baseUrl: string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode} during start-up`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the app did not answer /healthz within ${timeoutMs / 1000} s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const cookieFrom = (res: Response): string | undefined =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('pathways.sid='));

/** Signs in through the real login form (CSRF token and all) and returns the Cookie header of the new session. */
export async function signInForCookie(baseUrl: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${baseUrl}/login`, { headers: proxyHeaders });
  const anonymous = cookieFrom(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!anonymous || !csrf)
    throw new Error(
      'GET /login gave no session cookie or CSRF token (are Secure cookies accepted behind the proxy header?)',
    );
  const res = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...proxyHeaders, cookie: anonymous, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password, _csrf: csrf }).toString(),
  });
  const cookie = cookieFrom(res);
  if (res.status !== 303 || !cookie) throw new Error(`signing in as ${email} answered ${res.status}`);
  return cookie;
}

/** Creates a personal API token through POST /api/v1/auth/tokens. */
export async function createToken(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { ...proxyHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'bench' }),
  });
  if (res.status !== 201)
    throw new Error(`creating an API token for ${email} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
