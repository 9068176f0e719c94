import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { externalCertificateMaxBytes } from '../../models/ExternalCertificate.ts';
import { BadRequestError, type FieldError } from '../errors.ts';

/**
 * Parses multipart forms (one small file in the field `file`, kept in memory) BEFORE the CSRF check, which needs
 * the form's `_csrf` field. Other requests pass untouched. Files are small evidence documents (certificates), so
 * memory storage with a hard size limit is enough and nothing is written to disk.
 */
const parse = multer({
  storage: multer.memoryStorage(),
  // Browsers send a file's name as UTF-8 bytes; read as latin1 (busboy's default), "Siobhán" arrived as "SiobhÃ¡n".
  defParamCharset: 'utf8',
  limits: { fileSize: externalCertificateMaxBytes, files: 1, fields: 30, fieldSize: 100_000 },
}).single('file');

/**
 * Files refused while their form was read (larger than the limit), by request. Such a form goes on to its route with
 * the fields read before the file (a browser sends them in the page's order, the file field last), so the route says
 * so at the file field, signed in, her other answers kept: refused here, before the session is read, she was shown a
 * page that had signed her out. A route that takes no file never reads it and ignores the file, as it ignores one that
 * fits.
 */
const refusedFiles = new WeakMap<Request, FieldError>();

export function multipartForms(req: Request, res: Response, next: NextFunction): void {
  if (!req.is('multipart/form-data')) return next();
  parse(req, res, (error: unknown) => {
    if (!error) return next();
    if (error instanceof multer.MulterError && error.code === 'LIMIT_FILE_SIZE') {
      refusedFiles.set(req, {
        path: 'file',
        message: `must be at most ${externalCertificateMaxBytes / 1024 / 1024} MB`,
      });
      return next();
    }
    next(new BadRequestError('The form could not be read. Attach at most one file, in the file field.'));
  });
}

/** The file field's refusal when the file sent was too large to read (multipartForms), for the route to show. */
export const refusedFileOf = (req: Request): FieldError | undefined => refusedFiles.get(req);
