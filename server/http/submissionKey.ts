import type { Request } from 'express';
import { ValidationError } from '../errors.ts';
import { clientKeyPattern } from '../submissions.ts';

/**
 * The key a client gave this create (server/submissions.ts): the API's `Idempotency-Key` header, or a form's hidden
 * `_submission` field (views: `<%= submissionKey() %>`). Undefined when none was sent; a malformed one is a 422
 * naming where it came from.
 */
export function clientSubmissionKey(req: Request): string | undefined {
  const header = req.get('Idempotency-Key');
  if (header !== undefined) {
    if (!clientKeyPattern.test(header))
      throw new ValidationError('Some details need correcting.', [
        { path: 'Idempotency-Key', message: 'must be 8 to 100 letters, digits, dots, colons, dashes or underscores' },
      ]);
    return header;
  }
  const field = (req.body as Record<string, unknown> | undefined)?._submission;
  if (field === undefined || field === '') return undefined;
  if (typeof field !== 'string' || !clientKeyPattern.test(field))
    throw new ValidationError('Some details need correcting.', [
      { path: '_submission', message: 'is not a key this form gave: reload the page and send it again' },
    ]);
  return field;
}
