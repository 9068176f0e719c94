import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import { NotificationDeliveryModel } from '../../../models/NotificationDelivery.ts';
import type { JournalRow } from './due.ts';

/** Who is claiming (shown to admins): host, process and a per-process run id. */
export const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export type ClaimRow = {
  notificationId: Types.ObjectId;
  attempt: number;
  phase: 'claim';
  worker: string;
  at: Date;
  leaseUntil: Date;
};
export type ResultRow = Omit<JournalRow, 'phase'> & { phase: 'result'; worker: string };

/**
 * The journal rows of these notifications (claims and results). With `since` (no row of theirs is older), the
 * query is a plain range instead of an `$in` over thousands of ids, which FerretDB evaluates row by row.
 */
export async function journalOf(ids: Types.ObjectId[], since?: Date): Promise<Map<string, JournalRow[]>> {
  const byId = new Map<string, JournalRow[]>();
  if (!ids.length) return byId;
  const wanted = new Set(ids.map(String));
  const filter = since && ids.length > 50 ? { at: { $gte: since } } : { notificationId: { $in: ids } };
  const rows = await NotificationDeliveryModel.collection.find(filter).toArray();
  for (const row of rows as unknown as JournalRow[]) {
    const key = String(row.notificationId);
    if (!wanted.has(key)) continue;
    const list = byId.get(key);
    if (list) list.push(row);
    else byId.set(key, [row]);
  }
  return byId;
}

function writeErrorIndexes(error: unknown): Set<number> {
  const raw = (error as { writeErrors?: { index: number; code?: number } | { index: number; code?: number }[] })
    .writeErrors;
  if (raw === undefined) throw error;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.some((w) => w.code !== 11000)) throw error;
  return new Set(list.map((w) => w.index));
}

/**
 * Claims attempts by inserting them under the unique (notificationId, attempt, phase) index, in one batch.
 * Returns the rows this process won; a duplicate means another process (or an earlier run) has that attempt.
 */
export async function claim(rows: ClaimRow[]): Promise<ClaimRow[]> {
  if (!rows.length) return [];
  try {
    await NotificationDeliveryModel.collection.insertMany(
      rows.map((r) => ({ ...r })),
      { ordered: false },
    );
    return rows;
  } catch (error) {
    const lost = writeErrorIndexes(error);
    return rows.filter((_, i) => !lost.has(i));
  }
}

/**
 * Pushes the leases of claims this process is still sending forward to `leaseUntil` (never back: `$max`), one
 * atomic update per claim, matched on its unique key and its claimant.
 */
export async function renewClaims(claims: ClaimRow[], leaseUntil: Date): Promise<void> {
  if (!claims.length) return;
  await NotificationDeliveryModel.collection.bulkWrite(
    claims.map((c) => ({
      updateOne: {
        filter: { notificationId: c.notificationId, attempt: c.attempt, phase: 'claim', worker: c.worker },
        update: { $max: { leaseUntil } },
      },
    })),
    { ordered: false },
  );
}

/**
 * Gives back claims this process won and never acted on (it is stopping): their attempts are free again, so the next
 * run, in this process or another, sends them at once rather than when their lease ends. Only rows with no result
 * and none to come are given back, each matched on its claimant: deleting one is as if it had never been claimed.
 */
export async function withdrawClaims(claims: ClaimRow[]): Promise<void> {
  if (!claims.length) return;
  await NotificationDeliveryModel.collection.bulkWrite(
    claims.map((c) => ({
      deleteOne: { filter: { notificationId: c.notificationId, attempt: c.attempt, phase: 'claim', worker: c.worker } },
    })),
    { ordered: false },
  );
}

/** Writes result rows; a duplicate (the same result written twice) is harmless. */
export async function recordResults(rows: ResultRow[]): Promise<void> {
  if (!rows.length) return;
  try {
    await NotificationDeliveryModel.collection.insertMany(
      rows.map((r) => ({ ...r })),
      { ordered: false },
    );
  } catch (error) {
    writeErrorIndexes(error);
  }
}

/**
 * Group commit of results: each send adds its row and goes on; one batch insert is in flight at a time and
 * takes everything that arrived meanwhile (waiting at most `maxDelayMs` for company, so a busy run writes a few
 * hundred rows per insert instead of one). The window between the mail server accepting a message and our
 * record of it is therefore at most about maxDelayMs plus one insert (tens of milliseconds).
 */
export class ResultLog {
  private pending: ResultRow[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;

  constructor(
    private readonly maxDelayMs = 20,
    private readonly batchRows = 200,
  ) {}

  add(row: ResultRow): void {
    this.pending.push(row);
    this.kick(false);
  }

  private kick(force: boolean): void {
    if (this.flushing || !this.pending.length) return;
    if (!force && this.pending.length < this.batchRows) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.kick(true);
      }, this.maxDelayMs);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = recordResults(batch)
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.flushing = undefined;
        this.kick(false);
      });
  }

  /** Waits until every added row is written (throws if a write failed). */
  async drain(): Promise<void> {
    while (this.flushing || this.pending.length) {
      this.kick(true);
      await this.flushing;
    }
    if (this.failure) throw this.failure;
  }
}
