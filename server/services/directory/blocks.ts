import { Types, type Model } from 'mongoose';
import { DirectoryBlockModel } from '../../../models/DirectoryBlock.ts';
import { DirectoryMessageModel } from '../../../models/DirectoryMessage.ts';
import { DirectoryProfileModel } from '../../../models/DirectoryProfile.ts';
import { MentoringRequestModel } from '../../../models/MentoringRequest.ts';
import { MenteeProfileModel } from '../../../models/MenteeProfile.ts';
import { MentorProfileModel } from '../../../models/MentorProfile.ts';
import { MentorshipModel } from '../../../models/Mentorship.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { UserModel } from '../../../models/User.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { emitDomainEvent } from '../../events.ts';
import { isObjectId } from '../../ids.ts';

const blockId = (blockerId: string, blockedId: string) => `${blockerId}:${blockedId}`;

/**
 * She blocks another person: idempotent (one row per pair, by `_id`). Other areas react through `person.blocked`
 * (a mentorship between the two ends: server/services/mentoring/subscriptions.ts); the block is written first, so a
 * reaction racing with it sees it.
 */
export async function blockPerson(props: { actor: Express.User; userId: string }): Promise<void> {
  const { actor, userId } = props;
  if (!isObjectId(userId)) throw new NotFoundError();
  if (userId === actor.id)
    throw new ValidationError('You cannot block yourself.', [{ path: 'userId', message: 'is you' }]);
  if (!(await hasComeAcross(actor.id, userId))) throw new NotFoundError();
  // Both profiles say "read her blocks" before the row exists, and again after it (a profile made meanwhile).
  await markInBlocks(actor.id, userId);
  await DirectoryBlockModel.updateOne(
    { _id: blockId(actor.id, userId) },
    {
      $setOnInsert: {
        blockerId: new Types.ObjectId(actor.id),
        blockedId: new Types.ObjectId(userId),
        people: [new Types.ObjectId(actor.id), new Types.ObjectId(userId)],
      },
    },
    { upsert: true },
  );
  await markInBlocks(actor.id, userId);
  await emitDomainEvent('person.blocked', { blockerId: actor.id, blockedId: userId });
}

/**
 * Marks both people's directory and mentee profiles `inBlocks` (models/DirectoryProfile.ts, MenteeProfile.ts); never
 * unmarked.
 */
async function markInBlocks(a: string, b: string): Promise<void> {
  const people = [new Types.ObjectId(a), new Types.ObjectId(b)];
  await DirectoryProfileModel.updateMany(
    { _id: { $in: people }, inBlocks: { $ne: true } },
    { $set: { inBlocks: true } },
  );
  await MenteeProfileModel.updateMany(
    { userId: { $in: people }, inBlocks: { $ne: true } },
    { $set: { inBlocks: true } },
  );
}

/**
 * Sets `inBlocks` on directory and mentee profiles that do not have it yet (made before the field, or just now by her
 * first save): true where a block row names her, false elsewhere. The false is written only where the field is still
 * missing, so a block marking her meanwhile is never undone; a block whose row lands after this read marks her again
 * after it. Run for a new profile (`only`: her user id), at start and hourly (`networks:repair-copies`), and after data
 * is loaded in bulk. Returns how many profiles it marked.
 */
export async function markProfilesInBlocks(only?: Types.ObjectId): Promise<number> {
  return (
    (await markUnmarked(DirectoryProfileModel, '_id', only)) + (await markUnmarked(MenteeProfileModel, 'userId', only))
  );
}

async function markUnmarked(
  model: typeof DirectoryProfileModel | typeof MenteeProfileModel,
  personField: '_id' | 'userId',
  only: Types.ObjectId | undefined,
): Promise<number> {
  const profiles = model as unknown as Model<{ _id: Types.ObjectId; userId?: Types.ObjectId; inBlocks?: boolean }>;
  let marked = 0;
  for (;;) {
    const unmarked = await profiles
      .find({ ...(only ? { [personField]: only } : {}), inBlocks: { $exists: false } }, { _id: 1, userId: 1 })
      .limit(500)
      .lean();
    if (!unmarked.length) return marked;
    const personOf = (p: (typeof unmarked)[number]) => (personField === '_id' ? p._id : p.userId!);
    const rows = await DirectoryBlockModel.find({ people: { $in: unmarked.map(personOf) } }, { people: 1 }).lean();
    const named = new Set(rows.flatMap((r) => (r.people ?? []).map(String)));
    const written = await profiles.bulkWrite(
      unmarked.map((p) => ({
        updateOne: {
          filter: { _id: p._id, inBlocks: { $exists: false } },
          update: { $set: { inBlocks: named.has(String(personOf(p))) } },
        },
      })),
      { ordered: false },
    );
    marked += written.modifiedCount;
    if (written.modifiedCount === 0) return marked;
  }
}

/**
 * blockedEitherWay for someone whose own profile the caller has read: none when the profile says she was never in a
 * block, without a read.
 */
export async function blockedEitherWayOf(
  userId: string,
  ownProfile: { inBlocks?: boolean | null } | null | undefined,
): Promise<Set<string>> {
  if (ownProfile && ownProfile.inBlocks === false) return new Set();
  return blockedEitherWay(userId);
}

/**
 * Whether she has come across this person in Pathways, and so may block her: a profile shown to everyone, a fellow
 * member of one of her networks (whose posts, replies and profile she sees), a mentor, someone who wrote to her or
 * whom she wrote to, her mentor or mentee (asked or matched), or someone either of them blocked already. Anyone else
 * is the 404 of an unknown id: a block of any id put the name of whoever owned it on her "People you blocked" list and
 * in her export (a hidden profile's, an admin's, an invited account's), and told whether the account existed.
 */
async function hasComeAcross(actorId: string, userId: string): Promise<boolean> {
  const [me, them] = [new Types.ObjectId(actorId), new Types.ObjectId(userId)];
  const between = (a: string, b: string) => ({
    $or: [
      { [a]: me, [b]: them },
      { [a]: them, [b]: me },
    ],
  });
  const [shownToEveryone, mentor, wrote, asked, matched, blocked, myNetworks] = await Promise.all([
    DirectoryProfileModel.exists({ _id: them, visibility: 'everyone' }),
    // A mentor's name and profile are shown to every woman who may ask her (the "Ask a mentor" page).
    MentorProfileModel.exists({ userId: them }),
    DirectoryMessageModel.exists(between('fromId', 'toId')),
    MentoringRequestModel.exists(between('mentorId', 'menteeId')),
    MentorshipModel.exists(between('mentorId', 'menteeId')),
    DirectoryBlockModel.exists({ _id: { $in: [blockId(actorId, userId), blockId(userId, actorId)] } }),
    NetworkMembershipModel.find({ userId: me, status: 'member' }).distinct('networkId'),
  ]);
  if (shownToEveryone || mentor || wrote || asked || matched || blocked) return true;
  if (!myNetworks.length) return false;
  return (
    (await NetworkMembershipModel.exists({ userId: them, status: 'member', networkId: { $in: myNetworks } })) !== null
  );
}

/**
 * She lifts a block: idempotent for any id (the person may since have been erased), but a malformed id names no one
 * and is the 404 of API.md, as blocking one is.
 */
export async function unblockPerson(props: { actor: Express.User; userId: string }): Promise<void> {
  if (!isObjectId(props.userId)) throw new NotFoundError();
  await DirectoryBlockModel.deleteOne({ _id: blockId(props.actor.id, props.userId) });
}

/**
 * Everyone she blocked and everyone who blocked her: the people the directory keeps apart from her. One read of the
 * multikey index `{people}` (models/DirectoryBlock.ts).
 */
export async function blockedEitherWay(userId: string): Promise<Set<string>> {
  const id = new Types.ObjectId(userId);
  const rows = await DirectoryBlockModel.find({ people: id }).select({ blockerId: 1, blockedId: 1 }).lean();
  return new Set(rows.map((b) => String(id.equals(b.blockerId) ? b.blockedId : b.blockerId)));
}

/**
 * The blocks among these people, as `<a>:<b>` keys in both orders (so one lookup answers "either way"): one read, for
 * callers that pair many people at once (the mentor assignment).
 */
export async function blockedPairsAmong(userIds: string[]): Promise<Set<string>> {
  if (!userIds.length) return new Set();
  const rows = await DirectoryBlockModel.find({ blockerId: { $in: userIds.map((id) => new Types.ObjectId(id)) } })
    .select({ blockerId: 1, blockedId: 1 })
    .lean();
  const pairs = new Set<string>();
  for (const { blockerId, blockedId } of rows) {
    pairs.add(`${String(blockerId)}:${String(blockedId)}`);
    pairs.add(`${String(blockedId)}:${String(blockerId)}`);
  }
  return pairs;
}

/** Whether either of the two has blocked the other (two `_id` reads). */
export async function isBlockedBetween(a: string, b: string): Promise<boolean> {
  const rows = await DirectoryBlockModel.find({ _id: { $in: [blockId(a, b), blockId(b, a)] } })
    .select({ _id: 1 })
    .lean();
  return rows.length > 0;
}

/** The people she has blocked, with names, for her settings page. */
export async function blockedBy(userId: string): Promise<{ id: string; name: string }[]> {
  const rows = await DirectoryBlockModel.find({ blockerId: new Types.ObjectId(userId) })
    .select({ blockedId: 1 })
    .lean();
  const people = await UserModel.find({ _id: { $in: rows.map((r) => r.blockedId) } })
    .select({ name: 1 })
    .lean();
  return people.map((p) => ({ id: String(p._id), name: p.name }));
}
