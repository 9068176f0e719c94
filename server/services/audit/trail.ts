import { Types } from 'mongoose';
import { AuditEventModel, type AuditAction } from '../../../models/AuditEvent.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../../pagination.ts';

/** How an event reads in the API, the admin page and the CSV. */
export type AuditEventView = {
  id: string;
  at: string;
  actor: { id: string; name: string } | null;
  action: AuditAction;
  target: { type: string; id: string } | null;
  ip: string | null;
  detail: string;
};

type Row = {
  _id: Types.ObjectId;
  at: Date;
  action: string;
  actorId?: Types.ObjectId | null;
  actorName?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  detail?: string | null;
};

export function presentAuditEvent(e: Row): AuditEventView {
  return {
    id: String(e._id),
    at: e.at.toISOString(),
    actor: e.actorId ? { id: String(e.actorId), name: e.actorName ?? '' } : null,
    action: e.action as AuditAction,
    target: e.targetType && e.targetId ? { type: e.targetType, id: e.targetId } : null,
    ip: e.ip ?? null,
    detail: e.detail ?? '',
  };
}

export type AuditFilter = {
  actorId?: string;
  targetId?: string;
  /** Either side: the person did it or it was done to her (the admin page's "person"). */
  personId?: string;
  action?: AuditAction;
  since?: Date;
  /** Exclusive end. */
  until?: Date;
};

function queryOf(filter: AuditFilter, extra: Record<string, unknown>[] = []): Record<string, unknown> {
  const and: Record<string, unknown>[] = [];
  // The most selective indexed equality first: FerretDB answers that one from its index (actorId, targetId, action
  // each lead an index with `at`).
  if (filter.actorId) and.push({ actorId: new Types.ObjectId(filter.actorId) });
  if (filter.targetId) and.push({ targetId: filter.targetId });
  if (filter.action) and.push({ action: filter.action });
  if (filter.personId)
    and.push({ $or: [{ actorId: new Types.ObjectId(filter.personId) }, { targetId: filter.personId }] });
  if (filter.since || filter.until)
    and.push({
      at: { ...(filter.since ? { $gte: filter.since } : {}), ...(filter.until ? { $lt: filter.until } : {}) },
    });
  and.push(...extra);
  return and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and };
}

/** A page of events, newest first, keyset-paged. */
export async function searchAuditEvents(
  props: AuditFilter & { limit: number; cursor?: string },
): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
  // The cursor is the last event's (at, id): events are ordered newest first by when they happened.
  const after = decodeTimeCursor(props.cursor);
  // The `at` bound repeats what the `$or` says, so an index on `at` is read from the cursor on, not from the top.
  const cursor = after
    ? [{ at: { $lte: after.at } }, { $or: [{ at: { $lt: after.at } }, { at: after.at, _id: { $lt: after.id } }] }]
    : [];
  return page(queryOf(props, cursor), props.limit);
}

async function page(query: Record<string, unknown>, limit: number) {
  const rows = await AuditEventModel.find(query)
    .sort({ at: -1, _id: -1 })
    .limit(limit + 1)
    .lean();
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return {
    items: shown.map(presentAuditEvent),
    nextCursor: more ? encodeTimeCursor(shown.at(-1)!.at, shown.at(-1)!._id) : null,
  };
}

/** Every event the filter matches, newest first, up to `max` (the CSV export). */
export async function exportAuditEvents(props: AuditFilter & { max: number }): Promise<AuditEventView[]> {
  const rows = await AuditEventModel.find(queryOf(props)).sort({ at: -1, _id: -1 }).limit(props.max).lean();
  return rows.map(presentAuditEvent);
}
