import { Types } from 'mongoose';

/**
 * Ids as they travel outside the database: a 24-hex ObjectId string. Anything else in an `:id` is answered 404,
 * never 500, so domain functions check with `isObjectId` before they query. Shared by routes and services alike.
 */
export const objectIdPattern = /^[0-9a-f]{24}$/i;

export const isObjectId = (value: unknown): value is string => typeof value === 'string' && objectIdPattern.test(value);

/** An id as the database stores it: an ObjectId, from its 24-hex string (checked first, see isObjectId) or itself. */
export const oid = (id: string | Types.ObjectId): Types.ObjectId =>
  typeof id === 'string' ? new Types.ObjectId(id) : id;
