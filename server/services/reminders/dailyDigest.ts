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
export async function planDailyDigestFor(props: { recipient: Recipient; now: Date }): Promise<string> {
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

registerNotificationKind('daily-digest', {
  compose: async (ctx) => {
    const rows = (await NotificationDeliveryModel.collection
      .find({ digestKey: ctx.record.key, outcome: 'bundled' })
      .toArray()) as unknown as JournalRow[];
    const items = (await NotificationModel.collection
      .find({ _id: { $in: rows.map((r) => r.notificationId) } })
      .toArray()) as unknown as (PlannedNotification & PlannedRecord)[];
    await prepareBatch(items, ctx.memo);
    const sections: { subject: string; text: string; html: string }[] = [];
    const bundled: { id: string; attempt: number }[] = [];
    // Items that fall away are recorded as skipped with the reason once the digest is settled (deliver.ts), so none
    // stays "bundled" into a digest that never carried it.
    const leftOut: { id: string; attempt: number; reason: string }[] = [];
    for (const item of items.sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime())) {
      const row = rows.find((r) => String(r.notificationId) === String(item._id))!;
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
  isStillRelevant: async (ctx) => {
    const count = await NotificationDeliveryModel.collection.countDocuments({
      digestKey: ctx.record.key,
      outcome: 'bundled',
    });
    return count > 0 ? true : 'Nothing to send.';
  },
});
