import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { closeWithin } from '../../server/shutdown.ts';
import { csrfOf } from '../support/app.ts';
import { spawnApp, startAppProcess, untilHealthy } from '../support/appProcess.ts';
import { NotificationDeliveryModel } from '../../models/NotificationDelivery.ts';
import { closeMailer, configureMailer } from '../../server/mailer.ts';
import { planSessionReminders, runDueNotifications } from '../../server/services/reminders/index.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';
import { buildCohortWithSession } from '../support/remindersFactories.ts';
import { startSmtpSink } from '../support/smtp.ts';

/** The app's pino lines (JSON) among what it printed. */
function logLines(output: string): { level: number; msg: string; [key: string]: unknown }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
}

/** Waits for the child's exit; the time it took after `since`. */
async function exitOf(child: ChildProcess, since: number): Promise<{ code: number | null; ms: number }> {
  const [code] = child.exitCode === null ? ((await once(child, 'exit')) as [number | null]) : [child.exitCode];
  return { code, ms: Date.now() - since };
}

/** A kept-alive connection to the app, as a load balancer holds one; `answer()` waits for the next whole answer. */
async function keptAlive(base: string) {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = once(socket, 'close').then(() => true);
  return {
    socket,
    closed,
    write: (text: string) => socket.write(text),
    /** The next answer's status and headers (lower-case names), once its body is in too. */
    answer: async (): Promise<{ status: number; headers: Record<string, string>; body: string }> => {
      for (;;) {
        const headEnd = received.indexOf('\r\n\r\n');
        if (headEnd >= 0) {
          const [statusLine, ...lines] = received.slice(0, headEnd).split('\r\n');
          const headers = Object.fromEntries(
            lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
          );
          const length = Number(headers['content-length']);
          if (received.length - headEnd - 4 >= length) {
            const body = received.slice(headEnd + 4, headEnd + 4 + length);
            received = received.slice(headEnd + 4 + length);
            return { status: Number(statusLine!.split(' ')[1]), headers, body };
          }
        }
        if (socket.closed) throw new Error(`the connection closed before a whole answer (received: ${received})`);
        await Promise.race([once(socket, 'data'), closed]);
      }
    },
  };
}

describe('stopping the app', function () {
  this.timeout(120_000);
  useTestDatabase();

  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('on SIGTERM with nothing hanging, it stops cleanly with status 0', async () => {
    const app = await startAppProcess();
    started.push(app.child);
    const since = Date.now();
    app.child.kill('SIGTERM');
    const { code } = await exitOf(app.child, since);
    expect(code, app.output()).to.equal(0);
    expect(logLines(app.output()).map((l) => l.msg)).to.include('stopped');
  });

  it('behind a load balancer: once SIGTERM arrives, /healthz answers 503 with Connection: close, idle kept-alive connections are closed, and a request in flight finishes before the process exits', async () => {
    const app = await startAppProcess();
    started.push(app.child);
    const idle = await keptAlive(app.base);
    idle.write('GET /healthz HTTP/1.1\r\nHost: pathways.test\r\n\r\n');
    expect((await idle.answer()).status).to.equal(200);
    // The balancer's health check, begun on its kept-alive connection: its headers are not all sent yet.
    const check = await keptAlive(app.base);
    check.write('GET /healthz HTTP/1.1\r\nHost: pathways.test\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const since = Date.now();
    app.child.kill('SIGTERM');
    const waitUntil = Date.now() + 10_000;
    while (!app.output().includes('shutting down') && Date.now() < waitUntil)
      await new Promise((r) => setTimeout(r, 20));
    expect(await Promise.race([idle.closed, new Promise((r) => setTimeout(() => r(false), 2_000))])).to.equal(true);

    check.write('\r\n');
    const answer = await check.answer();
    expect(answer.status, app.output()).to.equal(503);
    expect(JSON.parse(answer.body)).to.deep.include({ status: 'stopping' });
    expect(answer.headers.connection).to.equal('close');
    expect(await check.closed).to.equal(true);

    const { code, ms } = await exitOf(app.child, since);
    expect(code, app.output()).to.equal(0);
    // Not held until the cut at 40% of SHUTDOWN_TIMEOUT_SECONDS (8 s): nothing was left open.
    expect(ms).to.be.below(6_000);
  });

  it('with SHUTDOWN_DRAIN_SECONDS, a stopping process still accepts new connections for that long, /healthz answering 503, so the balancer can take it out of rotation before its port closes', async () => {
    const app = await startAppProcess({ env: { SHUTDOWN_DRAIN_SECONDS: '3', SHUTDOWN_TIMEOUT_SECONDS: '10' } });
    started.push(app.child);
    const since = Date.now();
    app.child.kill('SIGTERM');
    const waitUntil = Date.now() + 10_000;
    while (!app.output().includes('shutting down') && Date.now() < waitUntil)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1_000));

    // A new connection, as the balancer opens one before its health checks have failed enough times.
    const check = await keptAlive(app.base);
    check.write('GET /healthz HTTP/1.1\r\nHost: pathways.test\r\n\r\n');
    const answer = await check.answer();
    expect(answer.status, app.output()).to.equal(503);
    expect(answer.headers.connection).to.equal('close');
    const page = await fetch(`${app.base}/login`);
    expect(page.status, 'a visitor sent here meanwhile is still served').to.equal(200);

    const { code, ms } = await exitOf(app.child, since);
    expect(code, app.output()).to.equal(0);
    expect(ms).to.be.within(3_000, 8_000);
  });

  it('a request still being read when its connection is cut at the deadline makes the stop unclean: status 1 and a line saying how many were cut', async () => {
    const app = await startAppProcess({ env: { SHUTDOWN_TIMEOUT_SECONDS: '2' } });
    started.push(app.child);
    // An upload that never finishes (a class list sent over a connection that stalls): its answer is in progress.
    const upload = await keptAlive(app.base);
    upload.write('POST /login HTTP/1.1\r\nHost: pathways.test\r\nContent-Type: application/x-www-form-urlencoded\r\n');
    upload.write('Content-Length: 1000\r\n\r\nemail=a');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const since = Date.now();
    app.child.kill('SIGTERM');
    const { code } = await exitOf(app.child, since);
    expect(await upload.closed).to.equal(true);
    expect(code, app.output()).to.equal(1);
    const said = logLines(app.output()).find((l) => l.level >= 50 && /HTTP server/.test(String(l.msg)));
    expect(said, app.output()).to.not.equal(undefined);
    expect(JSON.stringify(said)).to.include(
      '1 request(s) still being read or answered when their connections were cut',
    );
  });

  it('when an email is stuck on a mail server that never answers, SIGTERM still ends the process within SHUTDOWN_TIMEOUT_SECONDS, with status 1 naming what was open', async () => {
    // A mail server that takes the connection and never says hello: the mailer waits 10 s for the greeting, the reset
    // request's work after its answer 3 s (requestWaitMs), both past the 2 s the stop is given.
    const connected: Socket[] = [];
    const silent: Server = createServer((socket) => void connected.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const app = await startAppProcess({
        env: {
          SMTP_URL: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          SHUTDOWN_TIMEOUT_SECONDS: '2',
        },
      });
      started.push(app.child);
      const user = await buildUser();
      const agent = supertest.agent(app.base);
      const csrf = await csrfOf(agent, '/password-reset');
      await agent.post('/password-reset').type('form').send({ email: user.email, _csrf: csrf }).expect(303);
      const waitUntil = Date.now() + 20_000;
      while (connected.length === 0 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 50));
      expect(connected, 'the reset email reached the mail server').to.have.length.greaterThan(0);

      const since = Date.now();
      app.child.kill('SIGTERM');
      const { code, ms } = await exitOf(app.child, since);
      expect(code, app.output()).to.equal(1);
      expect(ms).to.be.below(10_000);
      const cut = logLines(app.output()).find((l) => l.level === 60 && /SHUTDOWN_TIMEOUT_SECONDS/.test(l.msg));
      expect(cut, app.output()).to.not.equal(undefined);
      expect(cut!.stillOpen).to.deep.equal([
        'work after answers (emails)',
        'emails being sent',
        'mail connections',
        'database connection',
      ]);
    } finally {
      for (const socket of connected) socket.destroy();
      silent.close();
    }
  });

  it('on SIGTERM in the middle of a slow batch of reminders, the emails already with the mail server finish and are recorded, the rest are given back, and each reminder reaches its reader once (none again when the 5-minute lease ends)', async () => {
    // Only this test's reminders (an earlier test left a reset email unsent).
    await clearDatabase();
    const sink = await startSmtpSink();
    try {
      // A relay that takes a second over each message: the batch of 40 outlasts the jobs' share of the stop (2.4 s).
      sink.state.delayMs = 1_000;
      const startsAt = new Date(Date.now() + 30 * 60_000);
      const { users } = await buildCohortWithSession({ startsAt, participants: 40, offsets: [60] });
      await planSessionReminders({ now: new Date(Date.now() - 60 * 60_000) });
      const app = await startAppProcess({
        env: { SMTP_URL: sink.url, RUN_JOBS: 'true', SHUTDOWN_TIMEOUT_SECONDS: '6' },
      });
      started.push(app.child);
      const waitUntil = Date.now() + 30_000;
      while (sink.received.length === 0 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
      expect(sink.received, app.output()).to.have.length.greaterThan(0);

      const since = Date.now();
      app.child.kill('SIGTERM');
      const { code } = await exitOf(app.child, since);
      expect(code, app.output()).to.equal(0);
      // A message the relay was still holding when the process went is accepted when its second is up.
      await new Promise((r) => setTimeout(r, sink.state.delayMs + 500));
      const accepted = sink.received.length;
      expect(accepted, 'the stop came in the middle of the batch').to.be.below(40);
      expect(
        await NotificationDeliveryModel.countDocuments({ phase: 'result', outcome: 'sent' }),
        'every email the relay accepted is recorded as sent',
      ).to.equal(accepted);

      // The next process sends the rest at once (their claims were given back), and nothing again after the lease.
      sink.state.delayMs = 0;
      configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
      await runDueNotifications();
      await runDueNotifications({ now: new Date(Date.now() + 6 * 60_000) });
      const readers = sink.received.map((e) => e.to[0]);
      expect(readers).to.have.length(40);
      expect(new Set(readers)).to.deep.equal(new Set(users.map((u) => u.email)));
    } finally {
      closeMailer();
      await sink.stop();
      await clearDatabase();
    }
  });

  it('when a promise rejection nobody handles happens at run time, the app logs it with pino and exits with 70 (for its manager to restart it)', async () => {
    const app = await startAppProcess({ nodeArgs: ['--import', './test/support/rejectOnSignal.js'] });
    started.push(app.child);
    const since = Date.now();
    app.child.kill('SIGUSR2');
    const { code } = await exitOf(app.child, since);
    expect(code, app.output()).to.equal(70);
    const fatal = logLines(app.output()).find((l) => l.level === 60);
    expect(fatal?.msg, app.output()).to.match(/unhandled promise rejection/);
    expect((fatal!.err as { message: string }).message).to.equal('a bug nobody handled');
  });

  it('closes the steps in order; one that fails is logged and the rest still close (status 1); one that hangs is cut at the deadline', async () => {
    const closed: string[] = [];
    const failing = await closeWithin(
      [
        { name: 'database connection', close: () => Promise.reject(new Error('connection reset')) },
        { name: 'embedded database', close: () => void closed.push('embedded database') },
      ],
      5_000,
    );
    expect(failing).to.equal(1);
    expect(closed).to.deep.equal(['embedded database']);

    const since = Date.now();
    const hanging = await closeWithin(
      [
        { name: 'jobs', close: () => new Promise<void>(() => undefined) },
        { name: 'database connection', close: () => void closed.push('database connection') },
      ],
      300,
    );
    expect(hanging).to.equal(1);
    expect(Date.now() - since).to.be.below(2_000);
    expect(closed).to.deep.equal(['embedded database']);

    expect(await closeWithin([{ name: 'mail', close: () => undefined }], 1_000)).to.equal(0);
  });
});

/** Pids of processes whose command line names `text` (a data folder), read from /proc. */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The app on its embedded database in a fresh DATA_DIR, answering /healthz; `group`: in a process group of its own. */
async function startEmbeddedApp(group: boolean) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-app-'));
  const app = await spawnApp({ env: { DATA_DIR: dataDir, MONGODB_URI: undefined }, detached: group });
  // The embedded database is built and started first: slower than a start on the test's database.
  await untilHealthy(app, 120_000);
  return { dataDir, child: app.child, output: app.output };
}

describe('the embedded database stopping under the app', function () {
  this.timeout(180_000);

  it('Ctrl-C in a terminal (SIGINT to the app and its database together) still stops cleanly, with status 0', async () => {
    const { dataDir, child, output } = await startEmbeddedApp(true);
    try {
      process.kill(-child.pid!, 'SIGINT');
      const [code] = child.exitCode === null ? ((await once(child, 'exit')) as [number | null]) : [child.exitCode];
      expect(code, output()).to.equal(0);
      expect(logLines(output()).map((l) => l.msg)).to.include('stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of processesNaming(dataDir)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a SIGTERM to the app alone during its first start (the demo load) stops it cleanly with status 0, and its embedded database with it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-app-'));
    const { child, output } = await spawnApp({ env: { DATA_DIR: dataDir, MONGODB_URI: undefined, DEMO_DATA: 'true' } });
    try {
      const waitUntil = Date.now() + 150_000;
      while (!output().includes('"seeder":') && child.exitCode === null && Date.now() < waitUntil)
        await new Promise((r) => setTimeout(r, 50));
      expect(output(), 'the demo load began').to.include('"seeder":');
      expect(processesNaming(`file:${dataDir}`), 'the embedded FerretDB').to.have.length(1);

      child.kill('SIGTERM');
      const [code, signal] =
        child.exitCode === null ? ((await once(child, 'exit')) as [number | null, string | null]) : [child.exitCode];
      expect({ code, signal }, output()).to.deep.equal({ code: 0, signal: null });
      expect(logLines(output()).find((l) => l.msg === 'shutting down')).to.deep.include({ during: 'start-up' });
      expect(output()).to.not.include('failed to start');
      expect(processesNaming(`file:${dataDir}`), 'the embedded FerretDB, left running').to.deep.equal([]);
      expect(readdirSync(path.join(dataDir, 'db')), 'the data folder released').to.not.include('pathways.pid');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of processesNaming(dataDir)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('when the embedded FerretDB dies while the app runs, the app exits non-zero with a line pointing at database.log, rather than answering 503 for ever', async () => {
    const { dataDir, child, output } = await startEmbeddedApp(false);
    try {
      const database = processesNaming(`file:${dataDir}`);
      expect(database, 'the embedded FerretDB').to.have.length(1);
      process.kill(database[0]!, 'SIGKILL');
      const exited = (async () => {
        const [code] = child.exitCode === null ? ((await once(child, 'exit')) as [number | null]) : [child.exitCode];
        return code;
      })();
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
      expect(code, output()).to.equal(1);
      const fatal = logLines(output()).find((l) => l.level === 60);
      expect(fatal?.msg, output()).to.match(/embedded database .*stopped/);
      expect(fatal!.msg).to.include(path.join(dataDir, 'database.log'));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of processesNaming(dataDir)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
