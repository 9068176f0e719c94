import type { NextFunction, Request, Response } from 'express';
import { beginSignedInSession, markSessionSeen, touchEveryMs } from '../services/accounts/sessions.ts';

/**
 * Runs after passport's session (before any bearer token is read). Each signed-in web session has a record
 * (models/SignedInSession.ts) and is listed on her user record, which passport's deserializeUser reads with this
 * session's key in the filter (server/auth.ts). A session that was signed in but whose user read came back empty (she
 * ended it, a password change ended it, her account was disabled) is signed out on that request, on whichever process
 * answers it, and gets a fresh empty session.
 */
export async function signedInSessions(req: Request, _res: Response, next: NextFunction): Promise<void> {
  if (!req.session) return next();
  if (!req.user) {
    if (!req.session.tracked) return next();
    await new Promise<void>((resolve, reject) =>
      req.session.regenerate((error) => (error ? reject(error) : resolve())),
    );
    return next();
  }
  const now = Date.now();
  if (!req.session.tracked) {
    // A session signed in before this record existed, or by a path that did not record it.
    await beginSignedInSession({
      sessionId: req.sessionID,
      userId: req.user.id,
      userAgent: req.get('user-agent'),
      ip: req.ip,
    });
    req.session.tracked = true;
    req.session.seenAt = now;
    return next();
  }
  // "Last used" on the list: the session remembers when it last tried, so most requests write nothing.
  if (!req.session.seenAt || now - req.session.seenAt > touchEveryMs) {
    await markSessionSeen({ sessionId: req.sessionID, now: new Date(now) });
    req.session.seenAt = now;
  }
  next();
}
