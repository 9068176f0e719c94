import { Types } from 'mongoose';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { UserModel } from '../../../models/User.ts';
import { isObjectId } from '../../ids.ts';

/**
 * Her name on each of her enrolments (`participantName`), so that a session's register, a cohort's attendance report
 * and its progress view read no accounts. Measured (README "Derived records"): the read of the participants' names
 * was about a fifth of each of those pages' database work.
 *
 * Correct with several processes, on her account's `version` (which moves on with every change of her details, and
 * with her erasure), as the authors' names on network posts are (networks/authorNames.ts):
 * - a copy carries the version it was taken at (`participantNameVersion`) and is only ever replaced by a later one, so
 *   of two renames at once the later name stays, whichever write lands last;
 * - a rename, once written to her account, is copied to all her enrolments (nameParticipantAfresh, through
 *   accounts/nameCopies.ts);
 * - a new enrolment is named from her account after it is written: a rename that landed before that read is copied by
 *   it, one that lands after it copies itself;
 * - copying again is idempotent, so the repair (nameAllParticipants, hourly and at start) names enrolments stored
 *   before the copy existed or left unnamed by a process that stopped in between; until then a reader falls back to
 *   the accounts for those rows alone (participantNamesOf).
 */
type Id = Types.ObjectId | string;

/** Copies her account's name (and its version) to every enrolment of hers holding an older copy, or none. */
export async function nameParticipantAfresh(userId: Id): Promise<void> {
  if (!isObjectId(String(userId))) return;
  const account = await UserModel.findById(userId, { name: 1, version: 1 }).lean();
  if (!account) return;
  const version = account.version ?? 0;
  // `$not: { $gte }` also matches an enrolment not yet named (no participantNameVersion at all).
  await EnrolmentModel.updateMany(
    { userId: account._id, participantNameVersion: { $not: { $gte: version } } },
    { $set: { participantName: account.name, participantNameVersion: version } },
    // A copy, not an edit: the enrolment's own updatedAt stays.
    { timestamps: false },
  );
}

/** Names every enrolment not yet named from its account (hourly and at start; idempotent). */
export async function nameAllParticipants(): Promise<number> {
  const unnamed: Types.ObjectId[] = await EnrolmentModel.distinct('userId', {
    participantNameVersion: { $not: { $gte: 0 } },
  });
  for (const userId of unnamed) await nameParticipantAfresh(userId);
  return unnamed.length;
}

/**
 * The participants' names from their enrolments' copies; only rows without one yet (stored before the copy, or whose
 * writer stopped before naming them) are read from the accounts, in one read, so a page never shows a blank name.
 */
export async function participantNamesOf(
  enrolments: { userId: Types.ObjectId; participantName?: string | null }[],
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const unnamed: Types.ObjectId[] = [];
  for (const e of enrolments) {
    if (typeof e.participantName === 'string') names.set(String(e.userId), e.participantName);
    else unnamed.push(e.userId);
  }
  if (!unnamed.length) return names;
  const accounts = await UserModel.find({ _id: { $in: unnamed } }, { name: 1 })
    .batchSize(unnamed.length + 1)
    .lean();
  for (const a of accounts) names.set(String(a._id), a.name);
  return names;
}
