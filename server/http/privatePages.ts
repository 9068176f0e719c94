import type { NextFunction, Request, Response } from 'express';
import { bodyMethods } from './bodies.ts';

/**
 * Answers a browser must not keep (`Cache-Control: no-store`): every answer to someone signed in (her pages name her,
 * her mentorships, her notes) and every answer to a sent form (a refused form shows her typed text back, a form
 * refused at a field her name and address). Schools share computers: kept, such a page came back with the browser's
 * Back after she had signed out, or after her session ended, for whoever used it next. A route may still set its own
 * (a file download, a calendar feed); public pages and files for visitors stay cacheable.
 * Mounted twice: before the body is read, for sent forms (one refused while it is read, a file too large, is
 * answered from there), and after the session, when it is known who is signed in.
 */
export function privatePages(req: Request, res: Response, next: NextFunction): void {
  if (req.user || bodyMethods.has(req.method)) res.setHeader('Cache-Control', 'no-store');
  next();
}
