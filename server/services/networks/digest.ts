import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { NetworkModel } from '../../../models/Network.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { NetworkPostModel } from '../../../models/NetworkPost.ts';
import { UserModel } from '../../../models/User.ts';
import { absoluteUrl } from '../../settings.ts';
import { registerNotificationKind, type ComposeContext } from '../reminders/compose.ts';
import { planNotifications, type NotificationPlan } from '../reminders/plan.ts';
import { nextWeekly, weekBefore } from '../reminders/time.ts';
import { networksOf } from './membership.ts';

/**
 * The weekly network digest: on Monday at 08:00 in her zone, what was posted in her networks in the seven days
 * before (not hidden, not hers). The key holds the ISO week of that Monday in her zone, unique, so however often
 * the planner runs, and from however many processes, she gets at most one digest per ISO week. A week with nothing
 * new is skipped at send time (no empty email). Her preferences and the unsubscribe link are the pipeline's.
 */
const perNetwork = 5;

/** ISO week of an instant in a zone, e.g. "2027-W03". */
export function isoWeekOf(instant: Date, zone: string): string {
  const local = DateTime.fromJSDate(instant, { zone });
  return `${local.weekYear}-W${String(local.weekNumber).padStart(2, '0')}`;
}

/** Plans the next digest of every current member of any network (or of one person). Returns how many were planned. */
export async function planNetworkDigests(props: { now?: Date; userId?: string } = {}): Promise<number> {
  const now = props.now ?? new Date();
  let memberIds: string[];
  if (props.userId) {
    memberIds = (await networksOf(props.userId)).length ? [props.userId] : [];
  } else {
    // One indexed query per network (networkId leads the index); a filter on status alone would read them all.
    const networks = await NetworkModel.find({}).select({ _id: 1 }).lean();
    const ids = new Set<string>();
    for (const n of networks) {
      const rows = await NetworkMembershipModel.find({ networkId: n._id, status: 'member' })
        .select({ userId: 1 })
        .lean();
      for (const r of rows) ids.add(String(r.userId));
    }
    memberIds = [...ids];
  }
  if (!memberIds.length) return 0;
  const users = await UserModel.find({ _id: { $in: memberIds.map((id) => new Types.ObjectId(id)) } })
    .select({ timezone: 1, status: 1 })
    .lean();
  const plans: NotificationPlan[] = [];
  for (const user of users) {
    if (user.status !== 'active') continue;
    const zone = user.timezone || 'UTC';
    const sendAt = nextWeekly({ after: now, weekday: 1, hour: 8, zone });
    const userId = String(user._id);
    plans.push({
      key: `network-digest:${userId}:${isoWeekOf(sendAt, zone)}`,
      userId,
      kind: 'network-digest',
      about: { type: 'user', id: userId },
      series: `network-digest:${userId}`,
      sendAt,
      // A day late, a weekly digest is stale: skipped, and next week's follows.
      eventAt: new Date(sendAt.getTime() + 24 * 60 * 60 * 1000),
      subject: 'What is new in your networks',
    });
  }
  await planNotifications(plans);
  return plans.length;
}

type DigestNetwork = { name: string; url: string; posts: { title: string; kind: string; url: string }[]; more: number };

async function digestOf(ctx: ComposeContext): Promise<DigestNetwork[]> {
  return ctx.memo.once(`network-digest:${String(ctx.record._id)}`, async () => {
    const networkIds = await networksOf(ctx.record.userId);
    if (!networkIds.length) return [];
    // Since the same time a week before on her clock: exactly since her last digest, in the weeks the clocks change too.
    const since = weekBefore(ctx.record.sendAt, ctx.recipient.timezone || 'UTC');
    const posts = await NetworkPostModel.find({
      networkId: { $in: networkIds },
      _id: { $gte: Types.ObjectId.createFromTime(Math.floor(since.getTime() / 1000)) },
    })
      .select({ networkId: 1, title: 1, kind: 1, hidden: 1, authorId: 1 })
      .lean();
    const fresh = posts.filter(
      (p) => !p.hidden && String(p.authorId) !== String(ctx.record.userId) && p._id.getTimestamp() < ctx.record.sendAt,
    );
    if (!fresh.length) return [];
    const networks = await NetworkModel.find({ _id: { $in: networkIds } })
      .select({ name: 1 })
      .lean();
    return networks
      .map((n) => {
        const mine = fresh
          .filter((p) => String(p.networkId) === String(n._id))
          .sort((a, b) => b._id.getTimestamp().getTime() - a._id.getTimestamp().getTime());
        return {
          name: n.name,
          url: absoluteUrl(`/networks/${String(n._id)}`),
          posts: mine
            .slice(0, perNetwork)
            .map((p) => ({ title: p.title, kind: p.kind, url: absoluteUrl(`/posts/${String(p._id)}`) })),
          more: Math.max(0, mine.length - perNetwork),
        };
      })
      .filter((n) => n.posts.length)
      .sort((a, b) => a.name.localeCompare(b.name));
  });
}

registerNotificationKind('network-digest', {
  isStillRelevant: async (ctx) => ((await digestOf(ctx)).length ? true : 'Nothing new in her networks this week.'),
  compose: async (ctx) => {
    const networks = await digestOf(ctx);
    const count = networks.reduce((sum, n) => sum + n.posts.length + n.more, 0);
    return {
      subject: `${count} new post${count === 1 ? '' : 's'} in your networks`,
      template: 'network-digest',
      data: { networks },
    };
  },
});
