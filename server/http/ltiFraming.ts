import type { NextFunction, Request, Response } from 'express';

declare module 'express-session' {
  interface SessionData {
    /** Origins of the LMS that launched this session: its pages may be framed by them (and only them). */
    ltiFrameOrigins?: string[];
  }
}

const originPattern = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-fA-F:]+\](:\d{1,5})?$/;

/**
 * Lets these origins frame this response: `frame-ancestors` of the app's CSP (helmet, server/app.ts) names them
 * instead of 'none', and X-Frame-Options (which cannot name another origin) is dropped. Only LTI pages and pages of
 * a session an LMS launched call this.
 * @param formTargets origins this page's form may post to (the deep-linking return URL)
 */
export function allowFramingBy(res: Response, origins: readonly string[], formTargets: readonly string[] = []): void {
  const safe = origins.filter((o) => originPattern.test(o));
  let csp = String(res.getHeader('Content-Security-Policy') ?? '');
  csp = csp.replace(/frame-ancestors [^;]*/, `frame-ancestors 'self'${safe.map((o) => ` ${o}`).join('')}`);
  const targets = formTargets.filter((o) => originPattern.test(o));
  if (targets.length)
    csp = csp.replace(/form-action [^;]*/, `form-action 'self'${targets.map((o) => ` ${o}`).join('')}`);
  res.setHeader('Content-Security-Policy', csp);
  res.removeHeader('X-Frame-Options');
}

/** Pages of a session started by an LMS launch may be framed by that LMS. */
export function ltiSessionFraming(req: Request, res: Response, next: NextFunction): void {
  const origins = req.session?.ltiFrameOrigins;
  if (origins?.length) allowFramingBy(res, origins);
  next();
}
