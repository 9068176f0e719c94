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

/** Given limit+1 rows, returns the page and the next cursor. */
export function pageOf<T extends { _id: Types.ObjectId }>(
  rows: T[],
  limit: number,
): { rows: T[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  return { rows: page, nextCursor: hasMore ? encodeCursor(page[page.length - 1]!._id) : null };
}
