import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { multipartForms } from './uploads.ts';

/**
 * The methods whose requests carry a body we read. Others are never parsed, so a GET cannot fail on its body. A DELETE
 * may confirm itself with a body (API.md: `DELETE /me/mfa { otp }`, `DELETE /me { password }`).
 */
export const bodyMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const onlyWithBody =
  (parser: RequestHandler): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) =>
    bodyMethods.has(req.method) ? parser(req, res, next) : next();

/** JSON, urlencoded forms and multipart forms (one file), at most 1 MB of JSON or form text. */
export const bodyParsers: RequestHandler[] = [
  onlyWithBody(express.json({ limit: '1mb' })),
  onlyWithBody(express.urlencoded({ extended: false, limit: '1mb' })),
  onlyWithBody(multipartForms),
];
