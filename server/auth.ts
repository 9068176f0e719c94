import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { ApiTokenModel } from '../models/ApiToken.ts';
import { UserModel, type Role } from '../models/User.ts';
import { ForbiddenError, UnauthenticatedError } from './errors.ts';
import { renderRefusedForm } from './http/refusedForms.ts';
import { authenticateWithPassword, currentUserOf } from './services/users.ts';
import { findApiToken } from './services/apiTokens.ts';
import { publicIdOf } from './services/accounts/sessions.ts';
import { readWithoutCursor } from './readWithoutCursor.ts';

/** The fields of her user record a request needs (toCurrentUser and the status check). */
const currentUserFields = {
  email: 1,
  name: 1,
  roles: 1,
  timezone: 1,
  mfaEnabledAt: 1,
  emailUnverified: 1,
  status: 1,
  sessionsEpoch: 1,
  version: 1,
} as const;

/** What the app knows about the signed-in user on every request (augmenting Express.User once, here). */
export type CurrentUser = {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  timezone: string;
  /** Her address came from an LMS and no emailed link has proved it yet (models/User.ts). */
  emailUnverified?: boolean;
  /** Two-step sign-in is on (MFA_REQUIRED_ROLES sends people without it to the set-up page). */
  mfaEnabled?: boolean;
  /** Her record's `sessionsEpoch` as read with her password (models/User.ts): what a new session is recorded under. */
  sessionsEpoch?: number;
  /** Her details' version as read on this request (server/versions.ts): what her "Your account" form carries. */
  version?: number | null;
};

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends CurrentUser {}
    interface AuthInfo {
      via?: 'token';
      /** The API token of the request (a password change keeps it and revokes the others). */
      tokenId?: string;
    }
  }
}
declare module 'express-session' {
  interface SessionData {
    startedAt?: number;
    flash?: { kind: 'success' | 'error' | 'info'; message: string }[];
    returnTo?: string;
    /** A right password of an account with two-step sign-in, waiting for its code (routes/auth.ts). */
    pendingSignIn?: { userId: string; at: number; sessionsEpoch?: number };
    /** This session has its SignedInSession record and her user record lists it (server/http/signedInSessions.ts). */
    tracked?: boolean;
    /** When this session last moved its record's lastSeenAt (epoch ms): it is tried at most once a minute. */
    seenAt?: number;
    /**
     * An LMS launch signed this session in (routes/lti.ts): no password, no two-step code. It never carries an
     * administrator: made one while it lasts, she is signed out of it (a password sign-in regenerates the session).
     */
    signedInByLms?: boolean;
  }
}

/** The signed-in person from her user record (one shape for sessions, tokens and the password check). */
export const toCurrentUser = currentUserOf;

export function configurePassport(): void {
  passport.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password' }, (email, password, done) => {
      authenticateWithPassword({ email, password }).then((user) => done(null, user ?? false), done);
    }),
  );
  passport.serializeUser((user, done) => done(null, user.id));
  passport.deserializeUser((req: Request, id: string, done: (err: unknown, user?: Express.User | false) => void) => {
    // One read by _id on every request: a disabled account is refused, and so is a session she (or a password change)
    // ended, which her record no longer lists; either way she is signed out at once, on every process
    // (server/http/signedInSessions.ts). A session from before the list existed is listed on this request.
    const filter = req.session?.tracked ? { _id: id, signedInSessions: publicIdOf(req.sessionID) } : { _id: id };
    const adminByLms = (user: { roles: Role[] }) => !!req.session?.signedInByLms && user.roles.includes('admin');
    readWithoutCursor(UserModel.findOne(filter, currentUserFields).lean()).then(
      (user) => done(null, user?.status === 'active' && !adminByLms(user) ? toCurrentUser(user) : false),
      done,
    );
  });
}

/**
 * `Authorization: Bearer <token>`: a personal API token. A bad token is a 401 even when a session cookie is
 * present, so a script never silently acts as whoever is signed in in the browser.
 */
export async function bearerTokenAuth(req: Request, _res: Response, next: NextFunction): Promise<void> {
  const header = req.headers.authorization;
  if (!header) return next();
  // The scheme's case is free (RFC 9110 §11.1): some clients send "bearer".
  const match = /^Bearer\s+([A-Za-z0-9_-]{20,230})$/i.exec(header);
  if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".');
  const token = await findApiToken(match[1]!);
  const found = token && (await readWithoutCursor(UserModel.findById(token.userId, currentUserFields).lean()));
  const user = found?.status === 'active' ? found : null;
  if (!token || !user) throw new UnauthenticatedError('The API token is unknown, revoked or expired.');
  req.user = toCurrentUser(user);
  req.authInfo = { via: 'token', tokenId: String(token._id) };
  // Touch at most once a minute: a hot script should not turn every read into a write.
  if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) {
    await ApiTokenModel.updateOne({ _id: token._id }, { $set: { lastUsedAt: new Date() } });
  }
  next();
}

export const hasRole = (user: Express.User | undefined, ...roles: Role[]): boolean =>
  !!user && (user.roles.includes('admin') || roles.some((r) => user.roles.includes(r)));

/**
 * Web guard: signed in, else to the login page (remembering where she was going). A form sent by nobody signed in is
 * not redirected, which would drop what she typed: it is refused with her text shown back to copy.
 */
export function requireSignIn(req: Request, res: Response, next: NextFunction): void {
  if (req.user) return next();
  if (!['GET', 'HEAD'].includes(req.method)) return renderRefusedForm(req, res, { status: 401, reason: 'notSignedIn' });
  if (req.method === 'GET' && req.session) req.session.returnTo = req.originalUrl;
  res.redirect(303, '/login');
}

/** Guard for web and API: signed in with one of the roles (admin always passes). */
export function requireRole(...roles: Role[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!req.user) {
      if (req.originalUrl.startsWith('/api/')) throw new UnauthenticatedError();
      return requireSignIn(req, res, next);
    }
    if (!hasRole(req.user, ...roles)) throw new ForbiddenError();
    next();
  };
}
