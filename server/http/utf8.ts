import { isUtf8 } from 'node:buffer';
import { unescape as unescapeQueryText } from 'node:querystring';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { NotUtf8Error, type FieldError } from '../errors.ts';
import { isApiRequest } from './errorHandler.ts';

/**
 * Text comes to Pathways as UTF-8, and bytes that are not UTF-8 are refused, never read as something else. Decoded
 * leniently, as body-parser and Node's querystring do, each such byte became U+FFFD: a title sent as `Bad \xff\xfe` was
 * stored as "Bad ��" with a 201, the bytes the client sent lost without notice, and the lone surrogate that
 * `\xed\xa0\x80` encodes was stored as "���" though the same character written `"\ud800"` is a 422 (notText). A
 * browser encodes what is typed in a page as UTF-8, so only a script or a hand-made address meets these refusals.
 */
const messages = {
  apiBody: 'The request body is not valid UTF-8: send its text encoded as UTF-8. Nothing was saved.',
  formBody:
    'This form sent text that is not valid UTF-8, so Pathways could not read it and nothing was saved. Go back to the form, reload the page and send it again.',
  apiQuery: 'The query string is not valid UTF-8: percent-encode the UTF-8 bytes of its text.',
  pageQuery: 'This address holds text that is not valid UTF-8, so the page could not be shown. Check the link.',
  field: (escapes: string) => `is not valid UTF-8: ${escapes} are not the UTF-8 bytes of a character`,
};

/** A run of percent-escapes ("%C3%A9"): the bytes of one character are always escaped side by side. */
const percentEscapeRuns = /(?:%[0-9A-Fa-f]{2})+/g;

/** The first run of percent-escapes in this text whose bytes are not UTF-8 ("%FF%FE"), if any. */
function escapesNotUtf8(text: string): string | undefined {
  for (const [run] of text.matchAll(percentEscapeRuns))
    if (!isUtf8(Buffer.from(run.replaceAll('%', ''), 'hex'))) return run;
  return undefined;
}

/**
 * The parameters of urlencoded text (a query string, a form's body) whose name or value percent-encodes bytes that are
 * not UTF-8, each named as it reads (qs and querystring kept "%FF" as typed or made it U+FFFD).
 */
function parametersNotUtf8(urlencoded: string): FieldError[] {
  if (!urlencoded.includes('%')) return [];
  return urlencoded.split('&').flatMap((parameter) => {
    const escapes = escapesNotUtf8(parameter);
    if (!escapes) return [];
    const [name = ''] = parameter.split('=', 1);
    const path = escapesNotUtf8(name) ? name : unescapeQueryText(name.replaceAll('+', ' '));
    return [{ path, message: messages.field(escapes) }];
  });
}

/**
 * The body parsers' `verify` (server/http/bodies.ts), given the body's bytes before they are decoded: a JSON or
 * urlencoded body sent as UTF-8 must be UTF-8, and a form's percent-escapes too. A form declared ISO-8859-1, or JSON
 * in UTF-16, decodes without loss and is read as it says.
 */
export function refuseBodyNotUtf8(req: IncomingMessage, _res: ServerResponse, body: Buffer, charset: string): void {
  if (charset !== 'utf-8') return;
  const request = req as Request;
  const message = isApiRequest(request) ? messages.apiBody : messages.formBody;
  if (!isUtf8(body)) throw new NotUtf8Error(message);
  if (!request.is('application/x-www-form-urlencoded')) return;
  const fields = parametersNotUtf8(body.toString('utf8'));
  if (fields.length) throw new NotUtf8Error(message, fields);
}

/**
 * A query string whose escapes are not UTF-8 is refused with the parameters named, on every route (each reads its
 * query its own way). Mounted after the session is read, so a page says it to her signed in.
 */
export function refuseQueryNotUtf8(req: Request, _res: Response, next: NextFunction): void {
  const start = req.originalUrl.indexOf('?');
  const parameters = start < 0 ? [] : parametersNotUtf8(req.originalUrl.slice(start + 1));
  if (!parameters.length) return next();
  next(new NotUtf8Error(isApiRequest(req) ? messages.apiQuery : messages.pageQuery, parameters));
}
