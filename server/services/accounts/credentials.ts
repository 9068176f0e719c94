import { Types } from 'mongoose';
import { OneTimeTokenModel } from '../../../models/OneTimeToken.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { emitDomainEvent } from '../../events.ts';
import { canonicalEmail, checkedEmail } from '../../emailAddresses.ts';
import { ConflictError, NotFoundError, RateLimitedError, ValidationError } from '../../errors.ts';
import { logger } from '../../logger.ts';
import { renderEmailParts } from '../../emails.ts';
import { hasMailbox, sendEmail, waitForMailServer } from '../../mailer.ts';
import { absoluteUrl } from '../../settings.ts';
import { recordAuditEvent, type AuditActor } from '../audit/events.ts';
import { revokeOtherApiTokens } from '../apiTokens.ts';
import { hashPassword, isCurrentPassword, passwordFieldErrors } from '../passwords.ts';
import { countHit, secondsUntil } from '../rateLimits.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { sendSecurityEmail } from '../reminders/accounts.ts';
import { endOtherSessions, sessionsEpochIs } from './sessions.ts';

/** Email change requests one account may make in an hour. */
export const emailChangeRequests = { limit: 5, windowMs: 60 * 60 * 1000 };

const messages = {
  tooManyEmailChanges:
    'You have asked to change your email address several times this hour. Wait a while and try again.',
  wrongPassword: 'Your current password is not right.',
  wrongPasswordShort: 'is not your current password',
  sameEmail: 'This is already your email address.',
  emailTaken: 'Another account uses this email address.',
  emailMovedMeanwhile:
    'Your email address or password was changed a moment ago: this link no longer applies. Ask for a new one if you still want the change.',
  passwordChangedMeanwhile:
    'Your password was changed or reset a moment ago (in another tab, or with an emailed link), so nothing was saved. Sign in again if you are asked to, and try again.',
  linkInvalid: 'This link is not valid any more. It may have been used already or have expired; ask for a new one.',
  addressRefused: 'The mail server of this address refused our email. Check the address and try again.',
};

/** A link confirming a new address lasts a day. */
const emailChangeLifetimeMs = 24 * 60 * 60 * 1000;

/**
 * Whoever knew the old password may have signed in or made a token: after a change or a reset, every other session
 * of hers ends and every other API token is revoked, and every reset or email-change link still waiting stops working.
 * `keep*` are the session or token making the request.
 */
export async function endOtherAccess(props: {
  userId: string;
  /** Null for an operator at the command line (no one signed in). */
  actor: AuditActor | null;
  keepSessionId?: string | null;
  keepTokenId?: string | null;
  ip?: string | null;
  reason: string;
}): Promise<void> {
  await endOtherSessions({ ...props });
  await revokeOtherApiTokens({ ...props });
  await forgetEmailedLinks(props.userId);
}

/**
 * Her unused password-reset, invitation and email-change links stop working (used up now): after her password was
 * first chosen, changed or reset, and after her email moved. A reset or invitation link mailed earlier (to an address
 * she has left, or to a mailbox someone else reads) can no longer set her password, and a change of email asked for
 * by whoever knew the old password (the link went to their address) can no longer be confirmed once she has taken her
 * account back.
 */
export async function forgetEmailedLinks(userId: string | Types.ObjectId, now = new Date()): Promise<void> {
  await OneTimeTokenModel.updateMany(
    {
      userId: new Types.ObjectId(String(userId)),
      purpose: { $in: ['password-reset', 'invitation', 'email-change'] },
      usedAt: null,
    },
    { $set: { usedAt: now } },
  );
}

/** She changes her password, proving the current one. */
export async function changePassword(props: {
  actor: AuditActor & { email: string };
  currentPassword: string;
  newPassword: string;
  keepSessionId?: string | null;
  keepTokenId?: string | null;
  ip?: string | null;
}): Promise<void> {
  const user = await UserModel.findById(props.actor.id).select('+passwordHash').lean();
  if (!user) throw new NotFoundError();
  if (
    !(await isCurrentPassword({ userId: String(user._id), hash: user.passwordHash, password: props.currentPassword }))
  )
    throw new ValidationError(messages.wrongPassword, [
      { path: 'currentPassword', message: messages.wrongPasswordShort },
    ]);
  const problems = passwordFieldErrors(props.newPassword, { email: user.email }, 'newPassword');
  if (problems.length) throw new ValidationError('Choose a stronger password.', problems);
  // Only over the password she proved: a reset (or a change in another tab) landing while hers was hashed is not
  // undone by it, and a reset that takes the account back from whoever knew the old password stands.
  const changed = await UserModel.updateOne(
    { _id: user._id, passwordHash: user.passwordHash },
    { $set: { passwordHash: await hashPassword(props.newPassword) } },
  );
  if (changed.matchedCount !== 1) throw new ConflictError(messages.passwordChangedMeanwhile);
  await tellAccountAddress({ to: user.email, name: user.name, notice: 'password-changed' });
  await recordAuditEvent({
    action: 'password-changed',
    actor: props.actor,
    target: { type: 'user', id: user._id },
    ip: props.ip,
  });
  await endOtherAccess({ ...props, userId: String(user._id), reason: 'password changed' });
}

/** A reset through an emailed link (server/services/users.ts): every session and token of hers ends. */
export async function afterPasswordReset(props: {
  user: AuditActor & { email: string };
  ip?: string | null;
}): Promise<void> {
  await tellAccountAddress({ to: props.user.email, name: props.user.name, notice: 'password-reset' });
  await recordAuditEvent({
    action: 'password-reset',
    actor: props.user,
    target: { type: 'user', id: props.user.id },
    ip: props.ip,
  });
  await endOtherAccess({ userId: String(props.user.id), actor: props.user, ip: props.ip, reason: 'password reset' });
}

/** What an account security notice tells (its words: views/emails/account-notice.*), and the address it names. */
export type AccountNotice =
  | { notice: 'password-changed' | 'password-reset' | 'two-step-on' | 'two-step-off' | 'two-step-reset' }
  | { notice: 'email-change-requested' | 'email-changed'; newEmail: string };

const noticeSubjects: Record<AccountNotice['notice'], string> = {
  'password-changed': 'Your Pathways password was changed',
  'password-reset': 'Your Pathways password was reset',
  'email-change-requested': 'Your Pathways email address is being changed',
  'email-changed': 'Your Pathways email address was changed',
  'two-step-on': 'Two-step sign-in is on for your Pathways account',
  'two-step-off': 'Two-step sign-in is off for your Pathways account',
  'two-step-reset': 'An administrator turned off two-step sign-in for your Pathways account',
};

/**
 * A notice to the account's address that something guarding the account changed (password, address, two-step
 * sign-in), sent straight, not through the reminders: she cannot mute it, and if it was not her she hears at once.
 * Rendered like every other email (both parts, the layout's footer), without the links to stop it.
 */
export async function tellAccountAddress(props: { to: string; name: string } & AccountNotice): Promise<void> {
  // A placeholder address (an LMS person's, an erased account's) reaches nobody, as the reminders know (deliver.ts).
  if (!hasMailbox(props.to)) return;
  const subject = noticeSubjects[props.notice];
  try {
    const parts = renderEmailParts('account-notice', { ...props, subject });
    await waitForMailServer('account security notice', sendEmail({ to: props.to, subject, ...parts }));
  } catch (error) {
    // The change itself stands; the notice is a courtesy to the account's address.
    logger.warn({ err: error }, 'could not send an account security notice');
  }
}

/**
 * She asks for a new address, proving her password. Nothing changes until the link sent to the new address is
 * followed; the old address is told at once.
 */
export async function requestEmailChange(props: {
  actor: AuditActor;
  password: string;
  newEmail: string;
  ip?: string | null;
  now?: Date;
}): Promise<void> {
  const now = props.now ?? new Date();
  const checked = checkedEmail(props.newEmail);
  const user = await UserModel.findById(props.actor.id).select('+passwordHash').lean();
  if (!user) throw new NotFoundError();
  if ('problem' in checked)
    throw new ValidationError('Enter an email address.', [{ path: 'newEmail', message: checked.problem }]);
  const newEmail = checked.email;
  if (!(await isCurrentPassword({ userId: String(user._id), hash: user.passwordHash, password: props.password })))
    throw new ValidationError(messages.wrongPassword, [{ path: 'password', message: messages.wrongPasswordShort }]);
  if (newEmail === user.email)
    throw new ValidationError(messages.sameEmail, [{ path: 'newEmail', message: messages.sameEmail }]);
  // Saying that an address is taken tells her it has an account: fine for a person changing her own address, but the
  // answers are limited per account (every process counts in the database) so nobody can test a list of addresses.
  const requests = await countHit({ key: `email-change:${String(user._id)}`, ...emailChangeRequests });
  if (requests.hits > emailChangeRequests.limit)
    throw new RateLimitedError(messages.tooManyEmailChanges, secondsUntil(requests.resetAt));
  if (await UserModel.exists({ email: newEmail }))
    throw new ValidationError(messages.emailTaken, [{ path: 'newEmail', message: messages.emailTaken }]);
  const secret = newSecret();
  const created = await OneTimeTokenModel.create({
    purpose: 'email-change',
    userId: user._id,
    tokenHash: hashSecret(secret),
    expiresAt: new Date(now.getTime() + emailChangeLifetimeMs),
    newEmail,
  });
  // Asked for with the password as it was when read: a reset (or change) that landed since, whose forgetEmailedLinks
  // may have run before this link existed, ends it now. One that lands after this check finds the link and ends it.
  if (!(await UserModel.exists({ _id: user._id, ...sessionsEpochIs(user.sessionsEpoch ?? 0) }))) {
    await OneTimeTokenModel.updateOne({ _id: created._id }, { $set: { usedAt: now } });
    throw new ConflictError(messages.passwordChangedMeanwhile);
  }
  // Her new request replaces any earlier one: its link (to the address she changed her mind about) stops working.
  // Only links made before this one (ids ascend), so of two requests at once one link always remains.
  await OneTimeTokenModel.updateMany(
    { userId: user._id, purpose: 'email-change', usedAt: null, _id: { $lt: created._id } },
    { $set: { usedAt: now } },
  );
  // Through the reminders pipeline, at once: a temporary refusal (a greylisting 451) is retried until the link
  // expires, and a mail server silent for a few seconds is not waited for. The link must reach her: an address refused
  // for good is said at the field, for her to correct. The new address is not proved yet and may be anyone's, so its
  // email greets no one by name (views/emails/email-change.*): a name she types can carry a sentence and a link.
  const { refused } = await sendSecurityEmail({
    kind: 'email-change',
    userId: user._id,
    linkId: created._id,
    expiresAt: created.expiresAt,
    subject: 'Confirm your new Pathways email address',
    data: { newEmail, link: absoluteUrl(`/account/email/confirm/${secret}`), linkId: String(created._id) },
  });
  if (refused)
    throw new ValidationError(messages.addressRefused, [{ path: 'newEmail', message: messages.addressRefused }]);
  await tellAccountAddress({ to: user.email, name: user.name, notice: 'email-change-requested', newEmail });
  await recordAuditEvent({
    action: 'email-change-requested',
    actor: props.actor,
    target: { type: 'user', id: user._id },
    ip: props.ip,
    detail: `to ${newEmail}`,
    at: now,
  });
}

/** The link, unused and unexpired, with its user (to show the Confirm page). */
export async function findEmailChange(secret: string) {
  const token = await OneTimeTokenModel.findOne({
    tokenHash: hashSecret(String(secret)),
    purpose: 'email-change',
    usedAt: null,
    expiresAt: { $gt: new Date() },
  }).lean();
  const user = token && (await UserModel.findById(token.userId).lean());
  if (!token || !user || user.status !== 'active') throw new NotFoundError(messages.linkInvalid);
  return { token, user };
}

/**
 * The new address is confirmed: the link is used up by a conditional update (one of two clicks wins), the address
 * changes only from the one the link was checked against (of two links confirmed at once, one wins), the unique email
 * index decides if someone took it meanwhile, and the old address is told.
 */
export async function confirmEmailChange(props: {
  secret: string;
  ip?: string | null;
  now?: Date;
}): Promise<{ email: string }> {
  const now = props.now ?? new Date();
  const { token, user } = await findEmailChange(props.secret);
  const used = await OneTimeTokenModel.findOneAndUpdate(
    { _id: token._id, usedAt: null, expiresAt: { $gt: now } },
    { $set: { usedAt: now } },
  );
  if (!used) throw new NotFoundError(messages.linkInvalid);
  // In the one stored form even for a link asked for before addresses had one (a punycode domain then).
  const newEmail = canonicalEmail(token.newEmail!);
  if (await UserModel.exists({ email: newEmail, _id: { $ne: user._id } })) throw new ConflictError(messages.emailTaken);
  try {
    // Only from the address this link was checked against: two links (to two new addresses) confirmed at once
    // would otherwise both win, the later write silently replacing the earlier and each telling the old address.
    // And only at the `sessionsEpoch` read with the link: a password reset (or change) landing after this link was
    // used up, before its forgetEmailedLinks could, would otherwise not stop a change asked for by whoever knew the
    // old password.
    // The link went to the new address: she holds it, whatever an LMS said of the old one.
    const moved = await UserModel.updateOne(
      { _id: user._id, email: user.email, ...sessionsEpochIs(user.sessionsEpoch ?? 0) },
      { $set: { email: newEmail }, $unset: { emailUnverified: 1 }, $inc: { version: 1 } },
    );
    if (moved.matchedCount !== 1) throw new ConflictError(messages.emailMovedMeanwhile);
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new ConflictError(messages.emailTaken);
    throw error;
  }
  await forgetEmailedLinks(user._id, now);
  if (user.emailUnverified) await emitDomainEvent('address.proved', { userId: user._id });
  await tellAccountAddress({ to: user.email, name: user.name, notice: 'email-changed', newEmail });
  await recordAuditEvent({
    action: 'email-changed',
    actor: { id: user._id, name: user.name },
    target: { type: 'user', id: user._id },
    ip: props.ip,
    detail: `${user.email} → ${newEmail}`,
    at: now,
  });
  return { email: newEmail };
}
