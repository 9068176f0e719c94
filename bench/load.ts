import autocannon from 'autocannon';

/**
 * What one scenario measured. Latencies in milliseconds; rps counts 2xx responses only. `appCpuMs`: the app process's
 * CPU time (user + system, all its threads) per response during the measured window, when the caller can read it.
 */
export type Measurement = {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  requests: number;
  appCpuMs?: number;
  /** The database process's CPU per response, in ms, when the bench started it (LoadOptions.databaseCpuMs). */
  databaseCpuMs?: number;
};

export type LoadRequest = {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  /** When given, the bodies sent in turn instead of `body` (BenchTarget.moreBodies). */
  bodies?: string[];
};
export type LoadOptions = {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** The app's CPU time so far, in ms (AppUnderTest.cpuMs): read around the measured window. */
  appCpuMs?: () => number;
  /** The database process's CPU time so far, in ms, when the bench started it: read around the same window. */
  databaseCpuMs?: () => number;
};

/** Exact percentile of sorted values (nearest rank). */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** autocannon's setupRequest that gives each request the next of `bodies`, in turn. */
function inTurn(bodies: string[]) {
  let next = 0;
  return (req: autocannon.Request) => ({ ...req, body: bodies[next++ % bodies.length] });
}

function fire(
  request: LoadRequest,
  connections: number,
  durationSeconds: number,
  latencies?: number[],
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: request.body,
        connections,
        duration: durationSeconds,
        timeout: 30,
        ...(request.bodies ? { requests: [{ setupRequest: inTurn(request.bodies) }] } : {}),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    // autocannon's own histogram has no p95; keep every response time and compute exact percentiles.
    if (latencies) instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

/** Warms up (JIT, caches, connection pools), then drives the request for a fixed time with N connections. */
export async function measure(request: LoadRequest, options: LoadOptions): Promise<Measurement> {
  if (options.warmupSeconds > 0) await fire(request, options.connections, options.warmupSeconds);
  const latencies: number[] = [];
  const cpuBefore = options.appCpuMs?.();
  const databaseCpuBefore = options.databaseCpuMs?.();
  const result = await fire(request, options.connections, options.durationSeconds, latencies);
  const cpuUsed = cpuBefore === undefined ? NaN : options.appCpuMs!() - cpuBefore;
  const databaseCpuUsed = databaseCpuBefore === undefined ? NaN : options.databaseCpuMs!() - databaseCpuBefore;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    appCpuMs: latencies.length ? Math.round((cpuUsed / latencies.length) * 1000) / 1000 : NaN,
    databaseCpuMs: latencies.length ? Math.round((databaseCpuUsed / latencies.length) * 1000) / 1000 : NaN,
    rps: round(result['2xx'] / result.duration),
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
    errors: result.errors + result.non2xx,
    requests: latencies.length,
  };
}

/** For requests that take seconds: N requests one after another, timed with fetch (rps is then 1 / mean latency). */
export async function measureSequentially(
  request: LoadRequest,
  samples: number,
  earlier: number[] = [],
): Promise<Measurement> {
  const latencies: number[] = [...earlier];
  let errors = 0;
  const started = performance.now() - earlier.reduce((a, b) => a + b, 0);
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    const res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
    });
    await res.arrayBuffer();
    latencies.push(performance.now() - t);
    if (res.status < 200 || res.status >= 300) errors++;
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    rps: round((latencies.length - errors) / seconds),
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
    errors,
    requests: latencies.length,
  };
}
