import { Types } from 'mongoose';
import { NetworkPostModel } from '../../../models/NetworkPost.ts';
import { NetworkReplyModel } from '../../../models/NetworkReply.ts';

/**
 * A post's `replyCount` is a second write after the reply's insert (replyToPost), not one transaction with it: a
 * process killed between the two leaves the count one short. The `networks:recount-replies` job sets it back to the
 * number of the post's replies (every reply counts, as in replyToPost: replies are never deleted, and a hidden or an
 * erased one keeps its place on the page).
 *
 * Safe while replies are being written, and when two runs overlap:
 * - a post whose latest reply is younger than `replySettleMs` is left for a later run, since that reply's own `$inc`
 *   may still be on its way (counting it here as well would count it twice);
 * - the count is written only where it still holds the value read before counting, so a reply counted meanwhile by
 *   its `$inc` is never overwritten (that post is corrected on a later run).
 */
export const replySettleMs = 5 * 60 * 1000;

/** Posts read (and their replies counted) per round. */
const batchSize = 200;

/**
 * Sets every post's `replyCount` that differs from the number of its replies (the hourly `networks:recount-replies`
 * job). Idempotent: a second run finds nothing to change.
 */
export async function recountReplies(props: { now?: Date } = {}): Promise<{ corrected: number }> {
  const settled = Types.ObjectId.createFromTime(
    Math.floor(((props.now ?? new Date()).getTime() - replySettleMs) / 1000),
  );
  let corrected = 0;
  let after: Types.ObjectId | null = null;
  for (;;) {
    // The stored counts are read before the replies are counted: see the conditional write below.
    const posts: { _id: Types.ObjectId; replyCount?: number | null }[] = await NetworkPostModel.find(
      after ? { _id: { $gt: after } } : {},
    )
      .sort({ _id: 1 })
      .limit(batchSize)
      .select({ replyCount: 1 })
      .lean();
    if (!posts.length) break;
    after = posts.at(-1)!._id;
    const counts = await NetworkReplyModel.aggregate<{ _id: Types.ObjectId; n: number }>([
      { $match: { postId: { $in: posts.map((p) => p._id) } } },
      { $group: { _id: '$postId', n: { $sum: 1 } } },
    ]);
    const countOf = new Map(counts.map((c) => [String(c._id), c.n]));
    for (const post of posts) {
      const stored = post.replyCount ?? 0;
      const actual = countOf.get(String(post._id)) ?? 0;
      if (stored === actual) continue;
      if (await NetworkReplyModel.exists({ postId: post._id, _id: { $gte: settled } })) continue;
      const written = await NetworkPostModel.updateOne(
        { _id: post._id, replyCount: post.replyCount ?? null },
        { $set: { replyCount: actual } },
        { timestamps: false },
      );
      corrected += written.modifiedCount;
    }
    if (posts.length < batchSize) break;
  }
  return { corrected };
}
