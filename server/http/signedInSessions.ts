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

/**
 * passport 0.7's req.login (it regenerates the session: no fixation), as a promise. The session is recorded under
 * the `sessionsEpoch` read with her password, or with her account for an LMS launch (beginSignedInSession): a
 * password changed meanwhile refuses it. Recorded now, not at its first request, so ending her sessions (a password
 * reset) ends one signed in a moment before, too.
 */
export function logIn(req: Request, user: Express.User): Promise<void> {
  return new Promise((resolve, reject) =>
    req.login(user, (error) => {
      if (error) return reject(error);
      // startedAt begins the absolute timeout.
      req.session.startedAt = Date.now();
      req.session.tracked = true;
      beginSignedInSession({
        sessionId: req.sessionID,
        userId: user.id,
        userAgent: req.get('user-agent'),
        ip: req.ip,
        sessionsEpoch: user.sessionsEpoch,
      }).then(resolve, reject);
    }),
  );
}
