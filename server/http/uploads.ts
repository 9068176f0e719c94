import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { externalCertificateMaxBytes } from '../../models/ExternalCertificate.ts';
import { BadRequestError, ValidationError } from '../errors.ts';

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

export function multipartForms(req: Request, res: Response, next: NextFunction): void {
  if (!req.is('multipart/form-data')) return next();
  parse(req, res, (error: unknown) => {
    if (!error) return next();
    if (error instanceof multer.MulterError && error.code === 'LIMIT_FILE_SIZE') {
      const message = `must be at most ${externalCertificateMaxBytes / 1024 / 1024} MB`;
      return next(new ValidationError(`The file ${message}.`, [{ path: 'file', message }]));
    }
    next(new BadRequestError('The form could not be read. Attach at most one file, in the file field.'));
  });
}
