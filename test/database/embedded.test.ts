import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { embeddedGoThreads, ensureFerretDbBinary, startEmbeddedDatabase } from '../../server/embeddedDatabase.ts';

/** The log file once it holds `text`, or as it is after 10 s. */
async function logOnceItSays(file: string, text: string): Promise<string> {
  const until = Date.now() + 10_000;
  for (;;) {
    const log = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (log.includes(text) || Date.now() > until) return log;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('database: the embedded FerretDB', function () {
  this.timeout(120_000);

  it('listens on a Unix socket in a directory only this account may enter, on no TCP port, and tidies it away when stopped', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-test-'));
    const database = await startEmbeddedDatabase({ dataDir, memory: true });
    try {
      expect(database.kind).to.equal('ferretdb');
      const socket = decodeURIComponent(/^mongodb:\/\/([^/]+)\/$/.exec(database.uri)![1]!);
      expect(socket).to.match(/\.sock$/);
      expect(statSync(socket).isSocket()).to.equal(true);
      // FerretDB has no users of its own: who may enter the directory decides who may read the database.
      expect(statSync(path.dirname(socket)).mode & 0o777).to.equal(0o700);
      const client = await new MongoClient(database.uri).connect();
      try {
        expect((await client.db('embeddedcheck').command({ ping: 1 })).ok).to.equal(1);
      } finally {
        await client.close();
      }
      // The log is written as the database's output is read, a little after the line that said it was listening.
      const log = await logOnceItSays(path.join(dataDir, 'database.log'), 'Listening on Unix');
      expect(log).to.include('Listening on Unix');
      expect(log).not.to.include('Listening on TCP');
      await database.stop();
      expect(existsSync(path.dirname(socket))).to.equal(false);
    } finally {
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("runs Go on every core but the app's (at least one), with a collection target of 400, unless the operator set them", async () => {
    expect([1, 2, 4, 8].map((cores) => embeddedGoThreads(cores))).to.deep.equal([1, 1, 3, 7]);
    const environmentOf = (pid: number) =>
      new Map(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
      );
    const before = { GOMAXPROCS: process.env.GOMAXPROCS, GOGC: process.env.GOGC };
    for (const [operator, expected] of [
      [{}, { GOMAXPROCS: String(embeddedGoThreads()), GOGC: '400' }],
      [
        { GOMAXPROCS: '3', GOGC: '100' },
        { GOMAXPROCS: '3', GOGC: '100' },
      ],
    ] as const) {
      delete process.env.GOMAXPROCS;
      delete process.env.GOGC;
      Object.assign(process.env, operator);
      const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-test-'));
      const database = await startEmbeddedDatabase({ dataDir, memory: true });
      try {
        const environment = environmentOf(database.pid!);
        expect({ GOMAXPROCS: environment.get('GOMAXPROCS'), GOGC: environment.get('GOGC') }).to.deep.equal(expected);
      } finally {
        await database.stop();
        rmSync(dataDir, { recursive: true, force: true });
        for (const [name, value] of Object.entries(before))
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
      }
    }
  });

  it('reads its SQLite files through a memory map (the pages are not copied into each connection)', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-test-'));
    const database = await startEmbeddedDatabase({ dataDir });
    try {
      const client = await new MongoClient(database.uri).connect();
      try {
        const things = client.db('mapcheck').collection('things');
        // About 6 MB: past SQLite's automatic checkpoint, so the pages are in the database file (until then they are
        // read from the write-ahead log, which is not mapped).
        await things.insertMany(Array.from({ length: 3000 }, (_, n) => ({ n, text: 'x'.repeat(2000) })));
        expect(await things.countDocuments({ n: { $gte: 10 }, text: { $ne: '' } })).to.equal(2990);
      } finally {
        await client.close();
      }
      const mapped = readFileSync(`/proc/${database.pid}/maps`, 'utf8')
        .split('\n')
        .filter((line) => line.includes(dataDir) && line.endsWith('.sqlite'));
      expect(mapped.length, 'the database file among the mappings').to.be.greaterThan(0);
    } finally {
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('on a long-running install, database.log stays bounded: past its size it becomes database.log.1 (replacing the one before) and the database goes on', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-test-'));
    const log = path.join(dataDir, 'database.log');
    writeFileSync(`${log}.1`, 'a rotation from long ago\n');
    const database = await startEmbeddedDatabase({ dataDir, memory: true, logMaxBytes: 8_192 });
    try {
      // Each connection the app opens is a few lines of the database's log.
      for (let i = 0; i < 40; i++) {
        const client = await new MongoClient(database.uri).connect();
        expect((await client.db('embeddedcheck').command({ ping: 1 })).ok).to.equal(1);
        await client.close();
      }
      // Read while the database may be writing: between the rename and the new file, database.log is briefly absent.
      expect(existsSync(log) ? statSync(log).size : 0).to.be.at.most(8_192);
      expect(statSync(`${log}.1`).size).to.be.at.most(8_192);
      expect(readFileSync(`${log}.1`, 'utf8')).to.include('Connection started');
      expect(existsSync(`${log}.2`)).to.equal(false);
      const client = await new MongoClient(database.uri).connect();
      expect((await client.db('embeddedcheck').command({ ping: 1 })).ok).to.equal(1);
      await client.close();
    } finally {
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("when a second process starts on the same DATA_DIR while the first runs, it refuses with a line saying so (two FerretDBs on one SQLite folder lose each other's new collections)", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-test-'));
    const first = await startEmbeddedDatabase({ dataDir });
    try {
      let refusal: Error | undefined;
      await startEmbeddedDatabase({ dataDir }).then(
        (second) => second.stop(),
        (error: Error) => (refusal = error),
      );
      expect(refusal?.message).to.match(/already in use by another Pathways process \(pid \d+\)/);
      expect(refusal?.message).to.include(dataDir);
      await first.stop();
      // Stopped means its log is written to the end and closed: the caller may remove DATA_DIR at once.
      expect(readFileSync(path.join(dataDir, 'database.log'), 'utf8')).to.include('Listener stopped');
      // Stopped, the folder is free again; a lock left by a process that died is no obstacle either.
      const again = await startEmbeddedDatabase({ dataDir });
      await again.stop();
      writeFileSync(path.join(dataDir, 'db', 'pathways.pid'), '2147483646\n');
      const afterCrash = await startEmbeddedDatabase({ dataDir });
      await afterCrash.stop();
    } finally {
      await first.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('when several processes start at once on a DATA_DIR whose lock a dead process left, exactly one takes it over: 20 trials of 6 processes, one holder each', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pathways-lock-race-'));
    const trials = 20;
    const workers: ChildProcess[] = [];
    try {
      for (let trial = 0; trial < trials; trial++) {
        mkdirSync(path.join(root, String(trial), 'db'), { recursive: true });
        // Left by an app killed in an earlier version (its pid alone) or in this one (with its lock's id).
        const stale = trial % 2 ? '2147483646\n' : '2147483646\nlock left-by-a-killed-app\n';
        writeFileSync(path.join(root, String(trial), 'db', 'pathways.pid'), stale);
      }
      const outputs: string[] = [];
      for (let w = 0; w < 6; w++) {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'test/support/dataFolderLocker.ts', root, String(trials), '150'],
          { stdio: ['pipe', 'pipe', 'inherit'] },
        );
        workers.push(child);
        outputs.push('');
        child.stdout!.on('data', (chunk: Buffer) => (outputs[w] += chunk.toString()));
      }
      const until = Date.now() + 60_000;
      while (outputs.some((o) => !o.includes('ready')) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      const startAt = Date.now() + 500;
      for (const child of workers) child.stdin!.end(`${startAt}\n`);
      await Promise.all(workers.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));

      const results = outputs.flatMap((output, worker) =>
        output
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => ({ worker, ...(JSON.parse(line) as { trial: number; held: boolean; refusal?: string }) })),
      );
      expect(results).to.have.length(6 * trials);
      for (let trial = 0; trial < trials; trial++) {
        const these = results.filter((r) => r.trial === trial);
        expect(
          these.filter((r) => r.held),
          `trial ${trial}: ${JSON.stringify(these)}`,
        ).to.have.length(1);
        for (const refused of these.filter((r) => !r.held))
          expect(refused.refusal).to.match(/already in use by another Pathways process/);
        const holder = workers[these.find((r) => r.held)!.worker]!.pid;
        const lock = readFileSync(path.join(root, String(trial), 'db', 'pathways.pid'), 'utf8');
        expect(lock.split('\n')[0], 'the lock names the one that holds it').to.equal(String(holder));
        expect(readdirSync(path.join(root, String(trial), 'db')), 'nothing left of the takeover').to.deep.equal([
          'pathways.pid',
        ]);
      }
    } finally {
      for (const child of workers) if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });

  describe('an app killed with SIGKILL leaves no database running beside the next one', () => {
    /** Whether `pid` is a live process naming `text` on its command line (a zombie names nothing). */
    const runs = (pid: number, text: string) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    };
    const until = async (condition: () => boolean, withinMs: number) => {
      const deadline = Date.now() + withinMs;
      while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return condition();
    };

    it('when the process that started it is killed, the embedded FerretDB exits with it, even idle (it used to run on until its next log line)', async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-test-'));
      const holder = spawn(process.execPath, ['--import', 'tsx', 'test/support/embeddedHolder.ts', dataDir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      holder.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      let databasePid: number | undefined;
      try {
        expect(await until(() => /ready \d+/.test(output), 60_000), output).to.equal(true);
        databasePid = Number(/ready (\d+)/.exec(output)![1]);
        const lock = readFileSync(path.join(dataDir, 'db', 'pathways.pid'), 'utf8').split('\n');
        expect(lock[0], 'the app first').to.equal(String(holder.pid));
        expect(lock, 'and its database').to.include(`database ${databasePid}`);
        expect(runs(databasePid, `file:${dataDir}`)).to.equal(true);

        holder.kill('SIGKILL');
        expect(await until(() => !runs(databasePid!, `file:${dataDir}`), 10_000), 'the database, gone').to.equal(true);
        // The next start takes the dead app's lock over.
        const next = await startEmbeddedDatabase({ dataDir });
        await next.stop();
      } finally {
        if (holder.exitCode === null) holder.kill('SIGKILL');
        if (databasePid && runs(databasePid, dataDir)) process.kill(databasePid, 'SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('a start on a lock whose app is gone stops the FerretDB that app left running (named in the lock, its folder on its command line) before starting its own, and leaves alone a process of another program under that pid', async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-test-'));
      const dbDir = path.join(dataDir, 'db');
      mkdirSync(dbDir);
      const socketDir = mkdtempSync(path.join(tmpdir(), 'pathways-db-'));
      // As an app killed on a system where nothing ends its child (or by an earlier version) leaves it.
      const left = spawn(
        ensureFerretDbBinary(),
        [
          '--handler=sqlite',
          `--sqlite-url=file:${dbDir}/`,
          '--listen-addr=',
          `--listen-unix=${path.join(socketDir, 'ferretdb.sock')}`,
          '--debug-addr=-',
          '--state-dir=-',
          '--telemetry=disable',
        ],
        { stdio: 'ignore' },
      );
      const otherProgram = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        expect(await until(() => runs(left.pid!, `file:${dbDir}/`), 10_000)).to.equal(true);
        writeFileSync(path.join(dbDir, 'pathways.pid'), `2147483646\nlock killed-app\ndatabase ${left.pid}\n`);
        const database = await startEmbeddedDatabase({ dataDir });
        try {
          expect(runs(left.pid!, `file:${dbDir}/`), 'the database the dead app left').to.equal(false);
          expect(runs(database.pid!, `file:${dbDir}/`), 'the new one').to.equal(true);
        } finally {
          await database.stop();
        }

        writeFileSync(
          path.join(dbDir, 'pathways.pid'),
          `2147483646\nlock killed-app-2\ndatabase ${otherProgram.pid}\n`,
        );
        const again = await startEmbeddedDatabase({ dataDir });
        await again.stop();
        expect(otherProgram.exitCode, 'a program whose command line names no data folder is not stopped').to.equal(
          null,
        );
      } finally {
        left.kill('SIGKILL');
        otherProgram.kill('SIGKILL');
        rmSync(socketDir, { recursive: true, force: true });
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
