import { Types } from 'mongoose';
import { DateTime } from 'luxon';
import { NotificationModel, type NotificationKind } from '../../../models/Notification.ts';
import { dailyDigestsFollowZone } from './dailyDigest.ts';

/**
 * Kinds planned once for a time of her own day ("09:00 her time": a survey at the start or end of a programme, the
 * outcomes prompt six months after a mentorship) that no sweep plans again. The sweep's kinds (weekly digests,
 * certificate expiry, session and module reminders) follow a new zone at its next run.
 */
const plannedOnHerClock: readonly NotificationKind[] = ['survey-invitation', 'mentoring-outcomes-prompt'];

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
    .select({ sendAt: 1 })
    .lean();
  for (const n of scheduled) {
    const moved = DateTime.fromJSDate(n.sendAt, { zone: props.from })
      .setZone(props.to, { keepLocalTime: true })
      .toJSDate();
    if (moved.getTime() === n.sendAt.getTime()) continue;
    await NotificationModel.updateOne(
      { _id: n._id, status: 'scheduled', sendAt: n.sendAt },
      { $set: { sendAt: moved, nextAttemptAt: moved } },
    );
  }
  await dailyDigestsFollowZone({ userId: props.userId, zone: props.to, now: new Date() });
}
