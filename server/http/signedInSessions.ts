import type { NextFunction, Request, Response } from 'express';
import { beginSignedInSession, sessionStillSignedIn } from '../services/accounts/sessions.ts';

/**
 * Runs after passport's session (before any bearer token is read). Each signed-in web session has a record
 * (models/SignedInSession.ts); a session whose record was deleted ("end this session", a password change) is signed
 * out on its next request, on whichever process answers it, and gets a fresh empty session.
 */
export async function signedInSessions(req: Request, _res: Response, next: NextFunction): Promise<void> {
  if (!req.user || !req.session) return next();
  if (!req.session.tracked) {
    // A session signed in before this record existed, or by a path that did not record it.
    await beginSignedInSession({
      sessionId: req.sessionID,
      userId: req.user.id,
      userAgent: req.get('user-agent'),
      ip: req.ip,
    });
    req.session.tracked = true;
    return next();
  }
  if (await sessionStillSignedIn({ sessionId: req.sessionID, userId: req.user.id })) return next();
  await new Promise<void>((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
  req.user = undefined;
  next();
}
