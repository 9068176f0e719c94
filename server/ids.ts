/**
 * Ids as they travel outside the database: a 24-hex ObjectId string. Anything else in an `:id` is answered 404,
 * never 500, so domain functions check with `isObjectId` before they query. Shared by routes and services alike.
 */
export const objectIdPattern = /^[0-9a-f]{24}$/i;

export const isObjectId = (value: unknown): value is string => typeof value === 'string' && objectIdPattern.test(value);
