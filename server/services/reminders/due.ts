import type { Types } from 'mongoose';
import type { NotificationStatus } from '../../../models/Notification.ts';
import { lateReason, replacedReason } from './kinds.ts';

/**
 * "What is due now": plain functions of (records, now), with no database and no clock, so tests can ask them
 * about any instant. The reminders job loads the records and acts on the answer.
 */
export type PlannedRecord = {
  _id: Types.ObjectId;
  kind: string;
  series?: string | null;
  sendAt: Date;
  eventAt?: Date | null;
  status: NotificationStatus;
  maxAttempts: number;
  nextAttemptAt?: Date | null;
};

export type JournalRow = {
  notificationId: Types.ObjectId;
  attempt: number;
  phase: 'claim' | 'result';
  at: Date;
  leaseUntil?: Date | null;
  outcome?: 'sent' | 'failed' | 'skipped' | 'bundled' | null;
  final?: boolean | null;
  retryAt?: Date | null;
  reason?: string | null;
  transport?: string | null;
  messageId?: string | null;
  subject?: string | null;
  digestKey?: string | null;
};

export type EffectiveState = {
  status: NotificationStatus;
  /** Attempts claimed so far. */
  attempts: number;
  /** The attempt number the next claim must use. */
  nextAttempt: number;
  /** Someone holds a live claim: leave it alone. */
  inFlight: boolean;
  /** When it may next be tried (null: never by itself, e.g. waiting inside a daily digest). */
  nextAttemptAt: Date | null;
  sentAt?: Date;
  lastError?: string;
  skipReason?: string;
  subject?: string;
  transport?: string;
  messageId?: string;
  bundledInto?: string;
};

/** The state of one notification from its record and its journal rows (claims and results). */
export function effectiveState(record: PlannedRecord, rows: JournalRow[], now: Date): EffectiveState {
  const claims = rows.filter((r) => r.phase === 'claim');
  const results = new Map(rows.filter((r) => r.phase === 'result').map((r) => [r.attempt, r]));
  const attempts = claims.reduce((max, c) => Math.max(max, c.attempt), 0);
  const base: EffectiveState = {
    status: record.status,
    attempts,
    nextAttempt: attempts + 1,
    inFlight: false,
    nextAttemptAt: record.nextAttemptAt ?? record.sendAt,
  };
  // Results by attempt, newest last; a later attempt's result overrides an earlier one.
  const ordered = [...results.values()].sort((a, b) => a.attempt - b.attempt);
  const sent = ordered.find((r) => r.outcome === 'sent');
  if (sent)
    return {
      ...base,
      status: 'sent',
      sentAt: sent.at,
      subject: sent.subject ?? undefined,
      transport: sent.transport ?? undefined,
      messageId: sent.messageId ?? undefined,
    };
  if (record.status !== 'scheduled') return base;
  const skipped = ordered.find((r) => r.outcome === 'skipped');
  if (skipped) return { ...base, status: 'skipped', skipReason: skipped.reason ?? undefined };
  const last = ordered.at(-1);
  const failures = ordered.filter((r) => r.outcome === 'failed');
  const lastError = failures.at(-1)?.reason ?? undefined;
  if (last?.outcome === 'bundled') return { ...base, nextAttemptAt: null, bundledInto: last.digestKey ?? undefined };
  if (failures.some((r) => r.final)) return { ...base, status: 'failed', lastError };
  const open = claims.filter((c) => !results.has(c.attempt));
  const inFlight = open.some((c) => (c.leaseUntil?.getTime() ?? 0) > now.getTime());
  if (!inFlight && attempts >= record.maxAttempts)
    return { ...base, status: 'failed', lastError: lastError ?? 'No answer from the mail server.' };
  const retryAt = last?.outcome === 'failed' && last.retryAt ? last.retryAt : null;
  const nextAttemptAt = retryAt && retryAt > base.nextAttemptAt! ? retryAt : base.nextAttemptAt;
  return { ...base, inFlight, nextAttemptAt, lastError };
}

export type DueDecision<R extends PlannedRecord = PlannedRecord> =
  | { record: R; state: EffectiveState; action: 'send' }
  | { record: R; state: EffectiveState; action: 'skip'; reason: string };

/**
 * Which of these notifications to act on at `now`, and how:
 * - not yet due, in flight elsewhere, or already settled: left out;
 * - the event it is about has started, or its time is otherwise past (eventAt ≤ now: a digest's day, a link's
 *   expiry): skipped, never sent late, with its kind's reason (./kinds.ts);
 * - a later reminder of the same series is also due (after downtime, the 24-hour and the 1-hour one): only the
 *   latest is sent, the earlier ones are skipped;
 * - otherwise: sent.
 */
export function decideDue<R extends PlannedRecord>(
  items: { record: R; rows: JournalRow[] }[],
  now: Date,
): DueDecision<R>[] {
  const states = items.map(({ record, rows }) => ({ record, state: effectiveState(record, rows, now) }));
  const latestDueInSeries = new Map<string, number>();
  for (const { record, state } of states) {
    const live = state.status === 'sent' || (state.status === 'scheduled' && record.sendAt <= now);
    if (!record.series || !live) continue;
    latestDueInSeries.set(record.series, Math.max(latestDueInSeries.get(record.series) ?? 0, record.sendAt.getTime()));
  }
  const decisions: DueDecision<R>[] = [];
  for (const { record, state } of states) {
    if (state.status !== 'scheduled' || state.inFlight || !state.nextAttemptAt || state.nextAttemptAt > now) continue;
    if (record.eventAt && record.eventAt <= now)
      decisions.push({ record, state, action: 'skip', reason: lateReason(record.kind) });
    else if (record.series && (latestDueInSeries.get(record.series) ?? 0) > record.sendAt.getTime())
      decisions.push({ record, state, action: 'skip', reason: replacedReason(record.kind) });
    else decisions.push({ record, state, action: 'send' });
  }
  return decisions;
}

/** Retry backoff after the n-th failed attempt: 30 s, 1, 2, 4, 8, 16, 32 min … capped at an hour. */
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempt - 1), 60 * 60 * 1000);
}
