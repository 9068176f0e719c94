import { Types } from 'mongoose';
import { NotificationModel, type NotificationKind, type aboutTypes } from '../../../models/Notification.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { escapeRegex } from '../../textSearch.ts';

/**
 * Planning: writing what will be sent. Every record has an idempotency key (what, for whom, which occurrence)
 * under a unique index, so planning the same reminder twice, from two processes at once, still makes one.
 */
type Id = string | Types.ObjectId;
export type NotificationPlan = {
  /** What, for whom, which occurrence, e.g. `session-reminder:<sessionId>:<userId>:1440`. Unique forever. */
  key: string;
  /** The recipient. */
  userId: Id;
  kind: NotificationKind | 'daily-digest';
  /** What it is about (shown to admins, used to cancel), e.g. { type: 'round', id }. */
  about: { type: (typeof aboutTypes)[number]; id: Id };
  /** When to send. */
  sendAt: Date;
  /** When the thing reminded of happens: still unsent at that instant, the notification is skipped, never sent late. */
  eventAt?: Date | null;
  /** Reminders of one series (e.g. 24 h and 1 h before one event, for one reader): after downtime only the latest due one is sent. */
  series?: string;
  /** views/emails/<template>.text.ejs and .html.ejs; the kind's composer may override (./compose.ts). */
  template?: string;
  /** Subject (a preview for planned ones; the composer may write the final one). */
  subject?: string;
  /** Template data (JSON-safe: strings, numbers, booleans, ISO dates). */
  data?: Record<string, unknown>;
  maxAttempts?: number;
};

function toDocument(plan: NotificationPlan) {
  return {
    key: plan.key,
    userId: new Types.ObjectId(String(plan.userId)),
    kind: plan.kind,
    about: { type: plan.about.type, id: String(plan.about.id) },
    series: plan.series,
    sendAt: plan.sendAt,
    eventAt: plan.eventAt ?? null,
    status: 'scheduled' as const,
    subject: plan.subject ?? '',
    template: plan.template,
    data: plan.data ?? {},
    attempts: 0,
    maxAttempts: plan.maxAttempts ?? 8,
    nextAttemptAt: plan.sendAt,
  };
}

export type PlanResult = { id: string; created: boolean; changed: boolean };

/**
 * Plans one notification. Planning an existing key again re-plans it (a rescheduled session moves its
 * reminders) when it is still scheduled or was cancelled; a sent, failed or skipped one is never revived.
 */
export async function planNotification(plan: NotificationPlan): Promise<PlanResult> {
  try {
    const created = await NotificationModel.create(toDocument(plan));
    return { id: String(created._id), created: true, changed: true };
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  return replan(plan);
}

async function replan(plan: NotificationPlan): Promise<PlanResult> {
  const existing = (await NotificationModel.collection.findOne({ key: plan.key })) as unknown as Existing | null;
  if (!existing) return planNotification(plan);
  return applyPlan(existing, plan);
}

type Existing = {
  _id: Types.ObjectId;
  key: string;
  status: string;
  sendAt: Date;
  eventAt?: Date | null;
  data?: unknown;
  subject?: string | null;
};

async function applyPlan(existing: Existing, plan: NotificationPlan): Promise<PlanResult> {
  const doc = toDocument(plan);
  const same =
    existing.status === 'scheduled' &&
    existing.sendAt.getTime() === doc.sendAt.getTime() &&
    (existing.eventAt?.getTime() ?? null) === (doc.eventAt?.getTime() ?? null) &&
    JSON.stringify(existing.data ?? {}) === JSON.stringify(doc.data) &&
    (existing.subject ?? '') === doc.subject;
  if (same || !['scheduled', 'cancelled'].includes(existing.status))
    return { id: String(existing._id), created: false, changed: false };
  // Updates are a full-table rewrite on FerretDB 1.x: only when something changed.
  await NotificationModel.updateOne(
    { _id: existing._id, status: { $in: ['scheduled', 'cancelled'] } },
    {
      $set: {
        sendAt: doc.sendAt,
        eventAt: doc.eventAt,
        nextAttemptAt: doc.sendAt,
        data: doc.data,
        subject: doc.subject,
        template: doc.template,
        series: doc.series,
        status: 'scheduled',
      },
    },
  );
  return { id: String(existing._id), created: false, changed: true };
}

/**
 * Plans many at once, in a few round trips whatever the number: one query loads the
 * records that already exist for these kinds and subjects, new ones go in as one batch insert, and only those
 * whose time or data changed are updated.
 */
export async function planNotifications(plans: NotificationPlan[]): Promise<{ created: number; changed: number }> {
  if (!plans.length) return { created: 0, changed: 0 };
  const kinds = [...new Set(plans.map((p) => p.kind))];
  const aboutIds = [...new Set(plans.map((p) => String(p.about.id)))];
  const existing = (await NotificationModel.collection
    .find(
      { kind: { $in: kinds }, 'about.id': { $in: aboutIds } },
      { projection: { key: 1, status: 1, sendAt: 1, eventAt: 1, data: 1, subject: 1 } },
    )
    .toArray()) as unknown as Existing[];
  const known = new Map(existing.map((e) => [e.key, e]));
  const fresh = plans.filter((p) => !known.has(p.key));
  let created = 0;
  let changed = 0;
  const raced: NotificationPlan[] = [];
  for (let i = 0; i < fresh.length; i += 1000) {
    const chunk = fresh.slice(i, i + 1000);
    const now = new Date();
    try {
      // The driver directly: mongoose's insertMany validates document by document, ten times slower here.
      const result = await NotificationModel.collection.insertMany(
        chunk.map((p) => ({ ...toDocument(p), createdAt: now, updatedAt: now })),
        { ordered: false },
      );
      created += result.insertedCount;
    } catch (error) {
      const raw = (error as { writeErrors?: { index: number; code?: number } | { index: number; code?: number }[] })
        .writeErrors;
      const writeErrors = raw === undefined ? undefined : Array.isArray(raw) ? raw : [raw];
      if (!writeErrors || writeErrors.some((w) => w.code !== 11000)) throw error;
      for (const w of writeErrors) raced.push(chunk[w.index]!);
      created += chunk.length - writeErrors.length;
    }
  }
  for (const plan of plans) {
    const current = known.get(plan.key);
    if (current && (await applyPlan(current, plan)).changed) changed += 1;
  }
  for (const plan of raced) if ((await replan(plan)).changed) changed += 1;
  return { created, changed };
}

/**
 * Cancels notifications not yet sent: by key prefix (e.g. `session-reminder:<sessionId>:`), by what they are
 * about, and optionally only some kinds or one recipient. Returns how many were cancelled.
 */
export async function cancelNotifications(props: {
  keyPrefix?: string;
  about?: { type: string; id: Id };
  kinds?: string[];
  userId?: Id;
  exceptKeys?: string[];
}): Promise<number> {
  const filter: Record<string, unknown> = { status: 'scheduled' };
  if (props.keyPrefix) filter.key = new RegExp(`^${escapeRegex(props.keyPrefix)}`);
  if (props.about) filter['about.id'] = String(props.about.id);
  if (props.kinds) filter.kind = { $in: props.kinds };
  if (props.userId) filter.userId = new Types.ObjectId(String(props.userId));
  if (!props.keyPrefix && !props.about && !props.userId)
    throw new Error('cancelNotifications needs keyPrefix, about or userId');
  const candidates = await NotificationModel.find(filter).select({ _id: 1, key: 1 }).lean();
  const ids = candidates.filter((c) => !props.exceptKeys?.includes(c.key)).map((c) => c._id);
  if (!ids.length) return 0;
  const result = await NotificationModel.updateMany(
    { _id: { $in: ids }, status: 'scheduled' },
    { $set: { status: 'cancelled' } },
  );
  return result.modifiedCount;
}

/**
 * Brings what is planned about one thing (a round, a mentorship) in line with what it wants now: cancels its
 * scheduled notifications of these kinds that it no longer wants and plans the ones it does. Two re-plans at once (on
 * two processes) may read in one order and cancel and plan in the other, which would leave the older reader's plan;
 * so after planning, what is wanted is read again and, if it changed meanwhile, planned again (at most 5 times):
 * whichever re-plan plans last has read the last change. `wanted` answers null once the thing is gone.
 */
export async function replanNotifications(props: {
  about: { type: string; id: Id };
  kinds: string[];
  wanted: () => Promise<NotificationPlan[] | null>;
}): Promise<void> {
  let wanted = await props.wanted();
  for (let attempt = 0; wanted && attempt < 5; attempt += 1) {
    await cancelNotifications({ about: props.about, kinds: props.kinds, exceptKeys: wanted.map((w) => w.key) });
    if (wanted.length) await planNotifications(wanted);
    const again = await props.wanted();
    if (again && JSON.stringify(again) === JSON.stringify(wanted)) return;
    wanted = again;
  }
}
