import { Types } from 'mongoose';
import { NetworkPostModel } from '../../../models/NetworkPost.ts';
import { NetworkReplyModel } from '../../../models/NetworkReply.ts';
import { UserModel } from '../../../models/User.ts';

/**
 * The author's name on each post and reply (`authorName`), so that a network's page, its posts API and a post's
 * replies read no accounts. Measured (README "Derived records"): the read of the authors' names cost a network's page
 * about a sixth of its time, the difference between missing its share of `/healthz` and not.
 *
 * Correct with several processes, on her account's `version` (which moves on with every change of her details):
 * - a copy carries the version it was taken at (`authorVersion`) and is only ever replaced by a later one, so of two
 *   renames at once the later name stays, whichever write lands last;
 * - a rename, once written to her account, is copied to all her posts and replies (nameAuthorAfresh);
 * - a new post or reply is written with the name her request started with, then named afresh from her account: a
 *   rename that landed before that read is copied by it, one that lands after it copies itself, so no post keeps a
 *   name she no longer has;
 * - copying again is idempotent, so the repair (nameAllAuthors, at start) fills posts stored before the copy existed.
 * An erased author's posts have no `authorId` and no name ("Former member"), as before.
 */
type Id = Types.ObjectId | string;

const asId = (id: Id): Types.ObjectId => (typeof id === 'string' ? new Types.ObjectId(id) : id);

/** Stored on a new post or reply until it is named afresh: older than any account's version. */
export const unnamedVersion = -1;

/** Copies her account's name (and its version) to every post and reply of hers holding an older copy. */
export async function nameAuthorAfresh(userId: Id): Promise<void> {
  const account = await UserModel.findById(asId(userId)).select({ name: 1, version: 1 }).lean();
  if (!account) return;
  const version = account.version ?? 0;
  // `$not: { $gte }` also matches a post stored before the copy existed (no authorVersion at all).
  const older = { authorId: account._id, authorVersion: { $not: { $gte: version } } };
  const copy = { $set: { authorName: account.name, authorVersion: version } };
  // A copy, not an edit: the posts' own updatedAt stays.
  await NetworkPostModel.updateMany(older, copy, { timestamps: false });
  await NetworkReplyModel.updateMany(older, copy, { timestamps: false });
}

/**
 * Names the authors of every post and reply not yet named from their account (hourly and at start; idempotent): stored
 * before the copy existed (no `authorVersion`), or written by a process that stopped before naming it afresh (still
 * `unnamedVersion`, with the name her request began with).
 */
export async function nameAllAuthors(): Promise<void> {
  const unnamed = { authorId: { $ne: null }, authorVersion: { $not: { $gte: 0 } } };
  const authors = new Set<string>([
    ...(await NetworkPostModel.distinct('authorId', unnamed)).map(String),
    ...(await NetworkReplyModel.distinct('authorId', unnamed)).map(String),
  ]);
  for (const userId of authors) await nameAuthorAfresh(userId);
}
