import { namesFollowAccount } from '../accounts/nameCopies.ts';
import { Types } from 'mongoose';
import { AuditEventModel } from '../../../models/AuditEvent.ts';
import { UserModel } from '../../../models/User.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { finishEach, interruptedBefore } from '../../interruptedWork.ts';
import { noteActiveAdmin, releaseActiveAdmin } from '../accounts/adminRoster.ts';
import { endSessionsOf, revokeTokensOf } from '../accounts/manage.ts';
import { recordAuditEvent, type AuditActor } from '../audit/events.ts';
import { isCurrentPassword } from '../passwords.ts';
import { formerMemberName } from '../learning/personalData.ts';
import { personalDataAreas } from './areas.ts';

const messages = {
  notFound: 'No such person.',
  wrongPassword: 'That is not your password. Enter your current password to delete your account.',
  selfAsAdmin: 'To delete your own account, use “Delete my account” on your account page.',
  passwordChangedMeanwhile:
    'Your password was changed or reset a moment ago (in another tab, or with an emailed link), so your account was not deleted. Sign in again if you are asked to, and try again.',
};

/**
 * Erases an account (UK GDPR article 17). First her sign-in stops (status `erased`, sessions and tokens ended), then
 * every area removes what identifies her and keeps the rows others rely on, the account's own record last. Idempotent:
 * erasing again repeats the areas' work, which changes nothing more; only the first erasure is audited.
 * @param password required when she erases herself (checked against her hash; a wrong one is a 422)
 * @param bySelf she erases her own account (else an admin erases someone else's)
 */
export async function eraseAccount(props: {
  actor: AuditActor & { ip?: string | null };
  userId: string;
  bySelf: boolean;
  password?: string;
}): Promise<void> {
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.notFound);
  const user = await UserModel.findById(props.userId).select('+passwordHash').lean();
  if (!user) throw new NotFoundError(messages.notFound);
  if (!props.bySelf && String(user._id) === String(props.actor.id)) throw new ConflictError(messages.selfAsAdmin);
  if (
    props.bySelf &&
    !(await isCurrentPassword({ userId: String(user._id), hash: user.passwordHash, password: props.password ?? '' }))
  )
    throw new ValidationError(messages.wrongPassword, [{ path: 'password', message: messages.wrongPassword }]);
  const firstTime = user.status !== 'erased';
  const wasActiveAdmin = user.status === 'active' && user.roles.includes('admin');
  if (wasActiveAdmin) await releaseActiveAdmin(user._id);

  const userId = new Types.ObjectId(String(user._id));
  // Erasing herself: only while her password is the one she proved, so a reset landing meanwhile (another process),
  // by which she takes her account back from whoever knew the old one, is not followed by that person's erasure.
  const erasingSince = new Date();
  const erasing = await UserModel.updateOne(
    { _id: userId, ...(props.bySelf ? { passwordHash: user.passwordHash } : {}) },
    { $set: { status: 'erased', erasingSince } },
  );
  if (erasing.matchedCount !== 1) {
    if (wasActiveAdmin) await noteActiveAdmin(user._id);
    throw new ConflictError(messages.passwordChangedMeanwhile);
  }
  await carryOutErasure({
    userId,
    erasingSince,
    audit: firstTime
      ? {
          // Written after the trail was pseudonymised: when she erased herself, the actor is her, by her new name.
          actor: props.bySelf ? { ...props.actor, name: formerMemberName } : props.actor,
          ip: props.actor.ip ?? null,
          detail: props.bySelf ? 'by herself' : 'by an admin',
        }
      : undefined,
  });
}

/**
 * An erasure's work once her status is `erased`, every step safe to run again: her sign-in ended, every area's
 * erasure, her name's copies, the audit event (when asked for), then `erasingSince` unset (over the value this run
 * set: an erasure begun again meanwhile clears its own).
 */
async function carryOutErasure(props: {
  userId: Types.ObjectId;
  erasingSince: Date;
  audit?: { actor: AuditActor | null; ip: string | null; detail: string };
}): Promise<void> {
  const { userId } = props;
  await endSessionsOf(userId);
  await revokeTokensOf(userId);
  for (const area of personalDataAreas) await area.eraseFor(userId);
  // Her name is now "Former member" wherever it was copied (registers and reports keep her row).
  await namesFollowAccount(userId);
  if (props.audit)
    await recordAuditEvent({
      action: 'account-erased',
      actor: props.audit.actor,
      target: { type: 'user', id: userId },
      ip: props.audit.ip,
      detail: props.audit.detail,
    });
  await UserModel.updateOne({ _id: userId, erasingSince: props.erasingSince }, { $unset: { erasingSince: 1 } });
}

/**
 * Carries through every erasure begun more than the grace of interrupted work ago and never finished (`erasingSince`
 * still set: its process stopped part-way), so nothing that identifies her stays because a process stopped. The
 * audit event is written when the interrupted run had not written it (by Pathways itself: who asked is not known
 * here). Every 15 minutes (jobs/maintenance.ts).
 */
export async function erasuresFinished(props: { now?: Date; graceMs?: number } = {}): Promise<number> {
  const before = interruptedBefore({ now: props.now ?? new Date(), graceMs: props.graceMs });
  const stopped = await UserModel.find({ erasingSince: { $lt: before }, status: 'erased' }, { erasingSince: 1 }).lean();
  return finishEach('erasures', stopped, async (user) => {
    const audited = await AuditEventModel.exists({ action: 'account-erased', targetId: String(user._id) });
    await carryOutErasure({
      userId: user._id,
      erasingSince: user.erasingSince!,
      audit: audited ? undefined : { actor: null, ip: null, detail: 'finished after an interruption' },
    });
  });
}
