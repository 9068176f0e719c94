import { createHash } from 'node:crypto';
import { RateLimitHitModel } from '../../models/RateLimitHit.ts';
import { isDuplicateKeyError } from '../db.ts';
import { RateLimitedError } from '../errors.ts';

/**
 * Rate-limit counters in the database, so a limit holds across every app process. Windows are fixed and aligned
 * (a window of 15 minutes starts at :00, :15, :30, :45), which lets every process name the same counter without
 * asking anyone: `<key>@<window start>`.
 */
export type RateWindow = { key: string; windowMs: number; now?: Date };
export type RateCount = { hits: number; resetAt: Date };

function counterOf({ key, windowMs, now = new Date() }: RateWindow): { id: string; resetAt: Date } {
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  // Keys can carry what a visitor typed (an email); a long one is hashed so the primary key stays small.
  const name = key.length > 200 ? `sha256:${createHash('sha256').update(key).digest('hex')}` : key;
  return { id: `${name}@${start}`, resetAt: new Date(start + windowMs) };
}

/** Seconds until a window ends, for a refusal's Retry-After (at least 1). */
export const secondsUntil = (resetAt: Date): number => Math.max(1, Math.ceil((resetAt.getTime() - Date.now()) / 1000));

/** Counts one hit of `key` in the current window and returns the window's total. */
export async function countHit(props: RateWindow): Promise<RateCount> {
  const { id, resetAt } = counterOf(props);
  for (let attempt = 0; ; attempt++) {
    try {
      const counter = await RateLimitHitModel.findOneAndUpdate(
        { _id: id },
        { $inc: { hits: 1 }, $setOnInsert: { resetAt } },
        { upsert: true, returnDocument: 'after', lean: true },
      );
      return { hits: counter!.hits, resetAt };
    } catch (error) {
      // Two first hits at once: both upserts try to insert, the primary key lets one; the other counts again and now
      // finds the counter (MongoDB documents this retry for upserts on a unique key).
      if (!isDuplicateKeyError(error) || attempt >= 2) throw error;
    }
  }
}

/** An allowance: `limit` uses of `key` a window, past which a use is refused with `refusal` (a 429). */
export type Allowance = RateWindow & { limit: number; refusal: string };

/**
 * Spends one use of a person's allowance (messages, posts): past `limit` in the window it is refused with a 429 that
 * says when to try again, and the refused attempt is taken back, so it does not use up the next window's allowance.
 */
export async function spendAllowance(props: Allowance): Promise<void> {
  const window = { key: props.key, windowMs: props.windowMs, now: props.now };
  const { hits, resetAt } = await countHit(window);
  if (hits > props.limit) {
    await uncountHit(window);
    throw new RateLimitedError(props.refusal, secondsUntil(resetAt));
  }
}

/**
 * Spends one use of an allowance for one submission (its key, server/submissions.ts), however often it is sent: the
 * window's counter lists the submissions it counted, so one already counted (a repeat sent at the same moment, from
 * another process too) passes without spending again and is never refused, while a new one past `limit` is refused
 * (429) without being counted. One conditional write on the counter, atomic across processes; spendAllowance's count
 * and take back would let two copies of one submission at the limit be one counted, one refused. Returns whether
 * this call counted it (false: it had been).
 */
export async function spendAllowanceOnce(props: Allowance & { submission: string }): Promise<boolean> {
  const { id, resetAt } = counterOf(props);
  for (let attempt = 0; ; attempt++) {
    try {
      // No match (the counter is full, or counted this submission, or is not there yet) upserts: a duplicate _id.
      await RateLimitHitModel.updateOne(
        { _id: id, hits: { $lt: props.limit }, submissions: { $ne: props.submission } },
        { $inc: { hits: 1 }, $push: { submissions: props.submission }, $setOnInsert: { resetAt } },
        { upsert: true },
      );
      return true;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const counter = await RateLimitHitModel.findById(id).lean();
    if (counter?.submissions?.includes(props.submission)) return false;
    if (counter && counter.hits >= props.limit) throw new RateLimitedError(props.refusal, secondsUntil(resetAt));
    // Another first hit made the counter meanwhile, or a use was given back: count again.
    if (attempt >= 2) throw new Error(`rate-limit counter ${id} kept changing`);
  }
}

/** Gives back the use spendAllowanceOnce spent for a submission that stored nothing after all. */
export async function giveBackAllowanceOnce(props: RateWindow & { submission: string }): Promise<void> {
  const { id } = counterOf(props);
  await RateLimitHitModel.updateOne(
    { _id: id, submissions: props.submission },
    { $pull: { submissions: props.submission }, $inc: { hits: -1 } },
  );
}

/** Takes back one hit of the current window (a request that, once answered, should not count). */
export async function uncountHit(props: RateWindow): Promise<void> {
  const { id } = counterOf(props);
  await RateLimitHitModel.updateOne({ _id: id, hits: { $gt: 0 } }, { $inc: { hits: -1 } });
}

/** The current window's count, if the key has one. */
export async function readHits(props: RateWindow): Promise<RateCount | undefined> {
  const { id, resetAt } = counterOf(props);
  const counter = await RateLimitHitModel.findById(id).lean();
  return counter ? { hits: counter.hits, resetAt } : undefined;
}

/** Forgets the key's current window. */
export async function clearHits(props: RateWindow): Promise<void> {
  await RateLimitHitModel.deleteOne({ _id: counterOf(props).id });
}

/** Deletes counters whose window has ended (maintenance; acknowledged). */
export async function purgeEndedRateWindows(now: Date): Promise<number> {
  return (await RateLimitHitModel.deleteMany({ resetAt: { $lte: now } })).deletedCount;
}
