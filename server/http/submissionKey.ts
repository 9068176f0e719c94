import type { Request } from 'express';
import { ValidationError } from '../errors.ts';
import { clientKeyPattern, withFingerprint, type SentFile } from '../submissions.ts';

type Upload = { fieldname: string; originalname: string; buffer: Buffer };

/** The files a multipart request carried (server/http/uploads.ts keeps them in memory), for the fingerprint. */
function sentFiles(req: Request): SentFile[] {
  const { file, files } = req as Request & { file?: Upload; files?: Upload[] | Record<string, Upload[]> };
  const all = [...(file ? [file] : []), ...(Array.isArray(files) ? files : Object.values(files ?? {}).flat())];
  return all.map((f) => ({ field: f.fieldname, name: f.originalname, bytes: f.buffer }));
}

/**
 * The key a client gave this create (server/submissions.ts): the API's `Idempotency-Key` header, or a form's hidden
 * `_submission` field (views: `<%= submissionKey() %>`). Undefined when none was sent; a malformed one is a 422
 * naming where it came from. The key goes on with a hash of the body and files it came with (without the form's
 * `_csrf` and `_submission`), so that the key sent again with other content, or only another file, is refused
 * (SubmissionReusedError), not mistaken for a repeat.
 */
export function clientSubmissionKey(req: Request): string | undefined {
  const header = req.get('Idempotency-Key');
  if (header !== undefined) {
    if (!clientKeyPattern.test(header))
      throw new ValidationError('Some details need correcting.', [
        { path: 'Idempotency-Key', message: 'must be 8 to 100 letters, digits, dots, colons, dashes or underscores' },
      ]);
    return withFingerprint(header, req.body, sentFiles(req));
  }
  const field = (req.body as Record<string, unknown> | undefined)?._submission;
  if (field === undefined || field === '') return undefined;
  if (typeof field !== 'string' || !clientKeyPattern.test(field))
    throw new ValidationError('Some details need correcting.', [
      { path: '_submission', message: 'is not a key this form gave: reload the page and send it again' },
    ]);
  const { _csrf: _token, _submission: _key, ...content } = req.body as Record<string, unknown>;
  return withFingerprint(field, content, sentFiles(req));
}
