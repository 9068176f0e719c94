import mongoose, { type Types } from 'mongoose';
import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';

/**
 * The public list's read model: every signature that counts (confirmed, not hidden), a few small fields each,
 * kept in this process's memory in list order (nameKey, id).
 *
 * Why: on FerretDB 1.x with SQLite, a filtered, sorted find or a $match+$group over 20,000 signatures reads
 * and decodes every document (no sort pushdown, no covered queries) and took seconds under load. Filtering,
 * counting and paging 20,000 small rows in memory takes about a millisecond. Writes made through this process
 * patch the snapshot at once (one read by _id); writes by other processes show up within `refreshMs`, when
 * the snapshot is rebuilt in the background while the old one keeps serving.
 */
export type SnapshotRow = {
  id: string;
  kind: 'organisation' | 'individual';
  name: string;
  nameLower: string;
  nameKey: string;
  organisationType?: string;
  region: string;
  country: string;
  confirmedAt: Date;
  listed: boolean;
};
type Snapshot = { db: string; builtAt: number; rows: SnapshotRow[] };

const refreshMs = 5 * 60_000;
const fields = { kind: 1, name: 1, nameKey: 1, organisationType: 1, region: 1, country: 1, confirmedAt: 1, listed: 1 } as const;
let current: Snapshot | undefined;
let building: Promise<Snapshot> | undefined;
/** Bumped by invalidateSnapshot: a build that started before it is not trusted as fresh. */
let generation = 0;
let builtGeneration = -1;

type Doc = { _id: Types.ObjectId; kind: string; name: string; nameKey: string; organisationType?: string | null; region: string; country: string; confirmedAt?: Date | null; listed: boolean };
const toRow = (d: Doc): SnapshotRow => ({
  id: String(d._id), kind: d.kind as SnapshotRow['kind'], name: d.name, nameLower: d.name.toLowerCase(), nameKey: d.nameKey,
  ...(d.organisationType ? { organisationType: d.organisationType } : {}), region: d.region, country: d.country, confirmedAt: d.confirmedAt ?? new Date(0), listed: d.listed,
});

export const compareRows = (a: { nameKey: string; id: string }, b: { nameKey: string; id: string }): number =>
  a.nameKey < b.nameKey ? -1 : a.nameKey > b.nameKey ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

function build(): Promise<Snapshot> {
  if (building) return building;
  const started = generation;
  const db = mongoose.connection.name;
  building = (async () => {
    const docs = await PledgeSignatureModel.find({ status: 'confirmed', hidden: false }).select(fields).lean<Doc[]>();
    const snapshot = { db, builtAt: Date.now(), rows: docs.map(toRow).sort(compareRows) };
    if (mongoose.connection.name === db) {
      current = snapshot;
      builtGeneration = started;
    }
    return snapshot;
  })().finally(() => {
    building = undefined;
  });
  return building;
}

/** The rows, fresh for this process's own writes; at most `refreshMs` behind other processes' writes. */
export async function snapshotRows(): Promise<SnapshotRow[]> {
  const db = mongoose.connection.name;
  if (!current || current.db !== db || builtGeneration !== generation) {
    let snapshot = await build();
    // A write (or another database) arrived while that build ran: build once more.
    if (snapshot.db !== db || builtGeneration !== generation) snapshot = await build();
    return snapshot.rows;
  }
  if (Date.now() - current.builtAt > refreshMs) void build().catch(() => undefined);
  return current.rows;
}

/** Forget the snapshot (after writes made behind the services' back: imports, tests). */
export function invalidateSnapshot(): void {
  generation++;
}

/** Re-reads one signature and puts it in (or takes it out of) the snapshot, after a write through this process. */
export async function patchSnapshot(id: Types.ObjectId | string): Promise<void> {
  const snapshot = current;
  if (!snapshot || snapshot.db !== mongoose.connection.name || building) {
    invalidateSnapshot();
    return;
  }
  const doc = await PledgeSignatureModel.findOne({ _id: id, status: 'confirmed', hidden: false }).select(fields).lean<Doc>();
  const key = String(id);
  const rows = snapshot.rows.filter((r) => r.id !== key);
  if (doc) {
    const row = toRow(doc);
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareRows(rows[mid]!, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    rows.splice(lo, 0, row);
  }
  // Replace the array rather than mutate it: a request paging through the old one is not disturbed.
  if (current === snapshot) current = { ...snapshot, rows };
}
