import type { NextFunction, Request, Response } from 'express';

/**
 * No answer of the app is kept by the browser (`Cache-Control: no-store`) unless its route says it may be (the
 * Pledge badge, the tool's signing keys, the calendar feed, a certificate download set their own); static files are
 * served before this. Her pages name her and carry her notes; a refused form shows her typed text back; a page opened
 * from her emailed link (a password reset, an invitation, the Pledge's manage link) shows her address. Schools share
 * computers: kept, such a page came back with the browser's Back after she had signed out, her session had ended or
 * she had left it, for whoever used the computer next. Mounted before the body is read, so a form refused while it is
 * read (a file too large) is covered too.
 */
export function privatePages(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}
