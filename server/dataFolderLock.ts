import { createHash, randomUUID } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One process per embedded data folder. Two FerretDBs on one SQLite folder each cache which collections exist, so a
 * collection one creates is missing for the other ("no such table"), and both fail: a second app or the CLI started
 * beside a running app must be refused, with the way out.
 *
 * The lock is `DATA_DIR/db/pathways.pid`: the app's pid on its first line (as it always was), then `lock <id>`, unique
 * to this holding.
 */
export type DataFolderLock = { release: () => void };

type LockRecord = { pid: number; id: string };

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
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const lockText = (lock: LockRecord): string => `${lock.pid}\nlock ${lock.id}\n`;

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
  return { pid: Number(first.trim()), id: field('lock') ?? text };
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
    await takeOver(file, holder);
  }
  heldHere.add(dbDir);
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      heldHere.delete(dbDir);
      rmSync(file, { force: true });
    },
  };
}

/**
 * Removes a lock whose process is gone, once, however many processes found it at the same moment. Removing it by name after reading it let a slower process remove the lock another had
 * just written in its place (3 of 12 trials started two FerretDBs on one folder). Now the process that creates
 * `pathways.pid.takeover-<the lock's id>` (an exclusive create, as a reminder's claim is a unique insert) takes that
 * lock over; the others wait for it. Only it may remove a lock with that id, and the lock's own process is gone, so a
 * lock file that still holds the id is the stale one. A process that comes to the marker after the takeover finds
 * another id in the file, and leaves it. (A taker killed between its marker and its removal leaves a marker whose pid
 * is gone: it is removed, and the next start takes the lock over; two starts meeting that marker at the same moment is
 * the one order this does not cover.)
 */
async function takeOver(file: string, stale: LockRecord): Promise<void> {
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
    rmSync(file, { force: true });
  } finally {
    takingOverHere.delete(marker);
    rmSync(marker, { force: true });
  }
}
