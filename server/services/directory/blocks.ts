import { Types } from 'mongoose';
import { DirectoryBlockModel } from '../../../models/DirectoryBlock.ts';
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
  if (!isObjectId(userId) || !(await UserModel.exists({ _id: userId }))) throw new NotFoundError();
  if (userId === actor.id)
    throw new ValidationError('You cannot block yourself.', [{ path: 'userId', message: 'is you' }]);
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
  await emitDomainEvent('person.blocked', { blockerId: actor.id, blockedId: userId });
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
