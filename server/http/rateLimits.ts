import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ipKeyGenerator, rateLimit, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { canonicalEmail } from '../emailAddresses.ts';
import { RateLimitedError } from '../errors.ts';
import { clearHits, countHit, readHits, uncountHit } from '../services/rateLimits.ts';

/**
 * express-rate-limit's counters kept in the database (server/services/rateLimits.ts), so that a limit holds across
 * every app process. Each limiter has a name, and limiters with the same name share their counters: the sign-in
 * limits count the login form and POST /api/v1/auth/tokens together.
 *
 * Why not a store package: rate-limit-mongo (and its forks) rest on a TTL index, which FerretDB 1.x lacks, and are
 * written for older drivers; this one is five small functions on one model, cleaned by the maintenance job.
 */
export class DatabaseRateLimitStore implements Store {
  /** express-rate-limit tells stores with a prefix apart when it checks that a request is counted once per limiter. */
  readonly prefix: string;
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(name: string) {
    this.prefix = `${name}|`;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private window(key: string) {
    return { key: this.prefix + key, windowMs: this.windowMs };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const count = await readHits(this.window(key));
    return count && { totalHits: count.hits, resetTime: count.resetAt };
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const count = await countHit(this.window(key));
    return { totalHits: count.hits, resetTime: count.resetAt };
  }

  async decrement(key: string): Promise<void> {
    await uncountHit(this.window(key));
  }

  async resetKey(key: string): Promise<void> {
    await clearHits(this.window(key));
  }
}

/**
 * The connection a visitor's request came from, as the limiters here key it (its address; an IPv6 address by its /56,
 * which one household or school is given): the key for a limit a domain function applies itself (spendAllowance).
 */
export const connectionOf = (req: Request): string => ipKeyGenerator(req.ip ?? '');

const limiters = new WeakSet<object>();
const marked = <T extends object>(limiter: T): T => (limiters.add(limiter), limiter);
/** True for a middleware built here: the OpenAPI document lists 429 for operations that run one. */
export const isRateLimiter = (handler: unknown): boolean => typeof handler === 'function' && limiters.has(handler);

function refuse(message: string) {
  return (req: Request, _res: Response, next: NextFunction, options: Options): void => {
    const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
    const seconds = resetTime
      ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
      : Math.ceil(options.windowMs / 1000);
    next(new RateLimitedError(message, seconds));
  };
}

const fifteenMinutes = 15 * 60 * 1000;
const tooManyFailedSignIns =
  'Too many failed sign-in attempts. Please wait a few minutes and try again, or reset your password.';

/**
 * A sign-in sent with its address or password empty is sent back unchecked (routes/auth.ts): no guess, so not counted.
 * Counted, 10 presses of Enter on an empty form kept her out for 15 minutes with her right password.
 */
const signInLeftEmpty = (req: Request): boolean =>
  String(req.body?.email ?? '').trim() === '' || (req.body?.password ?? '') === '';

/** Limits on guessing: failed attempts only (skipSuccessfulRequests), per account and per IP. */
export function signInLimiters() {
  const perAccount = rateLimit({
    windowMs: fifteenMinutes,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: new DatabaseRateLimitStore('sign-in:account'),
    // Her account's address, as sign-in finds it: every way of writing it (case, a root dot, a domain in punycode or
    // in full-width letters) is the same account, so it must be the same counter, or each spelling would get 10 more.
    keyGenerator: (req) => canonicalEmail(String(req.body?.email ?? '')),
    skip: signInLeftEmpty,
    handler: refuse(tooManyFailedSignIns),
  });
  const perIp = rateLimit({
    windowMs: fifteenMinutes,
    limit: 100,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: new DatabaseRateLimitStore('sign-in:ip'),
    skip: signInLeftEmpty,
    handler: refuse(tooManyFailedSignIns),
  });
  return [marked(perIp), marked(perAccount)];
}

/**
 * A limiter in front of a form's handler, whose refusal is an error page: today only the second step of sign-in (wrong
 * codes per waiting account, routes/auth.ts). A form that should come back with what she typed (the password reset,
 * the Pledge's manage link, pool requests) counts in its domain function instead: spendAllowance with `connectionOf`.
 * `name` names its counters; without one, they are named after the limit and its message, which every process
 * derives alike.
 */
export function formLimiter(opts: {
  name?: string;
  limit: number;
  windowMs?: number;
  message: string;
  key?: (req: Request) => string;
  skipSuccessful?: boolean;
  /** Requests neither counted nor refused: a form the handler sends back unchecked (a field left empty) is no attempt. */
  skip?: (req: Request) => boolean;
}) {
  const windowMs = opts.windowMs ?? fifteenMinutes;
  const name =
    opts.name ??
    `form:${createHash('sha256').update(`${opts.limit}/${windowMs}/${opts.message}`).digest('hex').slice(0, 16)}`;
  return marked(
    rateLimit({
      windowMs,
      limit: opts.limit,
      skipSuccessfulRequests: opts.skipSuccessful ?? false,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      store: new DatabaseRateLimitStore(name),
      ...(opts.key ? { keyGenerator: opts.key } : {}),
      ...(opts.skip ? { skip: opts.skip } : {}),
      handler: refuse(opts.message),
    }),
  );
}
