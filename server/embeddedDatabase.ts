import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import { boundedLogFile } from './boundedLog.ts';
import { lockDataFolder, type DataFolderLock } from './dataFolderLock.ts';

/**
 * Starts the database the app uses when MONGODB_URI is not set: FerretDB 1.24.2 on SQLite (built once from the
 * Go module proxy by tools/ferretdb/build.sh), or a local `mongod` when there is one and no Go.
 */
export type EmbeddedDatabase = {
  uri: string;
  kind: 'ferretdb' | 'mongod';
  /** The database's process: benches read its CPU time (bench/queries.ts --cost). */
  pid: number | undefined;
  stop: () => Promise<void>;
};

/** `DATA_DIR/database.log` is kept below this; at it the log becomes `database.log.1`, replacing the one before. */
export const databaseLogMaxBytes = 10 * 1024 * 1024;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const noDatabaseMessage =
  'Pathways needs a MongoDB-compatible database and found none. Choose one of three ways out: ' +
  '(1) set MONGODB_URI to a MongoDB you run (for example mongodb://127.0.0.1:27017/pathways, a replica set or Atlas); ' +
  "(2) install Go 1.24 or newer (https://go.dev/dl; Debian 12's own golang package is 1.19, too old) so Pathways can build its " +
  'embedded FerretDB once from the Go module proxy; or (3) install MongoDB so that `mongod` is on your PATH, and ' +
  'Pathways will start it under DATA_DIR.';

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Builds (once per pinned version) and returns the path of the FerretDB binary. */
export function ensureFerretDbBinary(): string {
  const result = spawnSync('bash', [path.join(root, 'tools/ferretdb/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`Building FerretDB failed (exit ${result.status}); see the output above.`);
  return result.stdout.trim().split('\n').at(-1)!;
}

/**
 * Both of the database's output streams into its log. Neither pipe may end the log (a pipe ends its destination when
 * its source ends, and the other stream would then write after the end): it is ended once the process has closed both.
 * Resolves when the log's last line is written and its file closed: the database's goodbye lines arrive after it
 * exits, and a stop that resolved before them let the caller remove DATA_DIR while the log was still being written
 * (it came back as a new database.log, and the removal failed with ENOTEMPTY).
 */
function logOutputOf(child: ChildProcess, log: Writable): Promise<void> {
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once('close', () => log.end());
  return new Promise((resolve) => {
    log.once('finish', resolve);
    log.once('error', () => resolve());
  });
}

/** Waits for a child process to print "Listening on Unix <path>" (FerretDB) or mongod's waiting line. */
function waitForListening(child: ChildProcess, pattern: RegExp, logFile: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`database did not start within ${timeoutMs} ms; see ${logFile}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = pattern.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
      if (buffer.length > 100_000) buffer = buffer.slice(-10_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`database exited with code ${code} before it was ready; see ${logFile}`));
    });
  });
}

/**
 * The command that starts the database as a child that ends with the app, however the app ends (kill -9 included): on
 * Linux, setpriv (util-linux) asks the kernel to send it SIGTERM when the app dies, then becomes the database (the same
 * process and pid). FerretDB has no option to exit with its parent or when its input closes: after a kill -9 of the
 * app it ran on until its next log line met the closed pipe, and an idle one, writing none, ran on beside the next
 * start's. Elsewhere the start after such a kill stops it (the lock records its pid: ./dataFolderLock.ts).
 */
function exitingWithApp(command: string, args: string[]): [string, string[]] {
  const setpriv = ['--pdeathsig', 'TERM', '--'];
  // Tried first: util-linux before 2.33 has setpriv without --pdeathsig, and the database would not start at all.
  const available = process.platform === 'linux' && spawnSync('setpriv', [...setpriv, 'true']).status === 0;
  return available ? ['setpriv', [...setpriv, command, ...args]] : [command, args];
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/**
 * Starts FerretDB with its data under `dataDir`, listening on a Unix socket only, or mongod on a free loopback port.
 * FerretDB has no authentication of its own: a loopback port would let every account on the machine read and write
 * the whole database, while the socket sits in a directory only this account may enter (mkdtemp makes it 0700). It
 * lives in the temporary directory, not in `dataDir`, because a socket's path is limited to about 100 bytes.
 * `memory` keeps SQLite in memory (tests), so nothing is left on disk. `ferretDbArgs` are added to FerretDB's flags.
 */
/** SQLite mmap for the embedded FerretDB's files: reads map them instead of copying pages (see sqliteParameters). */
export const sqliteMmapBytes = 1024 * 1024 * 1024;

/**
 * SQLite settings of the embedded database, on top of FerretDB's own (WAL, busy timeout): pages read through a memory
 * map of the file (`mmap_size`) rather than copied into each connection's page cache by a read call. Measured with
 * `npm run bench:queries -- --cost` (two runs each way, alternating): the CPU FerretDB spends on a page's reads fell by
 * 8-12% (the directory's 5,210 and 5,100 µs to 4,410 and 4,940); a larger page cache instead gave nothing. The map is
 * of address space, not memory: the kernel's page cache holds the pages either way.
 */
function sqliteParameters(memory: boolean | undefined): string {
  const parameters = new URLSearchParams();
  if (memory) parameters.append('mode', 'memory');
  parameters.append('_pragma', `mmap_size(${sqliteMmapBytes})`);
  return parameters.toString();
}

/** Go threads for the embedded FerretDB: every core but the one the app's JavaScript runs on, and at least one. */
export const embeddedGoThreads = (cores = availableParallelism()): number => Math.max(1, cores - 1);

export async function startEmbeddedDatabase(opts: {
  dataDir: string;
  memory?: boolean;
  ferretDbArgs?: string[];
  /**
   * Called when the database exits without being asked to (killed, crashed), with how it ended; its folder and lock
   * are tidied first. The app exits then: left running it would answer 503 for ever, and nothing would restart it.
   */
  onUnexpectedExit?: (how: string) => void;
  /** Tests only: a smaller bound for `database.log` than databaseLogMaxBytes. */
  logMaxBytes?: number;
}): Promise<EmbeddedDatabase> {
  const dbDir = path.join(opts.dataDir, 'db');
  mkdirSync(dbDir, { recursive: true });
  // In memory nothing is shared on disk.
  const lock: DataFolderLock = opts.memory
    ? { recordDatabase: () => undefined, release: () => undefined }
    : await lockDataFolder(dbDir, opts.dataDir);
  try {
    return await startIn(dbDir, opts, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startIn(
  dbDir: string,
  opts: {
    dataDir: string;
    memory?: boolean;
    ferretDbArgs?: string[];
    onUnexpectedExit?: (how: string) => void;
    logMaxBytes?: number;
  },
  lock: DataFolderLock,
): Promise<EmbeddedDatabase> {
  const release = lock.release;
  const logFile = path.join(opts.dataDir, 'database.log');
  const log = boundedLogFile(logFile, opts.logMaxBytes ?? databaseLogMaxBytes);

  if (onPath('go')) {
    const binary = ensureFerretDbBinary();
    const socketDir = mkdtempSync(path.join(tmpdir(), 'pathways-db-'));
    const socket = path.join(socketDir, 'ferretdb.sock');
    const args = [
      '--handler=sqlite',
      `--sqlite-url=file:${dbDir}/?${sqliteParameters(opts.memory)}`,
      // No TCP listener at all: the socket only.
      '--listen-addr=',
      `--listen-unix=${socket}`,
      '--debug-addr=-',
      '--state-dir=-',
      '--telemetry=disable',
      '--log-level=info',
      '--log-format=text',
      // tests only: e.g. --test-disable-pushdown for a reference server that filters every document in Go
      ...(opts.ferretDbArgs ?? []),
    ];
    // DO_NOT_TRACK as well: telemetry stays off even if a future flag default changes.
    const child = spawn(...exitingWithApp(binary, args), {
      stdio: ['ignore', 'pipe', 'pipe'],
      // GOGC=400: FerretDB allocates heavily per document read, and its heap is small; collecting a quarter as often
      // cut its CPU per query by a quarter in our measurements (patch 0005's header). GOMAXPROCS: it shares the
      // machine with the app, whose process runs JavaScript on one core, so it runs Go on the others (at least one);
      // on 2 cores one Go thread spent less CPU per query than two (goroutines handed between threads, futex wake-ups)
      // and every page's share of /healthz rose (README, Benchmarks). An operator's GOGC or GOMAXPROCS wins.
      env: { GOGC: '400', GOMAXPROCS: String(embeddedGoThreads()), ...process.env, DO_NOT_TRACK: '1' },
    });
    lock.recordDatabase(child.pid);
    const logClosed = logOutputOf(child, log);
    const stop = stopper(child);
    let stopping = false;
    const tidy = () => {
      rmSync(socketDir, { recursive: true, force: true });
      release();
    };
    const stopAndTidy = () => {
      stopping = true;
      return stop()
        .then(() => logClosed)
        .then(tidy);
    };
    try {
      await waitForListening(child, /Listening on Unix (\S+?)\.\.\./, logFile);
    } catch (error) {
      await stopAndTidy();
      throw error;
    }
    child.once('exit', (code, signal) => {
      if (stopping) return;
      tidy();
      opts.onUnexpectedExit?.(signal ? `killed by ${signal}` : `exit code ${code}`);
    });
    // The driver reads a host that ends in .sock as a socket path; it must be percent-encoded in the URI.
    return { uri: `mongodb://${encodeURIComponent(socket)}/`, kind: 'ferretdb', pid: child.pid, stop: stopAndTidy };
  }

  if (onPath('mongod')) {
    const port = 27000 + Math.floor(Math.random() * 1000);
    const child = spawn(
      ...exitingWithApp('mongod', ['--bind_ip', '127.0.0.1', '--port', String(port), '--dbpath', dbDir]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    lock.recordDatabase(child.pid);
    const logClosed = logOutputOf(child, log);
    await waitForListening(child, /(Waiting for connections)/, logFile);
    const stop = stopper(child);
    let stopping = false;
    child.once('exit', (code, signal) => {
      if (stopping) return;
      release();
      opts.onUnexpectedExit?.(signal ? `killed by ${signal}` : `exit code ${code}`);
    });
    return {
      uri: `mongodb://127.0.0.1:${port}/`,
      kind: 'mongod',
      pid: child.pid,
      stop: () => {
        stopping = true;
        return stop()
          .then(() => logClosed)
          .then(release);
      },
    };
  }

  throw new Error(noDatabaseMessage);
}
