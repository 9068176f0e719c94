import type { Response } from 'express';
import type { CookieOptions } from 'express-session';
import type { Config } from '../config.ts';
import { settings } from '../settings.ts';

export const sessionCookieName = 'pathways.sid';

/** How long a session lasts without a request (the cookie is rolling: each response renews it). */
export const sessionIdleMs = 2 * 60 * 60 * 1000;

/**
 * The session cookie: Lax by default. SESSION_COOKIE_SAMESITE=none (production only, so always Secure) makes it
 * SameSite=None and Partitioned (CHIPS): sent in the LMS's frame after an embedded LTI launch, and kept in a jar of
 * that LMS's own, so a session started inside one LMS is never the one of another site or of a visit to Pathways
 * itself.
 */
export function sessionCookieOptions(config: Pick<Config, 'env' | 'sessionCookieSameSite'>): CookieOptions {
  const common = { httpOnly: true, maxAge: sessionIdleMs };
  if (config.sessionCookieSameSite === 'none') return { ...common, sameSite: 'none', secure: true, partitioned: true };
  return { ...common, sameSite: 'lax', secure: config.env === 'production' };
}

/** Tells the browser to forget the session cookie: with the attributes it was set with, or a partitioned one stays. */
export function clearSessionCookie(res: Response): void {
  const { httpOnly, sameSite, secure, partitioned } = sessionCookieOptions(settings);
  res.clearCookie(sessionCookieName, { path: '/', httpOnly, sameSite, secure: secure === true, partitioned });
}
