import { Types } from 'mongoose';
import { UserModel } from '../../../models/User.ts';
import { isObjectId } from '../../ids.ts';
import { nameParticipantAfresh } from '../cohorts/participantNames.ts';
import { nameHolderAfresh } from '../learning/certificates.ts';
import { nameInDirectoryAfresh } from '../directory/profiles.ts';
import { leadsFollowAccount } from '../networks/members.ts';
import { nameAuthorAfresh } from '../networks/authorNames.ts';

/**
 * Her name changed on her account (written before this is called, with its `version` moved on and `namesFollowing`
 * set: namesToFollow): every record that keeps a copy of it names her anew. The one list of those copies:
 * - her directory profile (and its search text);
 * - her posts and replies in networks, and the networks she leads;
 * - her enrolments, which name her on registers, attendance reports and progress views;
 * - her certificates (not revoked), whose PDF and public check page name her as she is called now.
 * Each copy is written so that of two renames at once the later stays (see each function), and each is idempotent.
 * Then `namesFollowing` is cleared, only over the version read first: a change landing meanwhile keeps it set, for
 * its own run (or the repair) to follow.
 */
export async function namesFollowAccount(userId: string | Types.ObjectId): Promise<void> {
  if (!isObjectId(String(userId))) return;
  const account = await UserModel.findById(userId, { name: 1, version: 1 }).lean();
  if (!account) return;
  await nameInDirectoryAfresh(userId);
  await nameAuthorAfresh(userId);
  await leadsFollowAccount(String(userId));
  await nameParticipantAfresh(userId);
  await nameHolderAfresh(userId);
  await UserModel.updateOne(
    { _id: account._id, version: account.version ?? 0, namesFollowing: true },
    { $unset: { namesFollowing: 1 } },
  );
}

/**
 * The repair (the maintenance job, every 15 minutes): the accounts whose name changed but whose copies were not all
 * written after it (a process stopped between the account's write and the end of namesFollowAccount, which a retry of
 * the same change does not run again, the name being already hers), followed now. Without it a register, a progress
 * export or a certificate check could keep a former name for good, and an erased person's name with it. Returns how
 * many accounts it followed.
 */
export async function namesFollowAccounts(): Promise<number> {
  const pending = await UserModel.find({ namesFollowing: true }, { _id: 1 }).lean();
  for (const { _id } of pending) await namesFollowAccount(_id);
  return pending.length;
}
