import { Schema, model } from 'mongoose';

/**
 * One rate-limit counter: the hits of one key (a limiter's name and a client, e.g. `sign-in:ip|203.0.113.9`) in one
 * fixed window. Its `_id` names the key and the window's start, so a hit is one atomic upsert with `$inc` on the
 * primary key: two processes counting the same client add up on MongoDB and on our FerretDB alike, and two first hits
 * cannot create two counters. The maintenance job deletes counters whose window has ended.
 */
const rateLimitHitSchema = new Schema(
  {
    _id: { type: String, required: true },
    hits: { type: Number, required: true, default: 0 },
    /** The end of the window: the counter means nothing after it. */
    resetAt: { type: Date, required: true },
    /**
     * The submissions an allowance counted in this window (spendAllowanceOnce), so that one sent again is not counted
     * again. None on other counters (no default: a counter's first `$inc` upsert must not also write the array).
     */
    submissions: { type: [String], default: undefined },
  },
  { versionKey: false },
);
rateLimitHitSchema.index({ resetAt: 1 });

export const RateLimitHitModel = model('RateLimitHit', rateLimitHitSchema, 'ratelimithits');
