import { z, type ZodType } from 'zod';
import { ValidationError, type FieldError } from '../errors.ts';
import { isObjectId, objectIdPattern } from '../ids.ts';

/** zod issues → our field errors ("records.2.status": "Invalid option ..."). */
export function fieldErrorsFrom(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.code === 'unrecognized_keys' ? `Unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}

/** Parses untrusted input with a zod schema, or throws a 422 ValidationError listing every problem. */
export function parseInput<S extends ZodType>(
  schema: S,
  data: unknown,
  message = 'Some details need correcting.',
): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw new ValidationError(message, fieldErrorsFrom(result.error));
  return result.data;
}

/** A 24-hex ObjectId string. Anything else in an :id is answered 404 by the routes, never 500. */
export const objectId = z.string().regex(objectIdPattern, 'must be an id');
export { isObjectId };

/** Trimmed, non-empty, bounded text. */
export const text = (max = 200) =>
  z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);

/** IANA time zone name, checked against the runtime's zone database. */
export const timezone = z
  .string()
  .trim()
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: zone });
      return zone.includes('/') || zone === 'UTC';
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/London');

/** An email address as typed in a form or an API body: trimmed, at most 320 characters, of the usual shape. */
export const emailAddress = (message = 'must be an email address') =>
  z.string({ error: message }).trim().max(320).pipe(z.email({ message }));

/** YYYY-MM-DD that is a real calendar date. */
export const isoDate = z.iso.date({ message: 'must be a date as YYYY-MM-DD' });
/** ISO 8601 instant with an offset (Z or ±hh:mm). */
export const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with an offset' });

/** List paging: ?limit= (1–200, default 50) and ?cursor=. */
export const paging = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
};
