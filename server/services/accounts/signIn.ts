import { UserModel } from '../../../models/User.ts';
import { canonicalEmail } from '../../emailAddresses.ts';
import { recordAuditEvent } from '../audit/events.ts';
import { verifyPassword } from '../passwords.ts';
import { currentUserOf } from '../users.ts';
import { useSecondFactor, type SecondFactor } from './twoStep.ts';

export type SignedInUser = ReturnType<typeof currentUserOf>;

/**
 * The first step of every sign-in (form and API tokens): the password of an active account. A failure is audited
 * (`sign-in-failed`, no actor, the account as target when one has that address; never what was typed), and takes as
 * long whether or not the account exists.
 */
export async function checkPassword(props: {
  email: string;
  password: string;
  ip?: string | null;
  /** What was being signed in to, for the trail ("web" or "api-token"). */
  channel: 'web' | 'api-token';
}): Promise<SignedInUser | null> {
  const email = canonicalEmail(String(props.email));
  const user = await UserModel.findOne({ email, status: 'active' }).select('+passwordHash').lean();
  const ok = await verifyPassword(user?.passwordHash, String(props.password));
  if (user && ok) return currentUserOf(user);
  await recordAuditEvent({
    action: 'sign-in-failed',
    actor: null,
    target: user ? { type: 'user', id: user._id } : null,
    ip: props.ip,
    detail: `${props.channel}: wrong password${user ? '' : ' (no active account with that address)'}`,
  });
  return null;
}

/** The second step: a TOTP or recovery code, used up when accepted; a refusal is audited like a wrong password. */
export async function checkSecondFactor(props: {
  user: SignedInUser;
  code: string;
  ip?: string | null;
  channel: 'web' | 'api-token';
  now?: Date;
}): Promise<SecondFactor | null> {
  const used = await useSecondFactor({ userId: props.user.id, code: props.code, now: props.now });
  if (!used)
    await recordAuditEvent({
      action: 'sign-in-failed',
      actor: null,
      target: { type: 'user', id: props.user.id },
      ip: props.ip,
      detail: `${props.channel}: wrong or reused two-step code`,
    });
  return used;
}

/** Both steps passed: the sign-in is recorded (web sessions; API tokens record `token-created` instead). */
export async function recordSignIn(props: {
  user: Pick<SignedInUser, 'id' | 'name'>;
  ip?: string | null;
  /** How she proved who she is: her password (and a second factor), or her LMS's signed launch (`lms`, with its name). */
  factor: 'password' | SecondFactor | { lms: string };
  now?: Date;
}): Promise<void> {
  const now = props.now ?? new Date();
  await UserModel.updateOne({ _id: props.user.id }, { $set: { lastLoginAt: now } });
  await recordAuditEvent({
    action: 'sign-in',
    actor: props.user,
    target: { type: 'user', id: props.user.id },
    ip: props.ip,
    at: now,
    detail:
      typeof props.factor === 'object'
        ? `a launch from ${props.factor.lms}`
        : props.factor === 'password'
          ? 'password'
          : `password and ${props.factor}`,
  });
}
