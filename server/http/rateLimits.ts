import type { NextFunction, Request, Response } from 'express';
import { rateLimit, type Options } from 'express-rate-limit';
import { RateLimitedError } from '../errors.ts';

/**
 * Limits on guessing: failed attempts only (skipSuccessfulRequests), per account and per IP.
 * The counters are in this process's memory; behind several app processes, put a shared store
 * (e.g. rate-limit-mongo) here — see README "Limits".
 */
function refuse(message: string) {
  return (req: Request, _res: Response, next: NextFunction, options: Options): void => {
    const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
    const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : Math.ceil(options.windowMs / 1000);
    next(new RateLimitedError(message, seconds));
  };
}

const fifteenMinutes = 15 * 60 * 1000;
const tooManyFailedSignIns = 'Too many failed sign-in attempts. Please wait a few minutes and try again, or reset your password.';

export function signInLimiters() {
  const perAccount = rateLimit({
    windowMs: fifteenMinutes,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `account:${String(req.body?.email ?? '').trim().toLowerCase()}`,
    handler: refuse(tooManyFailedSignIns),
  });
  const perIp = rateLimit({
    windowMs: fifteenMinutes,
    limit: 100,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: refuse(tooManyFailedSignIns),
  });
  return [perIp, perAccount];
}

/** A general limiter for public forms (pledge signing, password reset requests, check-in codes). */
export function formLimiter(opts: { limit: number; windowMs?: number; message: string; key?: (req: Request) => string; skipSuccessful?: boolean }) {
  return rateLimit({
    windowMs: opts.windowMs ?? fifteenMinutes,
    limit: opts.limit,
    skipSuccessfulRequests: opts.skipSuccessful ?? false,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    ...(opts.key ? { keyGenerator: opts.key } : {}),
    handler: refuse(opts.message),
  });
}
