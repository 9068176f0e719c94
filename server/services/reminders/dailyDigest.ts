import { Types } from 'mongoose';
import { NotificationModel } from '../../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../../models/NotificationDelivery.ts';
import { renderBody } from '../../emails.ts';
import {
  composeNotification,
  prepareBatch,
  registerNotificationKind,
  templateLocals,
  type PlannedNotification,
  type Recipient,
} from './compose.ts';
import { effectiveState, type JournalRow, type PlannedRecord } from './due.ts';
import { claim, journalOf, recordResults, withdrawClaims, workerId } from './journal.ts';
import { planNotification } from './plan.ts';
import { localDate, nextDaily } from './time.ts';

const messages = {
  past: 'Left out of the daily digest: what it was about had already happened.',
  muted: 'Left out of the daily digest: she turned this kind of email off.',
};

/**
 * Readers who chose a daily digest get their non-urgent notifications bundled into one email at 08:00 in their
 * zone. When such a notification falls due, the job records it as `bundled` into that day's digest (planned
 * here under its own key, so however many arrive, there is one digest); when the digest is sent, they count as sent.
 */
export async function planDailyDigestFor(props: {
  recipient: Pick<Recipient, '_id' | 'timezone'>;
  now: Date;
}): Promise<string> {
  const zone = props.recipient.timezone || 'UTC';
  let sendAt = nextDaily({ after: props.now, hour: 8, zone });
  let key = `daily-digest:${String(props.recipient._id)}:${localDate(sendAt, zone)}`;
  // One digest per date on her calendar. That date's may be gone already: she moved west (Sydney's 08:00 on the 18th
  // is the 17th, 23:00 in London) and it is not yet 08:00 on the 18th where she is now. What it would hold goes in
  // the next day's; bundled into one already sent (or being sent: claimed), it would never arrive.
  const planned = await NotificationModel.findOne({ key }, { status: 1 }).lean();
  const taken =
    planned &&
    (!['scheduled', 'cancelled'].includes(planned.status) ||
      (await NotificationDeliveryModel.exists({ notificationId: planned._id, phase: 'claim' })));
  if (taken) {
    sendAt = nextDaily({ after: new Date(sendAt.getTime() + 1), hour: 8, zone });
    key = `daily-digest:${String(props.recipient._id)}:${localDate(sendAt, zone)}`;
  }
  await planNotification({
    key,
    userId: props.recipient._id,
    kind: 'daily-digest',
    about: { type: 'user', id: props.recipient._id },
    sendAt,
    subject: 'Your Pathways digest',
  });
  return key;
}

export type HeldItem = { notificationId: Types.ObjectId; attempt: number };

/**
 * What a daily digest holds: each notification whose latest result is `bundled` into it, with that attempt (the one
 * that settles it is the next). One moved on to another digest since (she changed zone) is that digest's, though its
 * earlier `bundled` row still names this one.
 */
export async function heldByDigest(digestKey: string): Promise<HeldItem[]> {
  const named = await NotificationDeliveryModel.collection
    .find({ digestKey, outcome: 'bundled' }, { projection: { notificationId: 1 } })
    .toArray();
  if (!named.length) return [];
  const journal = await journalOf([
    ...new Map(named.map((r) => [String(r.notificationId), r.notificationId])).values(),
  ]);
  const held: HeldItem[] = [];
  for (const rows of journal.values()) {
    const latest = rows
      .filter((r) => r.phase === 'result')
      .sort((a, b) => a.attempt - b.attempt)
      .at(-1);
    if (latest?.outcome === 'bundled' && latest.digestKey === digestKey)
      held.push({ notificationId: latest.notificationId, attempt: latest.attempt });
  }
  return held;
}

/** How long moving a digest's items may keep its claim; a process killed meanwhile leaves it to be sent after that. */
const moveLeaseMs = 60_000;

/**
 * She changed zone: each daily digest still to come for her (scheduled, its time ahead, never claimed) goes to the
 * next 08:00 in her new zone, under that date's key. When that is another date, what it holds joins the digest of that
 * date (planned if there is none): each item is claimed at its next attempt and bundled into it, as when it fell due,
 * so it is in one digest whatever runs at once; the digest it leaves is claimed meanwhile, so no run sends it half
 * moved. That one stays planned, empty, and is skipped at its time ("Nothing to send."): an item a run bundled into it
 * from her old zone while it moved still goes.
 */
export async function dailyDigestsFollowZone(props: {
  userId: Types.ObjectId | string;
  zone: string;
  now: Date;
}): Promise<void> {
  const userId = new Types.ObjectId(String(props.userId));
  const waiting = await NotificationModel.find({
    userId,
    kind: 'daily-digest',
    status: 'scheduled',
    sendAt: { $gt: props.now },
  })
    .select({ key: 1, sendAt: 1 })
    .lean();
  for (const digest of waiting) {
    if (await NotificationDeliveryModel.exists({ notificationId: digest._id, phase: 'claim' })) continue;
    if (!(await heldByDigest(digest.key)).length) continue;
    // The same date in her new zone: planning it again has moved it to 08:00 there.
    const target = await planDailyDigestFor({ recipient: { _id: userId, timezone: props.zone }, now: props.now });
    if (target !== digest.key) await moveHeldItems({ from: digest, to: target, now: props.now });
  }
}

async function moveHeldItems(props: {
  from: { _id: Types.ObjectId; key: string; sendAt: Date };
  to: string;
  now: Date;
}): Promise<void> {
  // Journal rows are never dated before their notification's send time: the reminders job reads them from there.
  const at = new Date(Math.max(props.now.getTime(), props.from.sendAt.getTime()));
  const [hold] = await claim([
    {
      notificationId: props.from._id,
      attempt: 1,
      phase: 'claim',
      worker: workerId,
      at,
      leaseUntil: new Date(at.getTime() + moveLeaseMs),
    },
  ]);
  // Claimed meanwhile by a run sending it: it goes with what it holds.
  if (!hold) return;
  try {
    const held = await heldByDigest(props.from.key);
    const moved = await claim(
      held.map((h) => ({
        notificationId: h.notificationId,
        attempt: h.attempt + 1,
        phase: 'claim' as const,
        worker: workerId,
        at: props.now,
        leaseUntil: props.now,
      })),
    );
    await recordResults(
      moved.map((c) => ({
        notificationId: c.notificationId,
        attempt: c.attempt,
        phase: 'result' as const,
        worker: workerId,
        at: props.now,
        outcome: 'bundled' as const,
        digestKey: props.to,
      })),
    );
  } finally {
    // Unclaimed again, as if never claimed: it is sent at its time if anything still lands in it.
    await withdrawClaims([hold]);
  }
}

registerNotificationKind('daily-digest', {
  compose: async (ctx) => {
    const held = await heldByDigest(ctx.record.key);
    const items = (await NotificationModel.collection
      .find({ _id: { $in: held.map((h) => h.notificationId) } })
      .toArray()) as unknown as (PlannedNotification & PlannedRecord)[];
    await prepareBatch(items, ctx.memo);
    const sections: { subject: string; text: string; html: string }[] = [];
    const bundled: { id: string; attempt: number }[] = [];
    // Items that fall away are recorded as skipped with the reason once the digest is settled (deliver.ts), so none
    // stays "bundled" into a digest that never carried it.
    const leftOut: { id: string; attempt: number; reason: string }[] = [];
    for (const item of items.sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime())) {
      const row = held.find((h) => String(h.notificationId) === String(item._id))!;
      const allRows = (await NotificationDeliveryModel.collection
        .find({ notificationId: item._id })
        .toArray()) as unknown as JournalRow[];
      if (effectiveState(item, allRows, ctx.now).status !== 'scheduled') continue;
      const leave = (reason: string) => leftOut.push({ id: String(item._id), attempt: row.attempt, reason });
      if (item.eventAt && item.eventAt <= ctx.now) {
        leave(messages.past);
        continue;
      }
      // Bundled before she turned the kind off (the digest's own "Stop these emails" turns off all it gathers).
      if (ctx.recipient.mutedKinds?.includes(item.kind)) {
        leave(messages.muted);
        continue;
      }
      const composed = await composeNotification({
        record: item,
        recipient: ctx.recipient,
        now: ctx.now,
        memo: ctx.memo,
      });
      if ('skip' in composed) {
        leave(composed.skip);
        continue;
      }
      const body = renderBody(
        composed.template,
        templateLocals(ctx.recipient, item.kind, composed.subject, composed.data),
      );
      sections.push({ subject: composed.subject, ...body });
      bundled.push({ id: String(item._id), attempt: row.attempt });
    }
    if (!sections.length) return { skip: 'Nothing left to send.', data: { leftOut } };
    return {
      subject: `Your Pathways digest: ${sections.length} update${sections.length === 1 ? '' : 's'}`,
      template: 'daily-digest',
      data: { sections, bundled, leftOut },
    };
  },
  isStillRelevant: async (ctx) => ((await heldByDigest(ctx.record.key)).length > 0 ? true : 'Nothing to send.'),
});
