import { expect } from 'chai';
import type { Agenda } from 'agenda';
import { Types } from 'mongoose';
import { networksJobs } from '../../jobs/networks.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NetworkReplyModel } from '../../models/NetworkReply.ts';
import { recountReplies, replySettleMs, replyToPost } from '../../server/services/networks/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/** Replies counted by the hourly job: a post's `replyCount` is a second write after the reply's, not a transaction. */
describe('networks: the reply-count repair job', () => {
  useTestDatabase();
  let lead: TestUser;
  let member: TestUser;
  let networkId: string;
  /** A run late enough that every reply written so far has settled (its own `$inc` long done or lost). */
  const later = () => ({ now: new Date(Date.now() + replySettleMs + 60_000) });
  const countOf = async (postId: Types.ObjectId) => (await NetworkPostModel.findById(postId).lean())!.replyCount;

  before(async () => {
    lead = await buildUser();
    member = await buildUser();
    networkId = (await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member] })).id;
  });

  /** A post with `replies` replies written as the app writes them, then its count set to `stored` (a bad count). */
  async function postWith(replies: number, stored: number): Promise<Types.ObjectId> {
    const post = await NetworkPostModel.create({
      networkId,
      authorId: lead.id,
      kind: 'question',
      title: 'Who is applying this spring?',
      body: 'Tell us.',
    });
    for (let n = 0; n < replies; n += 1)
      await NetworkReplyModel.create({ postId: post._id, networkId, authorId: member.id, body: `Reply ${n}` });
    await NetworkPostModel.updateOne({ _id: post._id }, { $set: { replyCount: stored } });
    return post._id;
  }

  it('when a post’s stored count is wrong, the job sets it to the number of its replies; a second run changes nothing', async () => {
    const short = await postWith(3, 2);
    const long = await postWith(1, 2);
    const empty = await postWith(0, 1);
    const right = await postWith(2, 2);
    const untouched = await NetworkPostModel.findById(right).lean();

    const first = await recountReplies(later());
    expect(first.corrected).to.be.at.least(3);
    expect(await countOf(short)).to.equal(3);
    expect(await countOf(long)).to.equal(1);
    expect(await countOf(empty)).to.equal(0);
    expect(await NetworkPostModel.findById(right).lean()).to.deep.equal(untouched);

    const before = await NetworkPostModel.find({ networkId }).sort({ _id: 1 }).lean();
    expect(await recountReplies(later())).to.deep.equal({ corrected: 0 });
    expect(await NetworkPostModel.find({ networkId }).sort({ _id: 1 }).lean()).to.deep.equal(before);
  });

  it('when a reply is counted between the job’s count and its write, the reply is not lost: the write is skipped and the next run settles the count', async () => {
    const postId = await postWith(2, 5);
    const update = NetworkPostModel.updateOne;
    let replied = false;
    // Another process's reply lands (insert and `$inc`) just before the job writes its count of 2.
    NetworkPostModel.updateOne = async function (this: unknown, ...args: unknown[]) {
      if (!replied) {
        replied = true;
        await replyToPost({ actor: member, postId: String(postId), body: 'Written during the recount' });
      }
      return (update as (...a: unknown[]) => unknown).apply(NetworkPostModel, args);
    } as typeof update;
    try {
      await recountReplies(later());
    } finally {
      NetworkPostModel.updateOne = update;
    }
    expect(replied).to.equal(true);
    expect(await countOf(postId)).to.equal(6);
    await recountReplies(later());
    expect(await countOf(postId)).to.equal(3);
    expect(await NetworkReplyModel.countDocuments({ postId })).to.equal(3);
  });

  it('a reply just written, whose `$inc` may still be on its way, is not counted twice; if the `$inc` never comes, a later run counts it', async () => {
    const postId = await postWith(2, 2);
    // The reply's insert is done, its `$inc` not yet.
    await NetworkReplyModel.create({ postId, networkId, authorId: member.id, body: 'In flight' });
    await recountReplies();
    expect(await countOf(postId)).to.equal(2);
    await NetworkPostModel.updateOne({ _id: postId }, { $inc: { replyCount: 1 } });
    expect(await countOf(postId)).to.equal(3);

    // Another reply whose process died before its `$inc`: once it has settled, the job counts it.
    await NetworkReplyModel.create({ postId, networkId, authorId: member.id, body: 'Lost increment' });
    await recountReplies();
    expect(await countOf(postId)).to.equal(3);
    await recountReplies(later());
    expect(await countOf(postId)).to.equal(4);
  });

  it('replies written while the job runs all end up counted', async () => {
    const postId = await postWith(4, 9);
    await Promise.all([
      recountReplies(later()),
      ...[1, 2, 3].map((n) => replyToPost({ actor: lead, postId: String(postId), body: `At the same time ${n}` })),
    ]);
    await recountReplies(later());
    expect(await countOf(postId)).to.equal(7);
    expect(await NetworkReplyModel.countDocuments({ postId })).to.equal(7);
  });

  it('is registered as the hourly `networks:recount-replies` job', async () => {
    const defined: string[] = [];
    const scheduled: [string, string][] = [];
    const agenda = {
      define: (name: string) => void defined.push(name),
      every: async (interval: string, name: string) => void scheduled.push([interval, name]),
    } as unknown as Agenda;
    networksJobs.define(agenda, { stopping: new AbortController().signal });
    await networksJobs.schedule!(agenda);
    expect(defined).to.include('networks:recount-replies');
    expect(scheduled).to.deep.include(['1 hour', 'networks:recount-replies']);
  });
});
