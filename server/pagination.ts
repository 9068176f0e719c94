import { Types } from 'mongoose';
import { ValidationError } from './errors.ts';

/**
 * Keyset pagination on _id (descending or ascending). The cursor is the last id of the previous page,
 * base64url-encoded so clients treat it as opaque.
 */
export function decodeCursor(cursor: string | undefined): Types.ObjectId | undefined {
  if (!cursor) return undefined;
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{24}$/.test(raw))
    throw new ValidationError('The cursor is not valid.', [
      { path: 'cursor', message: 'is not a cursor from this API' },
    ]);
  return new Types.ObjectId(raw);
}

export function encodeCursor(id: Types.ObjectId | string): string {
  return Buffer.from(String(id), 'utf8').toString('base64url');
}

/**
 * A place in a list ordered by a time and then by id (the audit trail by when, notifications by send time, a network's
 * events by start): the last row's (time, id), base64url-encoded as the id cursor is. Used where the time can be the
 * same for many rows, or where a row's time can change between pages (a rescheduled event): the cursor carries the
 * time the row was read at, so a walk neither skips nor repeats the rows around it.
 */
export type TimePosition = { at: Date; id: Types.ObjectId };

export const encodeTimeCursor = (at: Date, id: Types.ObjectId | string): string =>
  Buffer.from(`${at.toISOString()}|${String(id)}`, 'utf8').toString('base64url');

export function decodeTimeCursor(cursor: string | undefined): TimePosition | undefined {
  if (!cursor) return undefined;
  const match = /^([+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|([0-9a-f]{24})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  const at = match ? new Date(match[1]!) : undefined;
  if (!match || !at || Number.isNaN(at.getTime()))
    throw new ValidationError('The cursor is not valid.', [
      { path: 'cursor', message: 'is not a cursor from this API' },
    ]);
  return { at, id: new Types.ObjectId(match[2]) };
}

/** Given limit+1 rows, returns the page and the next cursor. */
export function pageOf<T extends { _id: Types.ObjectId }>(
  rows: T[],
  limit: number,
): { rows: T[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  return { rows: page, nextCursor: hasMore ? encodeCursor(page[page.length - 1]!._id) : null };
}

/**
 * The same keyset page over rows already in memory (a short list filtered or computed here, such as a report's rows
 * or the programmes one person may see): the rows in id order after the cursor, `limit` of them, and the next cursor.
 */
export function pageInMemory<T>(
  rows: T[],
  props: { limit: number; cursor?: string },
  idOf: (row: T) => Types.ObjectId | string,
): { rows: T[]; nextCursor: string | null } {
  const after = decodeCursor(props.cursor)?.toHexString();
  const keyed = rows
    .map((row) => ({ _id: new Types.ObjectId(String(idOf(row))), row }))
    .filter((r) => !after || r._id.toHexString() > after)
    .sort((a, b) => (a._id.toHexString() < b._id.toHexString() ? -1 : 1));
  const page = pageOf(keyed.slice(0, props.limit + 1), props.limit);
  return { rows: page.rows.map((r) => r.row), nextCursor: page.nextCursor };
}

/**
 * A page of a short list kept in its own order (sessions by start time), which an id cursor cannot seek: the rows
 * after the one the cursor names, `limit` of them. A cursor naming a row no longer in the list is a 422 (start again).
 */
export function pageInListOrder<T>(
  rows: T[],
  props: { limit: number; cursor?: string },
  idOf: (row: T) => Types.ObjectId | string,
): { rows: T[]; nextCursor: string | null } {
  const after = decodeCursor(props.cursor)?.toHexString();
  const start = after === undefined ? 0 : rows.findIndex((row) => String(idOf(row)) === after) + 1;
  if (start === 0 && after !== undefined)
    throw new ValidationError('The cursor is not valid.', [
      { path: 'cursor', message: 'names nothing in this list any more: start from the first page' },
    ]);
  const page = rows.slice(start, start + props.limit);
  const hasMore = start + props.limit < rows.length;
  return { rows: page, nextCursor: hasMore ? encodeCursor(String(idOf(page[page.length - 1]!))) : null };
}
