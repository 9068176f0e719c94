import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import { AddressedEmailModel } from '../../../models/AddressedEmail.ts';
import { logger } from '../../logger.ts';
import { sendEmail, waitForMailServer } from '../../mailer.ts';
import { settings } from '../../settings.ts';
import { isRefusedForGood } from './deliver.ts';
import { retryDelayMs } from './due.ts';
import { workerId } from './journal.ts';

/**
 * Emails to an address without an account: the Pledge's confirmation and manage links, the pool's emails to a
 * request's contact. The reminders pipeline is keyed on accounts (her status, preferences, digests, unsubscribe
 * links, her list of notifications), none of which these have or should get, so they wait in a small outbox of their
 * own (models/AddressedEmail.ts) with the pipeline's rules for trying again: a temporary refusal (a greylisting 451,
 * no answer) is tried again after its backoff (retryDelayMs: 30 s, 1, 2, 4 … minutes), up to `maxAttempts`; one
 * refused for good (a 5xx to the recipient or the message) is not. Each attempt is claimed by one atomic
 * single-document update, so of several processes (a request's own try, the job anywhere) one sends it.
 */
export type AddressedEmailInput = {
  /** Its template (pledge-confirm, pool-confirm …), for the logs. */
  purpose: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
};

/** Eight tries: the last about an hour after the first (the backoff adds to 63 minutes). */
export const maxAttempts = 8;
/**
 * How long a claim is the claimant's. A send is answered or failed within the mailer's socket timeout (30 s), so a
 * live claimant never loses its claim to another process; one killed mid-send is taken over after it.
 */
const leaseMs = 5 * 60 * 1000;

export type AttemptOutcome = 'sent' | 'waiting' | 'refused' | 'not claimed';

/** Attempts under way in this process (read by addressedEmailsDone only). */
const inFlight = new Set<Promise<unknown>>();

/** Resolves when this process's attempts so far are answered and recorded: a stop waits for it (server/index.ts). */
export async function addressedEmailsDone(): Promise<void> {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}

/**
 * Queues the email and tries it at once, the person who asked for it waiting for the mail server at most its
 * `requestWaitMs` (the attempt goes on after). Whatever the mail server answers, it resolves: a temporary refusal is
 * tried again by the job (sendWaitingAddressedEmails), and none is said to the person, who may not own the address.
 */
export async function sendToAddress(email: AddressedEmailInput, opts: { now?: Date } = {}): Promise<void> {
  const now = opts.now ?? new Date();
  const queued = await AddressedEmailModel.create({ ...email, attempts: 0, nextAttemptAt: now });
  await waitForMailServer(`${email.purpose} email`, attemptAddressedEmail(queued._id, now));
}

/**
 * One attempt at a waiting email, if this call wins its claim (due, and nobody's claim live): sent or refused for good,
 * the row goes; refused for now, it waits for its backoff, or goes after its last attempt.
 */
export function attemptAddressedEmail(id: Types.ObjectId, now: Date = new Date()): Promise<AttemptOutcome> {
  const attempt = claimAndSend(id, now);
  const tracked: Promise<unknown> = attempt.catch(() => undefined).finally(() => inFlight.delete(tracked));
  inFlight.add(tracked);
  return attempt;
}

async function claimAndSend(id: Types.ObjectId, now: Date): Promise<AttemptOutcome> {
  const claimant = `${workerId}:${randomUUID().slice(0, 8)}`;
  const claimed = await AddressedEmailModel.findOneAndUpdate(
    { _id: id, nextAttemptAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] },
    { $set: { claimedBy: claimant, leaseUntil: new Date(now.getTime() + leaseMs) }, $inc: { attempts: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (!claimed) return 'not claimed';
  const ours = { _id: id, claimedBy: claimant };
  try {
    await sendEmail({
      to: claimed.to,
      subject: claimed.subject,
      text: claimed.text,
      ...(claimed.html ? { html: claimed.html } : {}),
      // The same on every attempt: a copy sent again after a crash shows as one email where mail systems deduplicate.
      messageId: `<addressed-${String(id)}@${new URL(settings.baseUrl).hostname || 'pathways.local'}>`,
    });
  } catch (error) {
    const reason = (error as Error).message?.slice(0, 500) || 'Unknown error';
    const log = { err: error, purpose: claimed.purpose, emailId: String(id), attempt: claimed.attempts };
    if (isRefusedForGood(error) || claimed.attempts >= maxAttempts) {
      logger.error(log, 'email to an address not sent, and not tried again');
      await AddressedEmailModel.deleteOne(ours);
      return 'refused';
    }
    logger.warn(log, 'email to an address not sent yet; it is tried again');
    await AddressedEmailModel.updateOne(ours, {
      $set: {
        nextAttemptAt: new Date(now.getTime() + retryDelayMs(claimed.attempts)),
        claimedBy: null,
        leaseUntil: null,
        lastError: reason,
      },
    });
    return 'waiting';
  }
  await AddressedEmailModel.deleteOne(ours);
  return 'sent';
}

/**
 * The job's run (jobs/reminders.ts, every few seconds): tries each email whose time has come, oldest first, one at a
 * time (they are few), until `stopping` or the time budget.
 */
export async function sendWaitingAddressedEmails(
  opts: { now?: Date; stopping?: AbortSignal; timeBudgetMs?: number } = {},
): Promise<Record<AttemptOutcome, number>> {
  const now = opts.now ?? new Date();
  const started = Date.now();
  const report: Record<AttemptOutcome, number> = { sent: 0, waiting: 0, refused: 0, 'not claimed': 0 };
  const due = await AddressedEmailModel.find({ nextAttemptAt: { $lte: now } })
    .sort({ nextAttemptAt: 1 })
    .limit(500)
    .select({ _id: 1 })
    .lean();
  for (const { _id } of due) {
    if (opts.stopping?.aborted || (opts.timeBudgetMs && Date.now() - started > opts.timeBudgetMs)) break;
    const elapsed = Date.now() - started;
    report[await attemptAddressedEmail(_id, new Date(now.getTime() + elapsed))] += 1;
  }
  return report;
}
