import { Types } from 'mongoose';
import { DateTime } from 'luxon';
import { NotificationModel, type NotificationKind } from '../../../models/Notification.ts';
import { dailyDigestsFollowZone } from './dailyDigest.ts';

/**
 * Kinds planned once for a time of her own day ("09:00 her time": a survey at the start or end of a programme, the
 * outcomes prompt six months after a mentorship, the notice 14 days before a mentorship's agreed end) that no sweep
 * plans again. The sweep's kinds (weekly digests, certificate expiry, session and module reminders) follow a new zone
 * at its next run.
 */
const plannedOnHerClock: readonly NotificationKind[] = [
  'survey-invitation',
  'mentoring-outcomes-prompt',
  'mentorship-ending',
];
/** Of those, the ones whose event is on her clock too: a mentorship's agreed end is the start of that day where she is. */
const eventOnHerClock: readonly NotificationKind[] = ['mentorship-ending'];

const sameTimeOfDay = (instant: Date, from: string, to: string): Date =>
  DateTime.fromJSDate(instant, { zone: from }).setZone(to, { keepLocalTime: true }).toJSDate();

/**
 * She changed her zone (herself or an admin): each of those still to be sent moves to the same time of day in her new
 * zone (09:00 in Toronto becomes 09:00 in Kathmandu, not 19:45), each move conditional on the times read, so a re-plan
 * landing meanwhile stands; and a daily digest still to come goes to 08:00 there (dailyDigestsFollowZone).
 */
export async function remindersFollowZone(props: {
  userId: Types.ObjectId | string;
  from: string;
  to: string;
}): Promise<void> {
  const scheduled = await NotificationModel.find({
    userId: new Types.ObjectId(String(props.userId)),
    status: 'scheduled',
    kind: { $in: plannedOnHerClock },
  })
    .select({ kind: 1, sendAt: 1, eventAt: 1 })
    .lean();
  for (const n of scheduled) {
    const sendAt = sameTimeOfDay(n.sendAt, props.from, props.to);
    const eventAt =
      n.eventAt && eventOnHerClock.includes(n.kind as NotificationKind)
        ? sameTimeOfDay(n.eventAt, props.from, props.to)
        : n.eventAt;
    if (sendAt.getTime() === n.sendAt.getTime() && eventAt?.getTime() === n.eventAt?.getTime()) continue;
    await NotificationModel.updateOne(
      { _id: n._id, status: 'scheduled', sendAt: n.sendAt, eventAt: n.eventAt },
      { $set: { sendAt, nextAttemptAt: sendAt, eventAt } },
    );
  }
  await dailyDigestsFollowZone({ userId: props.userId, zone: props.to, now: new Date() });
}
