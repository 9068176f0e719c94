import { Types } from 'mongoose';
import {
  dailyDigestKind,
  NotificationModel,
  notificationKinds,
  type NotificationKind,
} from '../../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../../models/NotificationDelivery.ts';
import { UserModel } from '../../../models/User.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { decodeTimeCursor, encodeTimeCursor, type TimePosition } from '../../pagination.ts';
import { isObjectId } from '../../ids.ts';
import { effectiveState, type PlannedRecord } from './due.ts';
import { dailyDigestInfo, isBundleableKind, isSecurityKind, kindInfo } from './kinds.ts';
import { journalOf } from './journal.ts';
import { replanFacilitatorDigestsOf } from './digests.ts';
import { verifyUnsubscribe } from './unsubscribe.ts';

const messages = {
  notFailed:
    'Only a failed notification can be sent again, and this one is no longer failed: it may have been sent again already.',
  securityNotResent:
    'An invitation or password reset cannot be sent again: its one-time link is not kept. Send a new invitation from the person’s page, or ask her to reset her password again.',
  badLink:
    'This unsubscribe link is not valid. Use the link in a recent email, or change your settings after signing in.',
};

/** What the API and the admin pages show of a notification; its status comes from the journal (see ./due.ts). */
export type NotificationView = {
  id: string;
  userId: string;
  kind: string;
  about: { type: string; id: string };
  subject: string;
  status: string;
  sendAt: string;
  sentAt: string | null;
  attempts: number;
  lastError: string | null;
  skipReason: string | null;
};

type StoredNotification = PlannedRecord & {
  userId: Types.ObjectId;
  about: { type: string; id: string };
  subject?: string;
  attempts?: number;
  lastError?: string;
  skipReason?: string;
  sentAt?: Date;
};

function present(
  r: StoredNotification,
  journal: Map<string, Parameters<typeof effectiveState>[1]>,
  now: Date,
): NotificationView {
  const state = effectiveState(r, journal.get(String(r._id)) ?? [], now);
  return {
    id: String(r._id),
    userId: String(r.userId),
    kind: r.kind,
    about: { type: r.about.type, id: r.about.id },
    subject: state.subject ?? r.subject ?? '',
    status: state.status,
    sendAt: r.sendAt.toISOString(),
    sentAt: (state.sentAt ?? r.sentAt)?.toISOString() ?? null,
    attempts: Math.max(state.attempts, r.attempts ?? 0),
    lastError: state.lastError ?? r.lastError ?? null,
    skipReason: state.skipReason ?? r.skipReason ?? null,
  };
}

/**
 * One page of notifications, newest send time first, with their current status. Daily-digest bundles are internal
 * (the notifications they carry are listed instead). The status lives in the delivery journal, not on the record,
 * so a status filter reads on in batches until the page is full; after ten batches the page may be short, and its
 * cursor carries on from where the reading stopped. Each batch is read in the list's order from an index that ends in
 * (sendAt, _id) (models/Notification.ts), from the cursor on, and stops at its limit.
 */
export async function pageNotifications(props: {
  userId?: string;
  kind?: string;
  status?: string;
  now?: Date;
  limit: number;
  cursor?: string;
}): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
  const now = props.now ?? new Date();
  // Her own notifications first: the embedded FerretDB narrows by the first indexed equality it is given (README, The
  // database), and hers are few and read in order from (userId, sendAt, _id). Every kind but the digest bundle is a
  // `$ne`, not a `$in` of all the others: an index on `kind` would answer such a `$in` with every row, and FerretDB
  // then read the whole collection, keyed by send time, for each page (17 s at 155,000 notifications).
  const base: Record<string, unknown> = props.userId ? { userId: new Types.ObjectId(props.userId) } : {};
  base.kind = props.kind ?? { $ne: dailyDigestKind };
  // A place in the list (newest send time first, then newest id), opaque to clients.
  let after = decodeTimeCursor(props.cursor);
  const batchSize = props.status ? 500 : props.limit + 1;
  const items: { view: NotificationView; position: TimePosition }[] = [];
  for (let batch = 0; batch < (props.status ? 10 : 1); batch += 1) {
    // The `sendAt` bound repeats what the `$or` says, so the index is read from the cursor on, not from the top.
    const filter = after
      ? {
          ...base,
          sendAt: { $lte: after.at },
          $or: [{ sendAt: { $lt: after.at } }, { sendAt: after.at, _id: { $lt: after.id } }],
        }
      : base;
    const records = (await NotificationModel.collection
      .find(filter)
      .sort({ sendAt: -1, _id: -1 })
      .limit(batchSize)
      .toArray()) as unknown as StoredNotification[];
    const journal = await journalOf(records.map((r) => r._id));
    for (const r of records) {
      const view = present(r, journal, now);
      if (!props.status || view.status === props.status) items.push({ view, position: { at: r.sendAt, id: r._id } });
      if (items.length > props.limit) break;
    }
    if (items.length > props.limit) {
      const page = items.slice(0, props.limit);
      return {
        items: page.map((i) => i.view),
        nextCursor: encodeTimeCursor(page.at(-1)!.position.at, page.at(-1)!.position.id),
      };
    }
    if (records.length < batchSize) return { items: items.map((i) => i.view), nextCursor: null };
    after = { at: records.at(-1)!.sendAt, id: records.at(-1)!._id };
  }
  return { items: items.map((i) => i.view), nextCursor: after ? encodeTimeCursor(after.at, after.id) : null };
}

/** The first page, as a plain list (admin pages, tests). */
export async function presentNotifications(props: {
  userId?: string;
  kind?: string;
  status?: string;
  now?: Date;
  limit?: number;
}): Promise<NotificationView[]> {
  return (await pageNotifications({ ...props, limit: props.limit ?? 200 })).items;
}

/** Sends a failed notification again (admins): a few more attempts, from now. Never a security email (see below). */
export async function resendNotification(props: { id: string; now?: Date }): Promise<void> {
  const now = props.now ?? new Date();
  const record = await NotificationModel.findById(props.id).lean();
  if (!record) throw new NotFoundError();
  const rows = await NotificationDeliveryModel.collection.find({ notificationId: record._id }).toArray();
  const state = effectiveState(record as unknown as PlannedRecord, rows as never, now);
  if (state.status !== 'failed') throw new ValidationError(messages.notFailed);
  // Its data (the link) was emptied when it settled: sent again, it would arrive without the link, or not at all.
  if (isSecurityKind(record.kind)) throw new ValidationError(messages.securityNotResent);
  // A permanent refusal is final for its attempt; the next attempt number starts clean.
  await NotificationModel.updateOne(
    { _id: record._id },
    { $set: { status: 'scheduled', maxAttempts: state.attempts + 3, nextAttemptAt: now, lastError: state.lastError } },
  );
  await NotificationDeliveryModel.collection.updateMany(
    { notificationId: record._id, phase: 'result', final: true },
    { $set: { final: false } },
  );
}

export type Preferences = { mutedKinds: NotificationKind[]; emailDigest: 'single' | 'daily'; digestWeekday: number };

export async function preferencesOf(userId: string): Promise<Preferences> {
  const user = await UserModel.findById(userId).select({ mutedKinds: 1, emailDigest: 1, digestWeekday: 1 }).lean();
  if (!user) throw new NotFoundError();
  return {
    mutedKinds: (user.mutedKinds ?? []) as NotificationKind[],
    emailDigest: (user.emailDigest ?? 'single') as 'single' | 'daily',
    digestWeekday: user.digestWeekday ?? 1,
  };
}

/**
 * Saves her choices; security kinds are never muted, and a new digest weekday re-plans her weekly digests. The weekday
 * it replaces is the one this write overwrote (returned by the same atomic update), not one read before it: two saves
 * at once from two tabs (Monday → Tuesday, then back to Monday) would otherwise both see Monday and skip the re-plan.
 */
export async function savePreferences(props: { userId: string; preferences: Preferences; now?: Date }): Promise<void> {
  const mutedKinds = [...new Set(props.preferences.mutedKinds)].filter((k) => !isSecurityKind(k));
  if (!isObjectId(props.userId)) throw new NotFoundError();
  // The driver's own call: mongoose would add the schema's hidden fields as a projection, which FerretDB 1.x does not
  // take on findAndModify.
  const before = await UserModel.collection.findOneAndUpdate(
    { _id: new Types.ObjectId(props.userId) },
    {
      $set: { mutedKinds, emailDigest: props.preferences.emailDigest, digestWeekday: props.preferences.digestWeekday },
    },
    { returnDocument: 'before' },
  );
  if (!before) throw new NotFoundError();
  if ((before.digestWeekday ?? 1) !== props.preferences.digestWeekday)
    await replanFacilitatorDigestsOf({ userId: props.userId, now: props.now });
}

/**
 * What a one-click link turns off. A kind's link mutes that kind. The daily digest's link stops the digest emails:
 * what she asked is to receive no more of them, so every kind a digest gathers is muted (switching her back to single
 * emails would send more, not fewer); urgent and security emails, which never wait for a digest, still come.
 */
export type UnsubscribeTarget = { kind: string; label: string; mutes: NotificationKind[] };

function unsubscribeTarget(kind: string): UnsubscribeTarget | undefined {
  if (kind === dailyDigestKind)
    return { kind, label: dailyDigestInfo.label, mutes: notificationKinds.filter(isBundleableKind) };
  if (!(notificationKinds as readonly string[]).includes(kind) || isSecurityKind(kind)) return undefined;
  return { kind, label: kindInfo[kind as NotificationKind].label, mutes: [kind as NotificationKind] };
}

/** One-click unsubscribe: the signature is the authentication. Returns what it turns off, or undefined for a bad link. */
export async function unsubscribe(props: {
  userId: string;
  kind: string;
  signature: string;
  dryRun?: boolean;
}): Promise<UnsubscribeTarget | undefined> {
  const target = unsubscribeTarget(props.kind);
  if (!target || !/^[0-9a-f]{24}$/i.test(props.userId)) return undefined;
  if (!verifyUnsubscribe(props.userId, props.kind, props.signature)) return undefined;
  if (!props.dryRun)
    await UserModel.updateOne({ _id: props.userId }, { $addToSet: { mutedKinds: { $each: target.mutes } } });
  return target;
}

export const unsubscribeMessages = messages;
