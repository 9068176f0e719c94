import { createHash, randomUUID } from 'node:crypto';
import { existsSync, linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One process per embedded data folder. Two FerretDBs on one SQLite folder each cache which collections exist, so a
 * collection one creates is missing for the other ("no such table"), and both fail: a second app or the CLI started
 * beside a running app must be refused, with the way out.
 *
 * The lock is `DATA_DIR/db/pathways.pid`: the app's pid on its first line (as it always was), then `lock <id>`, unique
 * to this holding, and `database <pid>` once the database is started, so that a start after the app was killed can
 * stop a database it left running.
 */
export type DataFolderLock = {
  /** Writes the database's pid into the lock (it is the app's child: the lock is the one record of it). */
  recordDatabase: (pid: number | undefined) => void;
  release: () => void;
};

type LockRecord = { pid: number; id: string; databasePid?: number };

/** Data folders this process holds (a lock file with its own pid, left by an earlier life of the pid, is stale). */
const heldHere = new Set<string>();
/** Takeovers this process is making (a marker with its own pid, left by an earlier life of the pid, is stale). */
const takingOverHere = new Set<string>();

/** Waits this long at most for the processes taking a stale lock over at the same time, then says so. */
const takeoverWaitMs = 30_000;

function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process its parent has not yet reaped (a zombie) still answers the signal; it holds nothing.
  return !/^\d+ \(.*\) Z /s.test(procStat(pid));
}

function procStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

const lockText = (lock: LockRecord): string =>
  `${lock.pid}\nlock ${lock.id}\n${lock.databasePid ? `database ${lock.databasePid}\n` : ''}`;

/** The lock file as written (undefined when there is none); a lock of an earlier version holds a pid alone. */
function readLock(file: string): LockRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const [first = '', ...rest] = text.split('\n');
  const field = (name: string) =>
    rest
      .find((line) => line.startsWith(`${name} `))
      ?.slice(name.length + 1)
      .trim();
  const databasePid = Number(field('database'));
  return {
    pid: Number(first.trim()),
    id: field('lock') ?? text,
    ...(Number.isInteger(databasePid) && databasePid > 0 ? { databasePid } : {}),
  };
}

/**
 * Creates `file` holding `text` unless it exists, atomically and whole: written aside, then hard-linked into place
 * (a link never replaces a file). A lock written in place was briefly empty, and a process reading it then took it for
 * a dead one's.
 */
function createWhole(file: string, text: string): boolean {
  const aside = `${file}.${process.pid}.${randomUUID()}`;
  writeFileSync(aside, text);
  try {
    linkSync(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Locks `dbDir` for this process, taking over a lock whose process is gone; refuses when a live process holds it. */
export async function lockDataFolder(dbDir: string, dataDir: string): Promise<DataFolderLock> {
  const file = path.join(dbDir, 'pathways.pid');
  const mine: LockRecord = { pid: process.pid, id: randomUUID() };
  const giveUpAt = Date.now() + takeoverWaitMs;
  for (;;) {
    if (createWhole(file, lockText(mine))) break;
    const holder = readLock(file);
    // Released (or taken over) since: try again.
    if (!holder) continue;
    if (processIsAlive(holder.pid) || (holder.pid === process.pid && heldHere.has(dbDir)))
      throw new Error(
        `The embedded database in ${dataDir} is already in use by another Pathways process (pid ${holder.pid}). ` +
          'Stop that process first (the CLI needs it stopped too), or run several processes on one MongoDB with MONGODB_URI.',
      );
    if (Date.now() > giveUpAt)
      throw new Error(
        `The embedded database in ${dataDir} is locked by a process that is gone (${file}), and it could not be taken ` +
          'over: another start is still taking it over. Try again once that one has started.',
      );
    await takeOver(file, holder, dbDir);
  }
  heldHere.add(dbDir);
  let released = false;
  return {
    recordDatabase: (pid) => {
      if (released || !pid) return;
      // Replaced whole (a rename), so that a reader never finds it half-written.
      const aside = `${file}.${process.pid}.${randomUUID()}`;
      writeFileSync(aside, lockText({ ...mine, databasePid: pid }));
      renameSync(aside, file);
    },
    release: () => {
      if (released) return;
      released = true;
      heldHere.delete(dbDir);
      rmSync(file, { force: true });
    },
  };
}

/**
 * Removes a lock whose process is gone, once, however many processes found it at the same moment, and stops the
 * database it left running. Removing it by name after reading it let a slower process remove the lock another had
 * just written in its place (3 of 12 trials started two FerretDBs on one folder). Now the process that creates
 * `pathways.pid.takeover-<a hash of the lock's id>` (an exclusive create, as a reminder's claim is a unique insert) takes that
 * lock over; the others wait for it. Only it may remove a lock with that id, and the lock's own process is gone, so a
 * lock file that still holds the id is the stale one. A process that comes to the marker after the takeover finds
 * another id in the file, and leaves it. (A taker killed between its marker and its removal leaves a marker whose pid
 * is gone: it is removed, and the next start takes the lock over; two starts meeting that marker at the same moment is
 * the one order this does not cover.)
 */
async function takeOver(file: string, stale: LockRecord, dbDir: string): Promise<void> {
  const marker = `${file}.takeover-${createHash('sha256').update(stale.id).digest('hex').slice(0, 16)}`;
  if (!createWhole(marker, `${process.pid}\n`)) {
    const taker = readLock(marker)?.pid;
    if (taker === undefined) return;
    if (processIsAlive(taker) || (taker === process.pid && takingOverHere.has(marker))) return void (await sleep(50));
    rmSync(marker, { force: true });
    return;
  }
  takingOverHere.add(marker);
  try {
    if (readLock(file)?.id !== stale.id) return;
    if (stale.databasePid) await stopLeftDatabase(stale.databasePid, dbDir);
    rmSync(file, { force: true });
  } finally {
    takingOverHere.delete(marker);
    rmSync(marker, { force: true });
  }
}

/** A process's arguments, or undefined when there is no such process (a zombie has none). */
function commandLineOf(pid: number): string[] | undefined {
  if (existsSync('/proc/self')) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return args.length ? args : undefined;
    } catch {
      return undefined;
    }
  }
  // No /proc (macOS): ps gives the arguments joined by spaces, which is enough to find the folder's.
  const ps = spawnSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 && ps.stdout.trim() ? ps.stdout.trim().split(/\s+/) : undefined;
}

/** Whether `pid` is a database started on `dbDir` (FerretDB's SQLite URL, or mongod's --dbpath) by startEmbeddedDatabase. */
function servesFolder(pid: number, dbDir: string): boolean {
  const args = commandLineOf(pid);
  if (!args) return false;
  return (
    args.some((arg) => arg.startsWith(`--sqlite-url=file:${dbDir}/`)) ||
    args.some((arg, i) => arg === '--dbpath' && args[i + 1] === dbDir)
  );
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Stops the database an app left running when it was killed (nothing stopped its child; FerretDB exits by itself only
 * at its next log line, which an idle one may never write), before a second one starts on the same files. Only a
 * process whose command line names this folder is touched: the pid may since belong to another program.
 */
async function stopLeftDatabase(pid: number, dbDir: string): Promise<void> {
  if (!servesFolder(pid, dbDir)) return;
  signal(pid, 'SIGTERM');
  const killAt = Date.now() + 10_000;
  let killed = false;
  while (servesFolder(pid, dbDir)) {
    if (!killed && Date.now() > killAt) {
      signal(pid, 'SIGKILL');
      killed = true;
    }
    if (Date.now() > killAt + 10_000)
      throw new Error(`The database left running on ${dbDir} (pid ${pid}) did not stop; stop it, then start again.`);
    await sleep(50);
  }
}
