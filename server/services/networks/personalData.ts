import type { Types } from 'mongoose';
import { NetworkModel } from '../../../models/Network.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { NetworkPostModel } from '../../../models/NetworkPost.ts';
import { NetworkPostReportModel } from '../../../models/NetworkPostReport.ts';
import { NetworkReplyModel } from '../../../models/NetworkReply.ts';
import { personalDataArea } from '../privacy/personalData.ts';
import {
  forgetNameInOthersNotifications,
  forgetWordsInOthersNotifications,
  forgetWordsInOutboxCopies,
} from '../reminders/personalData.ts';
import { profileForgetsNetworks } from '../directory/profileNetworks.ts';
import { leadsChanged, requestsFindAnAnswerer } from './members.ts';

/**
 * Networks' personal data: her memberships, posts, replies and reports.
 *
 * Erasure removes her text as well as her name. Her stories are about her own identity and career ("back after a
 * career break, first headship in Kuala Lumpur"): the words identify her without the name, so keeping them under
 * "Former member" would not erase her. The rows stay, so other women's replies keep their thread and counts stay
 * true: a post keeps its network, kind and date, reads "Former member" with a note that its text was removed, and
 * her replies the same; her titles leave the copies of other people's emails that quoted them (reports, digests). Her reports stay for the moderation record without her name (their reason is about someone
 * else's post). Her memberships are deleted, and each current one is counted out of its network.
 */
export const erasedPostTitle = 'Removed at the author’s request';
export const erasedBody = '_This text was removed when its author left Pathways._';

export const networksPersonalData = personalDataArea({
  area: 'networks',
  columns: {
    memberships: ['network', 'status', 'role', 'requestedAt', 'joinedAt', 'removedAt', 'leftBy'],
    posts: ['id', 'network', 'kind', 'title', 'body', 'hidden', 'createdAt'],
    replies: ['id', 'postId', 'network', 'body', 'createdAt'],
    reports: ['postId', 'replyId', 'network', 'reason', 'createdAt'],
  },

  async exportFor(userId: Types.ObjectId) {
    const [memberships, posts, replies, reports] = await Promise.all([
      NetworkMembershipModel.find({ userId }).lean(),
      NetworkPostModel.find({ authorId: userId }).lean(),
      NetworkReplyModel.find({ authorId: userId }).lean(),
      NetworkPostReportModel.find({ reporterId: userId }).lean(),
    ]);
    const networkIds = [...new Set([...memberships, ...posts, ...replies, ...reports].map((r) => String(r.networkId)))];
    const networks = await NetworkModel.find({ _id: { $in: networkIds } })
      .select({ name: 1 })
      .lean();
    const nameOf = (id: unknown) => networks.find((n) => String(n._id) === String(id))?.name ?? null;
    const at = (row: { createdAt?: Date }) => row.createdAt?.toISOString() ?? null;
    return {
      memberships: memberships.map((m) => ({
        network: nameOf(m.networkId),
        status: m.status,
        role: m.role,
        requestedAt: m.requestedAt?.toISOString() ?? null,
        joinedAt: m.joinedAt?.toISOString() ?? null,
        removedAt: m.removedAt?.toISOString() ?? null,
        leftBy: m.leftBy ?? null,
      })),
      posts: posts.map((p) => ({
        id: String(p._id),
        network: nameOf(p.networkId),
        kind: p.kind,
        title: p.title,
        body: p.body,
        hidden: p.hidden ?? false,
        createdAt: at(p as { createdAt?: Date }),
      })),
      replies: replies.map((r) => ({
        id: String(r._id),
        postId: String(r.postId),
        network: nameOf(r.networkId),
        body: r.body,
        createdAt: at(r as { createdAt?: Date }),
      })),
      reports: reports.map((r) => ({
        postId: String(r.postId),
        replyId: r.replyId ? String(r.replyId) : null,
        network: nameOf(r.networkId),
        reason: r.reason,
        createdAt: at(r as { createdAt?: Date }),
      })),
    };
  },

  async eraseFor(userId: Types.ObjectId) {
    // Her directory profile (deleted by the directory's erasure, after this) no longer shows her to her networks' members
    // from the moment her rows go (server/services/directory/profileNetworks.ts).
    await profileForgetsNetworks(userId);
    // "<her name> asks to join …": the leads' emails about her join requests.
    await forgetNameInOthersNotifications({ userId, dataUserIdField: 'askerId' });
    const memberships = await NetworkMembershipModel.find({ userId })
      .select({ _id: 1, networkId: 1, status: 1, role: 1 })
      .lean();
    for (const m of memberships) {
      // Counted out only by the delete that removed a counted membership (a second erasure finds nothing; a disabled
      // account's rows were counted out when it was disabled, members.ts membershipsFollowAccount).
      const deleted = await NetworkMembershipModel.deleteOne({
        _id: m._id,
        status: 'member',
        accountDisabled: { $ne: true },
      });
      if (deleted.deletedCount === 1) await NetworkModel.updateOne({ _id: m.networkId }, { $inc: { memberCount: -1 } });
      // She no longer leads it: an admin naming the leads over the ones she read (with her) is told they changed.
      if (m.status === 'member' && m.role === 'lead') await leadsChanged(m.networkId);
    }
    await NetworkMembershipModel.deleteMany({ userId });
    // Requests waiting in the networks she led go to whoever answers them now (the admins if nobody else leads).
    await requestsFindAnAnswerer(
      memberships.filter((m) => m.status === 'member' && m.role === 'lead').map((m) => m.networkId),
    );
    // Her titles as other people's emails quoted them: reports to the leads, and the weekly digests that link them.
    const posts = await NetworkPostModel.find({ authorId: userId }).select({ title: 1 }).lean();
    if (posts.length) {
      const titles = posts.map((p) => p.title);
      await forgetWordsInOthersNotifications({
        userId,
        about: { type: 'post', ids: posts.map((p) => p._id) },
        kinds: ['network-report'],
        words: titles,
        by: erasedPostTitle,
      });
      await forgetWordsInOutboxCopies({
        containing: new RegExp(`/posts/(${posts.map((p) => String(p._id)).join('|')})`),
        words: titles,
        by: erasedPostTitle,
      });
    }
    await NetworkPostModel.updateMany(
      { authorId: userId },
      {
        $set: { authorId: null, title: erasedPostTitle, body: erasedBody, erased: true },
        $unset: { authorName: 1, authorVersion: 1 },
      },
    );
    await NetworkReplyModel.updateMany(
      { authorId: userId },
      { $set: { authorId: null, body: erasedBody, erased: true }, $unset: { authorName: 1, authorVersion: 1 } },
    );
    await NetworkPostReportModel.updateMany({ reporterId: userId }, { $set: { reporterId: null } });
  },
});
