import type { NotificationKind } from '../../../models/Notification.ts';
import { NotificationModel } from '../../../models/Notification.ts';
import { planNotifications } from './plan.ts';

/** A change notice waits this long, so several edits in a row make one email that tells the latest state. */
export const changeNoticeWaitMs = 10 * 60 * 1000;

/**
 * Plans the change notice of something that moved (a session, a network event) for each of its readers: ONE per
 * reader however many edits follow within ten minutes. It waits ten minutes (less when the thing is close: never later
 * than half an hour before it), is composed when sent so it tells the latest state, and a later edit while one still
 * waits for her plans nothing new. Its key names the ten minutes it was planned in, so two processes planning the same
 * change make one.
 */
export async function planChangeNotices(props: {
  kind: Extract<NotificationKind, 'session-changed' | 'network-event-changed'>;
  about: { type: 'session' | 'event'; id: string };
  readers: string[];
  /** When the thing starts (a notice still unsent then is skipped). */
  eventAt: Date;
  subject: string;
  /** What it was before the change (the composer compares it with what it is when sending). */
  data: Record<string, unknown>;
  now: Date;
}): Promise<void> {
  const { kind, about, now } = props;
  const waiting = await NotificationModel.collection
    .find({ kind, 'about.id': about.id, status: 'scheduled', sendAt: { $gt: now } }, { projection: { userId: 1 } })
    .toArray();
  const hasWaiting = new Set(waiting.map((w) => String(w.userId)));
  const bucket = Math.floor(now.getTime() / changeNoticeWaitMs);
  const sendAt = new Date(
    Math.max(now.getTime(), Math.min(now.getTime() + changeNoticeWaitMs, props.eventAt.getTime() - 30 * 60_000)),
  );
  await planNotifications(
    props.readers
      .filter((userId) => !hasWaiting.has(userId))
      .map((userId) => ({
        key: `${kind}:${about.id}:${userId}:${bucket}`,
        userId,
        kind,
        about,
        sendAt,
        eventAt: props.eventAt,
        subject: props.subject,
        data: props.data,
      })),
  );
}
