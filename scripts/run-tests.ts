import { spawn, spawnSync } from 'node:child_process';

/**
 * Runs the whole mocha suite (unit, integration and browser tests in one run, one database server), then the
 * Go tests of our FerretDB patches (tools/ferretdb/test.sh, when Go is installed and no mocha arguments narrow
 * the run), and ends with the line CI reads: "N passed, N failed", the totals of both.
 */
type Totals = { passed: number; failed: number };

function runMocha(): Promise<Totals & { ok: boolean }> {
  const args = ['mocha', ...process.argv.slice(2)];
  const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'test' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-50_000);
  });
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
      const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
      const passed = Number(/(\d+) passing/.exec(plain)?.[1] ?? 0);
      const failed = Number(/(\d+) failing/.exec(plain)?.[1] ?? 0);
      resolve({ passed, failed, ok: code === 0 });
    });
  });
}

/** Counts the top-level Go tests (`go test -json` events); a package that fails without a test counts once. */
function runGoTests(): Totals {
  console.log('\n  Go tests of the FerretDB patches (tools/ferretdb/test.sh)');
  const result = spawnSync('bash', ['tools/ferretdb/test.sh', '-json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  const totals = { passed: 0, failed: 0 };
  const failedPackages = new Set<string>();
  const packagesWithFailedTests = new Set<string>();
  for (const line of (result.stdout ?? '').split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { Action?: string; Package?: string; Test?: string; Output?: string };
    if (event.Test?.includes('/')) continue;
    if (event.Action === 'pass' && event.Test) totals.passed++;
    if (event.Action === 'fail' && event.Test) {
      totals.failed++;
      packagesWithFailedTests.add(event.Package ?? '');
      console.log(`    failed: ${event.Package} ${event.Test}`);
    }
    if (event.Action === 'fail' && !event.Test) failedPackages.add(event.Package ?? '');
  }
  for (const pkg of failedPackages) {
    if (!packagesWithFailedTests.has(pkg)) {
      totals.failed++;
      console.log(`    failed: ${pkg} (build or set-up)`);
    }
  }
  if (result.status !== 0 && totals.failed === 0) totals.failed++;
  console.log(`    ${totals.passed} passing, ${totals.failed} failing`);
  return totals;
}

const mocha = await runMocha();
const narrowed = process.argv.length > 2;
const goAvailable = spawnSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' }).status === 0;
const go = !narrowed && goAvailable ? runGoTests() : { passed: 0, failed: 0 };
const passed = mocha.passed + go.passed;
const failed = mocha.failed + go.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(mocha.ok && failed === 0 && passed > 0 ? 0 : 1);
