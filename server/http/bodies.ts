import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { UnsupportedMediaTypeError } from '../errors.ts';
import { isApiRequest } from './errorHandler.ts';
import { multipartForms } from './uploads.ts';
import { refuseBodyNotUtf8 } from './utf8.ts';

/**
 * The methods whose requests carry a body we read. Others are never parsed, so a GET cannot fail on its body. A DELETE
 * may confirm itself with a body (API.md: `DELETE /me/mfa { otp }`, `DELETE /me { password }`).
 */
export const bodyMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * An API request whose body is neither JSON (API.md: JSON in and out) nor multipart (a certificate sent with its file)
 * is a 415. One none of the parsers read (text/plain, application/merge-patch+json, XML) was read as no body at all:
 * `PATCH /users/:id` with `{"status":"disabled"}` answered 200 and changed nothing. A urlencoded form's was read as a
 * form and acted on, outside the contract.
 */
const refuseUnreadApiBodies: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || !isApiRequest(req) || req.is(['application/json', 'multipart/form-data'])) return next();
  next(
    new UnsupportedMediaTypeError(
      `The request body is sent as ${req.headers['content-type'] ?? 'an unnamed type'}; send it as application/json.`,
    ),
  );
};

/**
 * A web form sent with no body, or with one none of the parsers read (a script posting with only its CSRF header, a
 * text/plain body), is a form with no fields: `{}`, so that each form answers it with its own errors. Express 5 leaves
 * such a body undefined, and the forms that read `req.body.x` answered 500.
 */
const emptyWebForm: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
  if (req.body === undefined && !isApiRequest(req)) req.body = {};
  next();
};

/** The most fields a web form may send: more than 1 MB of form text can hold (`a=&` is 3 bytes). */
export const formFieldLimit = 400_000;

const parsers: RequestHandler[] = [
  // Read strictly: decoded as they come, bytes that are not UTF-8 were stored as U+FFFD (server/http/utf8.ts).
  express.json({ limit: '1mb', verify: refuseBodyNotUtf8 }),
  // As many fields as 1 MB can hold: a register sends four a person, and body-parser's default (1,000) refused the
  // save of a register of 250 people or more.
  express.urlencoded({ extended: false, limit: '1mb', parameterLimit: formFieldLimit, verify: refuseBodyNotUtf8 }),
  multipartForms,
  refuseUnreadApiBodies,
  emptyWebForm,
];

/** Bodies refused while they were read, by request, until bodyRefusals answers them. */
const refusedBodies = new WeakMap<Request, unknown>();

/**
 * JSON, urlencoded forms and multipart forms (one file), at most 1 MB of JSON or form text. A body refused here (too
 * large, malformed, in a character set not read, not UTF-8) is answered by bodyRefusals, once the session has told who sent it:
 * answered here, a signed-in woman who pasted too much into a form was shown a page that had signed her out.
 */
export const bodyParsers: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  if (!bodyMethods.has(req.method)) return next();
  let step = 0;
  const nextParser = (error?: unknown) => {
    if (error) {
      refusedBodies.set(req, error);
      return next();
    }
    const parser = parsers[step++];
    if (!parser) return next();
    try {
      parser(req, res, nextParser);
    } catch (thrown) {
      nextParser(thrown);
    }
  };
  nextParser();
};

/** Answers a body bodyParsers refused; mounted after the session is read and before anything reads the body. */
export const bodyRefusals: RequestHandler = (req: Request, _res: Response, next: NextFunction) =>
  refusedBodies.has(req) ? next(refusedBodies.get(req)) : next();
