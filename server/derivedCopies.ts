/**
 * Derived copies: a record that keeps a copy of what other records say, so a page reads one document instead of
 * several (a network's leads, a programme's outline, her progress on her enrolment; README "Derived records"). The
 * one place for how such a copy is written with several processes:
 * - every writer of a source (a lead's row, a module, a completion) writes it first, then moves the copy's version on
 *   (`$inc`) and writes the copy again;
 * - the copy is computed after reading that version, and written only over it (one conditional write), so a copy
 *   computed before a change that completed meanwhile matches nothing and is computed again: the copy stored is never
 *   older than the last change whose writer has returned;
 * - writing it again is idempotent, so a periodic repair heals a copy left behind by a process that stopped between a
 *   change and its copy.
 */

/** How often a copy is computed again when changes keep landing while it is computed; the last change's writer follows. */
const copyAttempts = 5;

export async function writeCopyOverVersion<T>(props: {
  /** The version stored now (null: a record stored before it had one), or undefined when the record is gone. */
  readVersion: () => Promise<number | null | undefined>;
  /** The copy, from the sources as they are now. */
  compute: () => Promise<T>;
  /** Writes the copy only where the version is still `version` (null matches a missing field); true when it did. */
  writeOver: (version: number | null, copy: T) => Promise<boolean>;
}): Promise<void> {
  for (let attempt = 0; attempt < copyAttempts; attempt++) {
    const version = await props.readVersion();
    if (version === undefined) return;
    const copy = await props.compute();
    if (await props.writeOver(version, copy)) return;
  }
}
