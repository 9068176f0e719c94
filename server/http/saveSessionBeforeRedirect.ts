import type { NextFunction, Request, Response } from 'express';

/**
 * Saves the session before a redirect is sent. express-session writes a response's headers first and saves the
 * session while the body is still pending; browsers follow a redirect as soon as its headers arrive, so the next page
 * could load the session before the save and miss what the redirecting request put there (a one-time message, form
 * state). Saving first closes that window. Only sessions that hold something are saved, so an anonymous visitor who is
 * redirected gets no session record.
 */
export function saveSessionBeforeRedirect(req: Request, res: Response, next: NextFunction): void {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    const session = req.session;
    if (!session || !Object.keys(session).some((key) => key !== 'cookie')) return redirect(...args);
    session.save((err) => (err ? next(err) : redirect(...args)));
  }) as Response['redirect'];
  next();
}
