import { Types } from 'mongoose';
import { NotificationModel } from '../../../models/Notification.ts';
import { liveUserStatuses, UserModel, type UserStatus } from '../../../models/User.ts';
import { logger } from '../../logger.ts';
import { hasMailbox, mailerLimits, NotHandedOverError, sendEmail } from '../../mailer.ts';
import { settings } from '../../settings.ts';
import {
  composeNotification,
  Memo,
  prepareBatch,
  renderNotificationEmail,
  type PlannedNotification,
  type Recipient,
} from './compose.ts';
import { decideDue, effectiveState, retryDelayMs, type DueDecision, type PlannedRecord } from './due.ts';
import {
  claim,
  journalOf,
  renewClaims,
  ResultLog,
  withdrawClaims,
  workerId,
  type ClaimRow,
  type ResultRow,
} from './journal.ts';
import { isBundleableKind, isSecurityKind } from './kinds.ts';
import { heldByDigest, planDailyDigestFor } from './dailyDigest.ts';

/**
 * Sending what is due. One run: load the scheduled records due at `now` and their journal, decide (./due.ts),
 * claim the attempts in batches (unique inserts), then send the won ones with a few SMTP connections in
 * parallel, recording each result through a group-committed journal.
 */
/**
 * `due`: acted on this run; `remaining`: due but left for the next run (time budget, lease, a stop, no free mail
 * connection in time); `stillSending`: with a mail server that had not answered when the run stopped waiting for it
 * (their results are recorded when it answers).
 */
export type RunReport = {
  due: number;
  sent: number;
  failed: number;
  skipped: number;
  bundled: number;
  lost: number;
  remaining: number;
  stillSending: number;
};
export type RunOptions = {
  /** The instant to act at (tests pass any instant; the job passes the clock). */
  now?: Date;
  /** Only these notifications (sending one at once, e.g. a password reset). */
  ids?: Types.ObjectId[];
  /**
   * Messages being prepared or sent at once. More lanes than the mailer's connections keep them busy while others
   * render; the mailer hands the server no more messages than it has connections, the rest wait there (mailer.ts).
   */
  concurrency?: number;
  /**
   * How long the run waits for one composed message (a free mail connection, the server's answer). A message still
   * waiting for a connection then is given back; one the mail server has not answered goes on without the run (its
   * lease renewed, its result recorded when the server answers or its socket timeout fails it; sendingDone waits for
   * it) and its lane ends. So a stalled mail server holds a run, and every reminder due after it, this long at most.
   */
  waitForSendMs?: number;
  /**
   * How long the run waits for the mail server in all, from its first composed message (a person's request sending
   * several emails, an import's invitations): then no message more is begun, one still composing or waiting for a mail
   * connection is given back (the job sends it within seconds), and one the mail server has not answered goes on
   * without the run, as after waitForSendMs. Without it, lanes wait for their messages in turn: a request sending 40
   * to a stalled server would wait 40 times.
   */
  waitForAllMs?: number;
  /** How long a claim is ours; a process killed mid-send is taken over after it. */
  leaseMs?: number;
  /** Claims per batch. */
  batchSize?: number;
  /** Stop taking new batches after this long (the job runs again a few seconds later). */
  timeBudgetMs?: number;
  /**
   * The process is stopping: from then on nothing more is claimed and no message more is handed to the mail server;
   * claims not yet used are given back (the next run, here or in another process, sends them at once). Messages
   * already handed over finish and are recorded, so that none is sent again once its lease ends.
   */
  stopping?: AbortSignal;
};

export const defaultLeaseMs = 5 * 60 * 1000;
/** A reminder is due to leave within about 10 seconds (README): a run waits this long for one message at most. */
export const defaultWaitForSendMs = 10_000;

type Record_ = PlannedRecord & PlannedNotification;
type Job = { decision: DueDecision<Record_>; claim: ClaimRow };

/** Runs of this process still going (read by sendingDone only). */
const runsInFlight = new Set<Promise<unknown>>();

/**
 * Resolves when the runs this process started so far have ended: their messages handed to the mail server answered
 * and recorded. A stop waits for it before it closes the mail connections and the database: a message accepted by
 * the mail server but not recorded is sent again once its claim's lease ends.
 */
export async function sendingDone(): Promise<void> {
  while (runsInFlight.size) await Promise.allSettled([...runsInFlight]);
}

/** Keeps `work` in what sendingDone waits for. */
function track(work: Promise<unknown>): void {
  const tracked: Promise<unknown> = work.catch(() => undefined).finally(() => runsInFlight.delete(tracked));
  runsInFlight.add(tracked);
}

/** Resolves with the run's report once each message is sent, settled otherwise, or no longer waited for (waitForSendMs). */
export function runDueNotifications(opts: RunOptions = {}): Promise<RunReport> {
  return startRun(opts).report;
}

/** A run: its report, and `done` once the messages it left with the mail server are answered and recorded too. */
function startRun(opts: RunOptions): { report: Promise<RunReport>; done: Promise<void> } {
  let reported: (report: RunReport) => void = () => undefined;
  const report = new Promise<RunReport>((resolve) => (reported = resolve));
  const done = sendDue(opts, (r) => reported({ ...r }));
  track(done);
  return {
    // A run that fails before it reports rejects its report with the error.
    report: Promise.race([report, done.then(() => report)]),
    done,
  };
}

async function sendDue(opts: RunOptions, reported: (report: RunReport) => void): Promise<void> {
  const report: RunReport = {
    due: 0,
    sent: 0,
    failed: 0,
    skipped: 0,
    bundled: 0,
    lost: 0,
    remaining: 0,
    stillSending: 0,
  };
  const stragglers: Promise<void>[] = [];
  try {
    await sendWaitingAtMost(opts, report, stragglers);
  } catch (error) {
    await Promise.allSettled(stragglers);
    throw error;
  }
  reported(report);
  await Promise.all(stragglers);
}

async function sendWaitingAtMost(opts: RunOptions, report: RunReport, stragglers: Promise<void>[]): Promise<void> {
  const now = opts.now ?? new Date();
  const started = Date.now();
  const stopping = opts.stopping;
  const waitForSendMs = opts.waitForSendMs ?? defaultWaitForSendMs;
  if (stopping?.aborted) return;
  const filter: Record<string, unknown> = { status: 'scheduled', nextAttemptAt: { $lte: now } };
  if (opts.ids) filter._id = { $in: opts.ids };
  const records = (await NotificationModel.collection.find(filter).toArray()) as unknown as Record_[];
  if (!records.length) return;
  const journal = await journalOf(
    records.map((r) => r._id),
    earliest(records),
  );
  const decisions = decideDue(
    records.map((record) => ({ record, rows: journal.get(String(record._id)) ?? [] })),
    now,
  ).sort((a, b) => a.record.sendAt.getTime() - b.record.sendAt.getTime());
  report.due = decisions.length;
  if (!decisions.length) return;

  const leaseMs = opts.leaseMs ?? defaultLeaseMs;
  const batchSize = opts.batchSize ?? 500;
  const log = new ResultLog();
  const recipients = await loadRecipients(decisions.map((d) => d.record.userId));
  const memo = new Memo();
  // Claiming the next batch while this one is being sent keeps the SMTP connections busy during database round trips.
  const claimBatch = async (i: number): Promise<{ jobs: Job[]; claimedReal: number }> => {
    const batch = decisions.slice(i, i + batchSize);
    const claimedReal = Date.now();
    const claimedAt = new Date(now.getTime() + (Date.now() - started));
    const wanted: ClaimRow[] = batch.map((d) => ({
      notificationId: d.record._id,
      attempt: d.state.nextAttempt,
      phase: 'claim',
      worker: workerId,
      at: claimedAt,
      leaseUntil: new Date(claimedAt.getTime() + leaseMs),
    }));
    const won = await claim(wanted);
    report.lost += wanted.length - won.length;
    const wonById = new Map(won.map((c) => [c.notificationId.toHexString(), c]));
    const jobs = batch.flatMap((d) => {
      const claimed = wonById.get(d.record._id.toHexString());
      return claimed ? [{ decision: d, claim: claimed }] : [];
    });
    await prepareBatch(
      jobs.filter((j) => j.decision.action === 'send').map((j) => j.decision.record),
      memo,
    );
    return { jobs, claimedReal };
  };
  // Claims whose message is being composed or sent right now. Their leases are renewed until the send ends: a mail
  // server that takes minutes to answer must not let another process take the message over and send it again.
  const sending = new Set<ClaimRow>();
  const renewal = setInterval(
    () => {
      const leaseUntil = new Date(now.getTime() + (Date.now() - started) + leaseMs);
      renewClaims([...sending], leaseUntil).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not renew the leases of messages being sent'),
      );
    },
    Math.max(50, leaseMs / 4),
  );
  // Sends the run stopped waiting for, and claims they turn out not to use (withdrawn after the batch was given back).
  const stillSending = new Set<Promise<void>>();
  const unusedLate: ClaimRow[] = [];
  const allWaitOver = new AbortController();
  let allWaitTimer: NodeJS.Timeout | undefined;
  const startWaitForAll = () => {
    if (opts.waitForAllMs !== undefined && !allWaitTimer)
      allWaitTimer = setTimeout(() => allWaitOver.abort(), opts.waitForAllMs);
  };
  try {
    let next: Promise<{ jobs: Job[]; claimedReal: number }> | undefined = claimBatch(0);
    for (let i = 0; i < decisions.length; i += batchSize) {
      const { jobs, claimedReal } = await next!;
      // Our own deadline in real time: past it, another process may already have taken the next attempt.
      const deadline = claimedReal + leaseMs - Math.min(30_000, leaseMs / 4);
      const overBudget = !!opts.timeBudgetMs && Date.now() - started > opts.timeBudgetMs;
      next =
        i + batchSize < decisions.length && !overBudget && !stopping?.aborted ? claimBatch(i + batchSize) : undefined;
      // Never an unhandled rejection if this run stops before awaiting it (the await below still sees the error).
      next?.catch(() => undefined);
      const unused: ClaimRow[] = [];
      let batchGivenBack = false;
      const begun = await inLanes(jobs, opts.concurrency ?? 10, async (job) => {
        if (stopping?.aborted) unused.push(job.claim);
        if (stopping?.aborted || Date.now() > deadline) {
          report.remaining += 1;
          return 'next';
        }
        if (allWaitOver.signal.aborted) {
          unused.push(job.claim);
          report.remaining += 1;
          return 'end lane';
        }
        sending.add(job.claim);
        const messageWaitOver = new AbortController();
        const waitOver =
          opts.waitForAllMs === undefined
            ? messageWaitOver.signal
            : AbortSignal.any([messageWaitOver.signal, allWaitOver.signal]);
        let timer: NodeJS.Timeout | undefined;
        const waitForMailServer = () => {
          timer = setTimeout(() => messageWaitOver.abort(), waitForSendMs);
          startWaitForAll();
        };
        const handled = handle(job, recipients, memo, now, log, () => new Date(now.getTime() + Date.now() - started), {
          withdrawIf: stopping ? AbortSignal.any([stopping, waitOver]) : waitOver,
          waitForMailServer,
        })
          .then((outcome) => {
            if (outcome === 'unsent') (batchGivenBack ? unusedLate : unused).push(job.claim);
            report[outcome === 'unsent' ? 'remaining' : outcome] += 1;
          })
          .finally(() => {
            clearTimeout(timer);
            sending.delete(job.claim);
          });
        let settled = false;
        void handled.finally(() => (settled = true)).catch(() => undefined);
        const waitedOut = new Promise<'waited out'>((resolve) =>
          waitOver.addEventListener('abort', () => resolve('waited out'), { once: true }),
        );
        if ((await Promise.race([handled, waitedOut])) !== 'waited out') return 'next';
        // Waited out, this lane ends, so that a mail server stalling on every message holds the run for one wait, not
        // one per message: a message still waiting for a connection is withdrawn (given back), one the mail server has
        // and has not answered goes on without the run.
        await new Promise((resolve) => setImmediate(resolve));
        if (settled) return 'end lane';
        report.stillSending += 1;
        const straggler = handled
          .catch((error: unknown) => logger.error({ err: error }, 'a notification send failed after its run'))
          .finally(() => {
            report.stillSending -= 1;
            stillSending.delete(straggler);
          });
        stillSending.add(straggler);
        return 'end lane';
      });
      // Lanes that ended left the rest of the batch unstarted: given back for the next run.
      for (const job of jobs.slice(begun)) unused.push(job.claim);
      report.remaining += jobs.length - begun;
      // Stopping: the batch claimed ahead is given back too (a claim that failed took nothing).
      if (next && (stopping?.aborted || begun < jobs.length)) {
        const ahead = await next.catch(() => undefined);
        unused.push(...(ahead?.jobs ?? []).map((j) => j.claim));
        next = undefined;
      }
      batchGivenBack = true;
      await giveBack(unused);
      if (!next) {
        report.remaining += decisions.length - Math.min(decisions.length, i + batchSize);
        break;
      }
    }
  } finally {
    clearTimeout(allWaitTimer);
    const finish = async () => {
      await Promise.allSettled([...stillSending]);
      clearInterval(renewal);
      if (unusedLate.length) await giveBack(unusedLate);
      await log.drain();
    };
    await log.drain().catch(() => undefined);
    if (stillSending.size) stragglers.push(finish());
    else await finish();
  }
}

/** Claims this run will not use, given back; one that stays (the database gone meanwhile) is taken over after its lease. */
async function giveBack(claims: ClaimRow[]): Promise<void> {
  try {
    await withdrawClaims(claims);
  } catch (error) {
    logger.warn(
      { err: error, claims: claims.length },
      'could not give back unused claims; they are taken over after their lease',
    );
  }
}

/** Journal rows are never older than the first send time of their notification (claims happen once it is due). */
function earliest(records: { sendAt: Date }[]): Date {
  return new Date(Math.min(...records.map((r) => r.sendAt.getTime())));
}

async function loadRecipients(ids: Types.ObjectId[]): Promise<Map<string, Recipient>> {
  const wanted = new Set(ids.map((id) => id.toHexString()));
  // FerretDB evaluates `$in` element by element for every row: for thousands of recipients, reading every
  // account's few fields once is far cheaper than 10,000 × 10,000 comparisons.
  const filter = wanted.size > 200 ? {} : { _id: { $in: [...wanted].map((id) => new Types.ObjectId(id)) } };
  const users = (await UserModel.collection
    .find(filter, {
      projection: { email: 1, name: 1, timezone: 1, status: 1, mutedKinds: 1, emailDigest: 1, digestWeekday: 1 },
    })
    .toArray()) as unknown as Recipient[];
  return new Map(users.filter((u) => wanted.has(u._id.toHexString())).map((u) => [u._id.toHexString(), u]));
}

/**
 * Runs `work` over `items` in `lanes` lanes, each taking the next item until none is left or its work says 'end lane'.
 * Returns how many items were started.
 */
async function inLanes<T>(items: T[], lanes: number, work: (item: T) => Promise<'next' | 'end lane'>): Promise<number> {
  let next = 0;
  const running = Array.from({ length: Math.min(lanes, items.length) }, async () => {
    while (next < items.length) if ((await work(items[next++]!)) === 'end lane') return;
  });
  await Promise.all(running);
  return next;
}

/**
 * Permanent refusals of this message (a 5xx to its recipient or its content: no such mailbox, rejected) are not
 * retried; everything else is. A 5xx to the sign-in or the sender (a wrong SMTP password, a From the server does not
 * accept) is the operator's to fix and says nothing about this message: every email would otherwise fail for good
 * until it is fixed.
 */
export function isRefusedForGood(error: unknown): boolean {
  const { responseCode: code, command } = error as { responseCode?: number; command?: string };
  return typeof code === 'number' && code >= 500 && code < 600 && (command === 'RCPT TO' || command === 'DATA');
}

/** A stable Message-ID per notification: a resend after a crash carries the same one, and mail systems that deduplicate by it show one email. */
export function messageIdFor(notificationId: Types.ObjectId | string): string {
  const host = new URL(settings.baseUrl).hostname || 'pathways.local';
  return `<notification-${String(notificationId)}@${host}>`;
}

async function handle(
  job: Job,
  recipients: Map<string, Recipient>,
  memo: Memo,
  now: Date,
  log: ResultLog,
  at: () => Date,
  mail: {
    /** A stop, or the run no longer waiting: a message not yet handed to the mail server is then given back. */
    withdrawIf: AbortSignal;
    /** Called once the message is composed: the run's wait for the mail server starts. */
    waitForMailServer: () => void;
  },
): Promise<'sent' | 'failed' | 'skipped' | 'bundled' | 'unsent'> {
  const record = job.decision.record;
  const base = { notificationId: record._id, attempt: job.claim.attempt, phase: 'result' as const, worker: workerId };
  const skip = (reason: string) => {
    log.add({ ...base, at: at(), outcome: 'skipped', reason });
    return 'skipped' as const;
  };
  // Nobody to write to: a daily digest settles what it held with the same reason, or those would stay waiting for ever.
  const noRecipient = async (reason: string) => {
    if (record.kind === 'daily-digest') settleBundled({ leftOut: await heldWithReason(record.key, reason) }, at(), log);
    return skip(reason);
  };
  if (job.decision.action === 'skip') return skip(job.decision.reason);
  const recipient = recipients.get(record.userId.toHexString());
  // Only a live account is written to: an erased one keeps rows (an active enrolment) that planners may plan for again.
  if (!recipient || !liveUserStatuses.includes(recipient.status as UserStatus))
    return noRecipient('The recipient has no active account.');
  if (!hasMailbox(recipient.email)) return noRecipient('The recipient has no email address (a placeholder address).');
  if (!isSecurityKind(record.kind) && recipient.mutedKinds?.includes(record.kind))
    return skip('The recipient turned this kind of email off.');
  if (recipient.emailDigest === 'daily' && isBundleableKind(record.kind)) {
    const digestKey = await planDailyDigestFor({ recipient, now });
    log.add({ ...base, at: at(), outcome: 'bundled', digestKey });
    return 'bundled';
  }
  try {
    const composed = await composeNotification({ record, recipient, now, memo });
    if ('skip' in composed) {
      if (record.kind === 'daily-digest') settleBundled(composed.data, at(), log);
      return skip(composed.skip);
    }
    const email = renderNotificationEmail(record, recipient, composed);
    mail.waitForMailServer();
    // Composed while the stop began, or waiting for a free connection then: not handed to the mail server.
    const delivery = await sendEmail(
      { ...email, messageId: messageIdFor(record._id), notificationId: String(record._id) },
      { withdrawIf: mail.withdrawIf },
    );
    log.add({
      ...base,
      at: at(),
      outcome: 'sent',
      transport: delivery.transport,
      messageId: delivery.messageId ?? null,
      subject: email.subject,
    });
    if (record.kind === 'daily-digest') settleBundled(composed.data, at(), log, email.subject);
    return 'sent';
  } catch (error) {
    if (error instanceof NotHandedOverError) return 'unsent';
    const permanent = isRefusedForGood(error);
    const reason = (error as Error).message?.slice(0, 500) || 'Unknown error';
    logger.warn(
      { err: error, notificationId: String(record._id), attempt: job.claim.attempt },
      'notification not sent',
    );
    log.add({
      ...base,
      at: at(),
      outcome: 'failed',
      final: permanent,
      retryAt: new Date(now.getTime() + retryDelayMs(job.claim.attempt)),
      reason,
    });
    // A digest refused for good will never carry what it holds: those fail with it (an admin may send them again).
    if (permanent && record.kind === 'daily-digest') await failHeld(record.key, reason, at(), log);
    return 'failed';
  }
}

/**
 * Once a daily digest is settled, what it carried counts as sent (when it went out) and what it left out as skipped
 * with the reason: each as the successor of the attempt that bundled it.
 */
function settleBundled(data: Record<string, unknown> | undefined, at: Date, log: ResultLog, subject?: string): void {
  const row = (id: string, attempt: number) => ({
    notificationId: new Types.ObjectId(id),
    attempt: attempt + 1,
    phase: 'result' as const,
    worker: workerId,
    at,
  });
  const carried = subject ? ((data?.bundled as { id: string; attempt: number }[] | undefined) ?? []) : [];
  for (const item of carried) log.add({ ...row(item.id, item.attempt), outcome: 'sent', subject } as ResultRow);
  const leftOut = (data?.leftOut as { id: string; attempt: number; reason: string }[] | undefined) ?? [];
  for (const item of leftOut)
    log.add({ ...row(item.id, item.attempt), outcome: 'skipped', reason: item.reason } as ResultRow);
}

/** What a daily digest holds (the attempts bundled into it), each to be settled with `reason`. */
async function heldWithReason(digestKey: string, reason: string) {
  return (await heldByDigest(digestKey)).map((h) => ({ id: String(h.notificationId), attempt: h.attempt, reason }));
}

/**
 * Each notification a digest held fails for good with `reason`, as an attempt of its own (claim and result), so "Send
 * again" starts the next attempt after it.
 */
async function failHeld(digestKey: string, reason: string, at: Date, log: ResultLog): Promise<void> {
  const held = await heldWithReason(digestKey, reason);
  const won = await claim(
    held.map((h) => ({
      notificationId: new Types.ObjectId(h.id),
      attempt: h.attempt + 1,
      phase: 'claim' as const,
      worker: workerId,
      at,
      leaseUntil: at,
    })),
  );
  for (const c of won)
    log.add({
      notificationId: c.notificationId,
      attempt: c.attempt,
      phase: 'result',
      worker: workerId,
      at,
      outcome: 'failed',
      final: true,
      reason,
    });
}

/**
 * Sends notifications now, while a person waits (an invitation, a password reset, a directory message, an import's
 * invitations), waiting for the mail server at most the mailer's `requestWaitMs` in all, however many they are: past
 * it a send goes on without her (its result recorded when the server answers), and what was not yet handed to the
 * server (no mail connection came free) the job sends within seconds. The job retries any that fails.
 */
export async function deliverNow(...notificationIds: (Types.ObjectId | string)[]): Promise<RunReport> {
  const ids = notificationIds.map((id) => new Types.ObjectId(String(id)));
  const { requestWaitMs } = mailerLimits();
  const run = startRun({ ids, waitForSendMs: requestWaitMs, waitForAllMs: requestWaitMs });
  const report = await run.report;
  const settled = run.done.then(() => settleNotifications({ ids }));
  if (report.stillSending)
    track(
      settled.catch((error: unknown) => logger.warn({ err: error, notificationIds: ids.map(String) }, 'not settled')),
    );
  else await settled;
  return report;
}

/**
 * Brings notification records in line with their journal (status, sentAt, attempts, last error), for the
 * API, the admin pages and the due query. The journal is the truth meanwhile, so this may lag; each update is a
 * full-table rewrite on FerretDB 1.x, hence bounded per run.
 */
export async function settleNotifications(
  opts: { now?: Date; ids?: Types.ObjectId[]; limit?: number } = {},
): Promise<number> {
  const now = opts.now ?? new Date();
  const filter: Record<string, unknown> = {
    status: 'scheduled',
    $or: [{ nextAttemptAt: { $lte: now } }, { nextAttemptAt: null }],
  };
  if (opts.ids) filter._id = { $in: opts.ids };
  const records = (await NotificationModel.collection.find(filter).toArray()) as unknown as PlannedRecord[];
  if (!records.length) return 0;
  const journal = await journalOf(
    records.map((r) => r._id),
    earliest(records),
  );
  let settled = 0;
  for (const record of records) {
    if (opts.limit !== undefined && settled >= opts.limit) break;
    const rows = journal.get(String(record._id)) ?? [];
    if (!rows.length) continue;
    const state = effectiveState(record, rows, now);
    const set: Record<string, unknown> = { attempts: state.attempts, lastError: state.lastError };
    if (state.status !== 'scheduled')
      Object.assign(set, {
        status: state.status,
        sentAt: state.sentAt,
        skipReason: state.skipReason,
        transport: state.transport,
        messageId: state.messageId,
      });
    // A security email's data holds its one-time link: not kept once the email is settled.
    if (state.status !== 'scheduled' && isSecurityKind(record.kind)) set.data = {};
    if (state.subject) set.subject = state.subject;
    if (state.status === 'scheduled') set.nextAttemptAt = state.nextAttemptAt;
    if (state.status === 'scheduled' && state.nextAttemptAt?.getTime() === record.nextAttemptAt?.getTime()) continue;
    await NotificationModel.updateOne({ _id: record._id, status: 'scheduled' }, { $set: set });
    settled += 1;
  }
  return settled;
}
