import { Types } from 'mongoose';
import { UserModel } from '../../../models/User.ts';
import { isObjectId } from '../../ids.ts';
import { nameParticipantAfresh } from '../cohorts/participantNames.ts';
import { nameHolderAfresh } from '../learning/certificates.ts';
import { renameInDirectory } from '../directory/profiles.ts';
import { leadsFollowAccount } from '../networks/members.ts';
import { nameAuthorAfresh } from '../networks/authorNames.ts';

/**
 * Her name changed on her account (written before this is called, with its `version` moved on): every record that
 * keeps a copy of it names her anew. The one list of those copies:
 * - her directory profile (and its search text);
 * - her posts and replies in networks, and the networks she leads;
 * - her enrolments, which name her on registers, attendance reports and progress views;
 * - her certificates (not revoked), whose PDF and public check page name her as she is called now.
 * Each copy is written so that of two renames at once the later stays (see each function), and each is idempotent.
 */
export async function namesFollowAccount(userId: string | Types.ObjectId): Promise<void> {
  if (!isObjectId(String(userId))) return;
  const account = await UserModel.findById(userId, { name: 1 }).lean();
  if (!account) return;
  await renameInDirectory({ userId: String(userId), name: account.name });
  await nameAuthorAfresh(userId);
  await leadsFollowAccount(String(userId));
  await nameParticipantAfresh(userId);
  await nameHolderAfresh(userId);
}
