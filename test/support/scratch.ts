import { accessSync, constants, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** RAM-backed folder on Linux; used only when it has room for a run's databases to spare. */
const ramFolder = '/dev/shm';
const roomNeededBytes = 2 * 1024 ** 3;

/**
 * Where the suite's databases keep their files: a RAM-backed folder when the machine has one with room, else the
 * system's temporary folder. SQLite makes each commit durable with an fsync, which on a VM's disk costs the suite a
 * sixth of its time (test/cohorts: 44 s and 38 s on disk, 37 s and 31 s in RAM, measured in turns). The databases are
 * the same FerretDB and SQLite either way, and thrown away after the run: how durable they are is not under test
 * (test/database/embedded.test.ts starts its own on disk). A container's small /dev/shm (64 MB by default) is passed over.
 */
export function scratchParent(): string {
  try {
    accessSync(ramFolder, constants.W_OK);
    const { bavail, bsize } = statfsSync(ramFolder);
    if (bavail * bsize >= roomNeededBytes) return ramFolder;
  } catch {
    // No such folder (macOS, Windows) or not ours to write: the system's temporary folder.
  }
  return tmpdir();
}
