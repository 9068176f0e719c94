import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { PledgeListVersionModel } from '../../../models/PledgeListVersion.ts';
import { isDuplicateKeyError } from '../../db.ts';

/**
 * A cache of the public list's pages and counts that is correct with several app processes: an entry is used only
 * while the list's version document (models/PledgeListVersion.ts) still reads what it read when the entry was built.
 * Why it exists (measured, see README "The Pledge"): FerretDB 1.24 answers from an index only equality and `$in` on
 * a field that leads it, not a sort, so the first alphabetical page of 20,000 confirmed signatures reads and sorts
 * all of them in Go on every request. On MongoDB the same queries are index range scans and the cache only saves
 * a few milliseconds.
 */
const id = 'pledge-list';
const maxEntries = 500;
type Entry = { stamp: string; value: Promise<unknown> };
const entries = new Map<string, Entry>();

/** Reads the stamp (database, epoch, version) by `_id`, creating the document the first time. */
async function currentStamp(): Promise<string> {
  let doc: { epoch: string; version: number } | null = await PledgeListVersionModel.findById(id).lean();
  if (!doc) {
    try {
      doc = (await PledgeListVersionModel.create({ _id: id, epoch: randomUUID(), version: 0 })).toObject();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      doc = await PledgeListVersionModel.findById(id).lean();
      if (!doc) throw error;
    }
  }
  return `${mongoose.connection.name}:${doc.epoch}:${doc.version}`;
}

/**
 * The cached answer for `key` if the list has not changed since it was computed, else `compute()` (once per key and
 * version in this process: concurrent requests share one computation). The stamp is read before computing, so a
 * change that lands during the computation moves the version past it and the next request computes again.
 */
export async function cachedListQuery<T>(key: string, compute: () => Promise<T>): Promise<T> {
  const stamp = await currentStamp();
  const known = entries.get(key);
  if (known && known.stamp === stamp) return known.value as Promise<T>;
  const value = compute();
  entries.delete(key);
  if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
  entries.set(key, { stamp, value });
  // A failed computation is not kept: the next request tries again.
  value.catch(() => {
    if (entries.get(key)?.value === value) entries.delete(key);
  });
  return value;
}

/** Called after every write that can change the public list or its counts (after the write, never before). */
export async function listChanged(): Promise<void> {
  try {
    await PledgeListVersionModel.updateOne(
      { _id: id },
      { $inc: { version: 1 }, $setOnInsert: { epoch: randomUUID() } },
      { upsert: true },
    );
  } catch (error) {
    // Two first upserts at once: one inserted; the other's $inc now finds the document.
    if (!isDuplicateKeyError(error)) throw error;
    await PledgeListVersionModel.updateOne({ _id: id }, { $inc: { version: 1 } });
  }
}
