import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { customBenchNames, type CustomBench, type CustomBenchResult } from './custom.ts';
import { startBenchDatabase } from './database.ts';
import { measure, measureSequentially, type LoadOptions, type Measurement } from './load.ts';
import { scenarios, type Actor, type BenchTarget, type Scenario } from './scenarios/index.ts';
import { seedBenchDatabase, type BenchData } from './seed.ts';
import { cpuMsOf, createToken, proxyHeaders, signInForCookie, startApp } from './server.ts';

/**
 * `npm run bench -- [--scale 10000] [--only a,b] [--growth] [--json] [--duration 8] [--warmup 2] [--connections 10]`
 *
 * Seeds a separate database (its own FerretDB in a temporary folder, or BENCH_MONGODB_URI), starts the app in
 * production mode as a child process, and drives each scenario with autocannon for a fixed time. Prints req/s
 * and p50/p95/p99 per scenario and its ratio to /healthz measured in the same run. --growth seeds scale/10 and scale
 * (each on its own database and app, both running), measures each scenario at both back to back, and reports how much
 * each p50 grew (target: at most 1.3x for 10x the data).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const targets = { minRatioToHealthz: 0.2, maxP50Growth: 1.3 };
const slowRequestMs = 1_000;

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '10000' },
    only: { type: 'string' },
    growth: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    help: { type: 'boolean', default: false },
  },
});

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/**
 * `ratioToHealthz` divides by the phase's first /healthz; `ratioToAdjacentHealthz` by the mean of the /healthz runs
 * measured just before and just after this scenario. This machine's speed drifts by a third or more within minutes
 * (other tenants), so a baseline taken minutes earlier flatters or wrongs a scenario by as much: the adjacent one
 * is the fair comparison, and the target is judged on it.
 */
type ScenarioResult =
  | (Measurement & {
      ratioToHealthz: number;
      adjacentHealthzRps: number;
      ratioToAdjacentHealthz: number;
      /** The adjacent /healthz runs' app CPU per request over this page's: its share by CPU, which drift hardly moves. */
      cpuShareOfAdjacentHealthz: number;
      path: string;
    })
  | { skipped: string };
type PhaseResult = { scale: number; results: Map<string, ScenarioResult> };

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number (got ${value})`);
  return n;
}

/** One scale's database, seeded, with the app under test running on it. */
type LivePhase = {
  scale: number;
  baseUrl: string;
  data: BenchData;
  credentials: ReturnType<typeof credentialCache>;
  results: Map<string, ScenarioResult>;
  /** The last /healthz measured on this phase's app: the "before" of its next scenario. */
  lastHealthzRps: number;
  /** Its app CPU per request, in ms. */
  lastHealthzCpuMs: number;
  /** Its database CPU per request, in ms (NaN when the bench did not start the database). */
  lastHealthzDatabaseCpuMs: number;
  /** The app process's CPU time so far, in ms. */
  appCpuMs: () => number;
  /** The database process's CPU time so far, in ms (NaN with BENCH_MONGODB_URI: not the bench's process). */
  databaseCpuMs: () => number;
  stop: () => Promise<void>;
};

/** Starts a database of its own for one scale, seeds it and starts the app on it. */
async function startPhase(scale: number): Promise<LivePhase> {
  log(`phase at scale ${scale.toLocaleString('en-GB')}: starting a database`);
  const database = await startBenchDatabase();
  running.add(database.stop);
  try {
    const data = await seedBenchDatabase({ uri: database.uri, scale, log });
    const app = await startApp({ mongodbUri: database.uri });
    running.add(app.stop);
    log(`app under test at ${scale.toLocaleString('en-GB')} on ${app.baseUrl} (log: ${app.logFile})`);
    const stop = async () => {
      running.delete(stop);
      running.delete(app.stop);
      running.delete(database.stop);
      await app.stop();
      await database.stop();
    };
    running.add(stop);
    return {
      scale,
      baseUrl: app.baseUrl,
      data,
      credentials: credentialCache(app.baseUrl, data),
      results: new Map(),
      lastHealthzRps: NaN,
      lastHealthzCpuMs: NaN,
      lastHealthzDatabaseCpuMs: NaN,
      appCpuMs: app.cpuMs,
      databaseCpuMs: () => (database.pid === undefined ? NaN : cpuMsOf(database.pid)),
      stop,
    };
  } catch (error) {
    running.delete(database.stop);
    await database.stop();
    throw error;
  }
}

/**
 * Measures one scenario on one live phase, then /healthz on the same app just after it. The scenario's share is
 * taken against the mean of that /healthz and the one measured on this app just before (the phase's previous step).
 */
async function measureOnPhase(phase: LivePhase, scenario: Scenario, load: LoadOptions): Promise<void> {
  const healthzRequest = { url: `${phase.baseUrl}/healthz`, method: 'GET' as const, headers: { ...proxyHeaders } };
  const measuredLoad = { ...load, appCpuMs: phase.appCpuMs, databaseCpuMs: phase.databaseCpuMs };
  const adjacentLoad = {
    ...measuredLoad,
    durationSeconds: Math.max(2, Math.round(load.durationSeconds / 2)),
    warmupSeconds: 1,
  };
  if (scenario.name !== 'healthz' && !Number.isFinite(phase.lastHealthzRps)) {
    const before = await measure(healthzRequest, adjacentLoad);
    phase.lastHealthzRps = before.rps;
    phase.lastHealthzCpuMs = before.appCpuMs ?? NaN;
    phase.lastHealthzDatabaseCpuMs = before.databaseCpuMs ?? NaN;
  }
  const result = await runScenario(scenario, phase.baseUrl, phase.data, phase.credentials, measuredLoad);
  await settle(phase.baseUrl);
  phase.results.set(scenario.name, result);
  const at = `at ${phase.scale.toLocaleString('en-GB')}`;
  log(
    'skipped' in result
      ? `${scenario.name} ${at}: skipped (${result.skipped})`
      : `${scenario.name} ${at} (${result.path}): ${result.rps} req/s, p50 ${result.p50} ms, p95 ${result.p95} ms, p99 ${result.p99} ms, errors ${result.errors}`,
  );
  if ('skipped' in result) return;
  if (scenario.name === 'healthz') {
    phase.lastHealthzRps = result.rps;
    phase.lastHealthzCpuMs = result.appCpuMs ?? NaN;
    phase.lastHealthzDatabaseCpuMs = result.databaseCpuMs ?? NaN;
    result.cpuShareOfAdjacentHealthz = 1;
    return;
  }
  const after = await measure(healthzRequest, adjacentLoad);
  const healthzAfter = after.rps;
  result.adjacentHealthzRps = Math.round(((phase.lastHealthzRps + healthzAfter) / 2) * 10) / 10;
  result.ratioToAdjacentHealthz = Math.round((result.rps / result.adjacentHealthzRps) * 1000) / 1000;
  const healthzCpuMs = (phase.lastHealthzCpuMs + (after.appCpuMs ?? NaN)) / 2;
  result.cpuShareOfAdjacentHealthz = Math.round((healthzCpuMs / (result.appCpuMs ?? NaN)) * 1000) / 1000;
  const healthzDatabaseCpuMs = (phase.lastHealthzDatabaseCpuMs + (after.databaseCpuMs ?? NaN)) / 2;
  log(
    `  /healthz ${at} just after: ${healthzAfter} req/s (mean with the one before: ${result.adjacentHealthzRps}); app CPU per request: page ${fmt(result.appCpuMs ?? NaN, 2)} ms, /healthz ${fmt(healthzCpuMs, 2)} ms; database CPU per request: page ${fmt(result.databaseCpuMs ?? NaN, 2)} ms, /healthz ${fmt(healthzDatabaseCpuMs, 2)} ms`,
  );
  phase.lastHealthzRps = healthzAfter;
  phase.lastHealthzCpuMs = after.appCpuMs ?? NaN;
  phase.lastHealthzDatabaseCpuMs = after.databaseCpuMs ?? NaN;
}

/**
 * Runs the selected HTTP scenarios at each scale. All scales are seeded and running before the first measurement,
 * and each scenario is measured at every scale back to back: this machine's speed drifts by a third or more within
 * minutes, so a growth factor between two p50s taken ten minutes apart (one phase after the other) measured the
 * machine as much as the page. Taken a few seconds apart, both p50s see the same machine.
 */
async function runPhases(scales: number[], selected: Scenario[], load: LoadOptions): Promise<PhaseResult[]> {
  // BENCH_MONGODB_URI names one server, and each phase needs its own `pathways` database: there the phases run one
  // after the other, as they did before.
  if (process.env.BENCH_MONGODB_URI && scales.length > 1) {
    const phases: PhaseResult[] = [];
    for (const scale of scales) phases.push(...(await runPhases([scale], selected, load)));
    return phases;
  }
  const live: LivePhase[] = [];
  try {
    for (const scale of scales) live.push(await startPhase(scale));
    for (const scenario of selected) for (const phase of live) await measureOnPhase(phase, scenario, load);
    return live.map((phase) => {
      const healthz = phase.results.get('healthz');
      for (const result of phase.results.values()) {
        if (!('skipped' in result) && healthz && !('skipped' in healthz))
          result.ratioToHealthz = Math.round((result.rps / healthz.rps) * 1000) / 1000;
      }
      if (healthz && !('skipped' in healthz)) {
        healthz.adjacentHealthzRps = healthz.rps;
        healthz.ratioToAdjacentHealthz = 1;
      }
      return { scale: phase.scale, results: phase.results };
    });
  } finally {
    await Promise.allSettled(live.map((phase) => phase.stop()));
  }
}

/** What is running now (app, database), stopped on Ctrl-C so no child process or temporary folder is left behind. */
const running = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the app and the database`);
    void Promise.allSettled([...running].map((stop) => stop())).then(() => process.exit(130));
  });
}

/** One sign-in (or API token) per actor and phase, reused by every scenario. */
function credentialCache(baseUrl: string, data: BenchData) {
  const cache = new Map<string, Promise<Record<string, string>>>();
  const emails: Record<Exclude<Actor, 'anonymous'>, string> = {
    participant: data.participantEmail,
    facilitator: data.facilitatorEmail,
    admin: data.adminEmail,
  };
  return (as: Actor, via: 'cookie' | 'token'): Promise<Record<string, string>> => {
    if (as === 'anonymous') return Promise.resolve({});
    const key = `${as}:${via}`;
    if (!cache.has(key)) {
      cache.set(
        key,
        via === 'token'
          ? createToken(baseUrl, emails[as], data.password).then((token) => ({ authorization: `Bearer ${token}` }))
          : signInForCookie(baseUrl, emails[as], data.password).then((cookie) => ({ cookie })),
      );
    }
    return cache.get(key)!;
  };
}

async function runScenario(
  scenario: Scenario,
  baseUrl: string,
  data: BenchData,
  credentials: ReturnType<typeof credentialCache>,
  load: LoadOptions,
): Promise<ScenarioResult> {
  let target: BenchTarget;
  try {
    target = scenario.target(data);
  } catch (error) {
    return { skipped: `no target: ${(error as Error).message}` };
  }
  const method = target.method ?? 'GET';
  const headers: Record<string, string> = {
    ...proxyHeaders,
    ...(await credentials(target.as, target.via ?? 'cookie')),
  };
  const body = target.body === undefined ? undefined : JSON.stringify(target.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (target.via === 'token') headers.accept = 'application/json';
  // Try the candidate paths once: the first that answers 2xx (and passes `expect`) is measured.
  const tried: string[] = [];
  for (const candidate of Array.isArray(target.path) ? target.path : [target.path]) {
    const checkStarted = performance.now();
    const res = await fetch(`${baseUrl}${candidate}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    const checkMs = performance.now() - checkStarted;
    if (res.status < 200 || res.status >= 300) {
      tried.push(`${method} ${candidate} → ${res.status}`);
      continue;
    }
    const problem = target.expect?.(text);
    if (problem) {
      tried.push(`${method} ${candidate}: ${problem}`);
      continue;
    }
    const bodies = target.moreBodies && [body!, ...target.moreBodies.map((more) => JSON.stringify(more))];
    const request = { url: `${baseUrl}${candidate}`, method, headers, body, ...(bodies ? { bodies } : {}) };
    // A request that takes seconds would give autocannon a handful of samples and time-outs: time a few in a row instead.
    // A slow first answer may be the app building a read model on first use: time one more before judging.
    const warmMs = checkMs > slowRequestMs ? await timeOnce(request) : checkMs;
    const slow = warmMs > slowRequestMs;
    // Enough samples to fill ~20 s, at least two. The check request is not one of them: it may have built a read
    // model the app keeps (and would have kept up to date in production), so it is a warm-up.
    const samples = Math.max(2, Math.min(10, Math.floor(20_000 / warmMs)));
    if (slow)
      log(
        `${scenario.name}: one request took ${Math.round(warmMs)} ms; timing ${samples} more one after another instead of a load run`,
      );
    let measured = slow
      ? await measureSequentially(request, samples)
      : await measure(request, { ...load, connections: scenario.connections ?? load.connections });
    let sequential = slow;
    if (!slow && measured.requests < (scenario.connections ?? load.connections)) {
      // Fast alone but so slow under load that hardly any request finished in the window: time them one by one.
      log(
        `${scenario.name}: only ${measured.requests} responses under load; timing requests one after another instead`,
      );
      await settle(baseUrl);
      measured = await measureSequentially(
        request,
        Math.max(2, Math.min(10, Math.floor(20_000 / Math.max(warmMs, 1)))),
      );
      sequential = true;
    }
    return {
      ...measured,
      ratioToHealthz: NaN,
      adjacentHealthzRps: NaN,
      ratioToAdjacentHealthz: NaN,
      cpuShareOfAdjacentHealthz: NaN,
      path: `${method} ${candidate}${sequential ? ' (sequential)' : ''}`,
    };
  }
  return { skipped: tried.join('; ') };
}

/**
 * Waits until the app has worked off what a load run left queued (requests autocannon gave up on still run on the
 * server), so it does not slow the next scenario: /healthz must answer within 50 ms (or 60 s pass).
 */
async function settle(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const started = performance.now();
    await (await fetch(`${baseUrl}/healthz`)).arrayBuffer();
    if (performance.now() - started < 50) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function timeOnce(request: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}): Promise<number> {
  const started = performance.now();
  await (
    await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
    })
  ).arrayBuffer();
  return performance.now() - started;
}

async function runCustomBench(name: string, scale: number): Promise<CustomBenchResult | { skipped: string }> {
  const file = path.join(here, `${name}.ts`);
  if (!existsSync(file)) return { skipped: `bench/${name}.ts does not exist yet` };
  const module = (await import(pathToFileURL(file).href)) as { bench?: CustomBench };
  if (typeof module.bench !== 'function') return { skipped: `bench/${name}.ts does not export a \`bench\` function` };
  log(`${name}: running`);
  return module.bench({
    scale,
    log: (line) => log(`${name}: ${line}`),
    startDatabase: startBenchDatabase,
    seed: seedBenchDatabase,
    startApp,
  });
}

// ---- reporting -------------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/**
 * A page's own work in /healthz units: its cost (1 / share) less the cost of being signed in at all (the
 * signed-in-floor scenario, when this run measured it). Shares judge the target; this says where a page's time goes.
 */
function ownWork(phase: PhaseResult, share: number): string {
  const floor = phase.results.get('signed-in-floor');
  if (!floor || 'skipped' in floor || !(share > 0)) return '–';
  return fmt(1 / share - 1 / floor.ratioToAdjacentHealthz, 2);
}

function printTable(phase: PhaseResult, selected: Scenario[]): void {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'errors',
    'x healthz',
    'x adjacent',
    'own work',
    'cpu x adj',
    'target',
  ];
  const rows = selected.map((s) => {
    const r = phase.results.get(s.name);
    if (!r || 'skipped' in r)
      return [s.name, 'skipped', '', '', '', '', '', '', '', '', r && 'skipped' in r ? r.skipped : ''];
    const verdict = s.page
      ? r.ratioToAdjacentHealthz >= targets.minRatioToHealthz
        ? `ok (>= ${targets.minRatioToHealthz})`
        : `MISSED (< ${targets.minRatioToHealthz})`
      : '';
    return [
      s.name,
      fmt(r.rps),
      fmt(r.p50),
      fmt(r.p95),
      fmt(r.p99),
      String(r.errors),
      s.name === 'healthz' ? '1.000' : fmt(r.ratioToHealthz, 3),
      s.name === 'healthz' ? '1.000' : fmt(r.ratioToAdjacentHealthz, 3),
      s.page ? ownWork(phase, r.ratioToAdjacentHealthz) : '',
      fmt(r.cpuShareOfAdjacentHealthz, 3),
      verdict,
    ];
  });
  printRows(`Scale ${phase.scale.toLocaleString('en-GB')} participants`, header, rows);
  console.log(
    "x healthz: share of the phase's first /healthz; x adjacent (judged): of the mean of the /healthz runs just before and after it",
  );
  console.log(
    "own work: the page's cost beyond the signed-in floor, in /healthz (a share of 0.2 allows 5 in all, the floor included)",
  );
  console.log(
    "cpu x adj: the adjacent /healthz runs' app CPU per request over the page's (its share by CPU; not a target, a steadier view)",
  );
}

function printRows(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) =>
    i === header.length - 1 ? h.length : Math.max(h.length, ...rows.map((r) => r[i]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function growthOf(small: PhaseResult, large: PhaseResult, name: string): number {
  const a = small.results.get(name);
  const b = large.results.get(name);
  if (!a || !b || 'skipped' in a || 'skipped' in b) return NaN;
  return Math.round((b.p50 / a.p50) * 100) / 100;
}

function printGrowth(small: PhaseResult, large: PhaseResult, selected: Scenario[]): void {
  const rows = selected.map((s) => {
    const a = small.results.get(s.name);
    const b = large.results.get(s.name);
    if (!a || !b || 'skipped' in a || 'skipped' in b) return [s.name, '', '', '', '', '', 'skipped'];
    const growth = growthOf(small, large, s.name);
    // A p50 timed one by one and a p50 under load are not comparable: say so rather than print a false factor.
    const mixed = a.path.endsWith('(sequential)') !== b.path.endsWith('(sequential)');
    const verdict = !s.page
      ? ''
      : mixed
        ? 'not comparable'
        : growth <= targets.maxP50Growth
          ? `ok (<= ${targets.maxP50Growth}x)`
          : `MISSED (> ${targets.maxP50Growth}x)`;
    return [s.name, fmt(a.p50), fmt(b.p50), `${fmt(growth, 2)}x${mixed ? ' *' : ''}`, fmt(a.rps), fmt(b.rps), verdict];
  });
  printRows(
    `p50 growth from ${small.scale.toLocaleString('en-GB')} to ${large.scale.toLocaleString('en-GB')} participants`,
    ['scenario', 'p50 small', 'p50 large', 'growth', 'req/s small', 'req/s large', 'target'],
    rows,
  );
  if (rows.some((r) => r[3]!.endsWith('*')))
    console.log(
      '* one phase was timed one request at a time (too slow under load), the other under load: not comparable',
    );
}

// ---- main --------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (args.help) {
    console.log(
      'npm run bench -- [--scale 10000] [--only a,b] [--growth] [--json] [--duration 8] [--warmup 2] [--connections 10]',
    );
    console.log(`scenarios: ${scenarios.map((s) => s.name).join(', ')}; custom: ${customBenchNames.join(', ')}`);
    return;
  }
  const scale = positiveInt('scale', args.scale);
  const load: LoadOptions = {
    durationSeconds: positiveInt('duration', args.duration),
    warmupSeconds: Number(args.warmup) || 0,
    connections: positiveInt('connections', args.connections),
  };
  const only = args.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = new Set([...scenarios.map((s) => s.name), ...customBenchNames]);
  const unknown = only?.filter((n) => !known.has(n)) ?? [];
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${[...known].join(', ')}`);

  // /healthz always runs first: every ratio divides by it. login-page runs last: each anonymous visit stores a
  // session, and a larger sessions collection must not slow the signed-in scenarios measured after it.
  const wanted = (name: string) => !only || only.includes(name) || name === 'healthz';
  const selected = scenarios.filter((s) => wanted(s.name)).sort((a, b) => rank(a) - rank(b));
  // The growth mode is about pages; custom benches run in it only when named with --only.
  const custom = customBenchNames.filter((n) => (only ? only.includes(n) : !args.growth));
  const httpWanted = !only || only.some((n) => scenarios.some((s) => s.name === n));

  const started = Date.now();
  const phases: PhaseResult[] = [];
  if (httpWanted) {
    const scales = args.growth ? [Math.max(1, Math.round(scale / 10)), scale] : [scale];
    phases.push(...(await runPhases(scales, selected, load)));
  }
  const customResults: Record<string, CustomBenchResult | { skipped: string }> = {};
  for (const name of custom) {
    try {
      customResults[name] = await runCustomBench(name, scale);
    } catch (error) {
      customResults[name] = { skipped: `failed: ${(error as Error).message}` };
    }
  }

  for (const phase of phases) printTable(phase, selected);
  const [small, large] = phases.length === 2 ? phases : [undefined, phases[0]];
  if (small && large) printGrowth(small, large, selected);
  for (const [name, result] of Object.entries(customResults)) {
    console.log(`\n${name}`);
    for (const [k, v] of Object.entries(result)) console.log(`  ${k}: ${v}`);
  }
  console.log(
    `\nTotal time ${((Date.now() - started) / 1000).toFixed(0)} s; ${load.connections} connections, ${load.durationSeconds} s per scenario after ${load.warmupSeconds} s warm-up.`,
  );

  if (args.json) {
    const json: Record<string, unknown> = {};
    for (const s of selected) {
      const r = large?.results.get(s.name);
      if (!r) continue;
      json[s.name] =
        'skipped' in r
          ? r
          : {
              rps: r.rps,
              p50: r.p50,
              p95: r.p95,
              p99: r.p99,
              errors: r.errors,
              ratioToHealthz: r.ratioToHealthz,
              adjacentHealthzRps: r.adjacentHealthzRps,
              ratioToAdjacentHealthz: r.ratioToAdjacentHealthz,
              appCpuMs: r.appCpuMs ?? null,
              databaseCpuMs: r.databaseCpuMs ?? null,
              cpuShareOfAdjacentHealthz: r.cpuShareOfAdjacentHealthz,
              ...(small
                ? {
                    p50AtTenth: (small.results.get(s.name) as Measurement | undefined)?.p50 ?? null,
                    p50Growth: growthOf(small, large!, s.name),
                  }
                : {}),
            };
    }
    Object.assign(json, customResults);
    console.log(JSON.stringify(json));
  }
}

const rank = (s: Scenario) => (s.name === 'healthz' ? 0 : s.name === 'login-page' ? 2 : 1);

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
