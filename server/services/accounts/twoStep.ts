import { randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { UserModel } from '../../../models/User.ts';
import { recordAuditEvent, type AuditActor } from '../audit/events.ts';
import { tellAccountAddress } from './credentials.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { spendAllowance, uncountHit } from '../rateLimits.ts';
import { hashSecret, isSealed, openSecretOrNull, sealSecret } from '../secrets.ts';

/**
 * Two-step sign-in with an authenticator app: TOTP as RFC 6238 (SHA-1, 6 digits, 30-second steps), otplib's
 * defaults. A code is accepted one step either side of now (clock drift), and only by a conditional update that
 * moves `mfaLastStep` forward, so the same code (or an older one) is refused the second time on any process.
 * Every function takes `now`, so tests pass a fixed clock rather than faking the global one. The secrets are stored
 * sealed under SECRETS_ENCRYPTION_KEY when it is set (../secrets.ts); one stored before the key was set is sealed at
 * its next use.
 */
const messages = {
  alreadyOn: 'Two-step sign-in is already on. Turn it off first to set it up again.',
  notStarted: 'Start the set-up again: no set-up is waiting for a code.',
  wrongCode: 'That code is not right. Enter the 6-digit code your authenticator app shows now.',
  notOn: 'Two-step sign-in is not on.',
  tooManyCodes: 'Too many wrong codes. Wait a few minutes and try again.',
  setupBusy: 'Two-step sign-in was being set up at the same moment elsewhere: open this page again.',
};

export const issuer = 'Pathways';
export const recoveryCodeCount = 10;
const period = 30;

/** The time step (RFC 6238's T) of an instant. */
export const timeStepOf = (now: Date): number => Math.floor(now.getTime() / 1000 / period);

/** 16 characters from an alphabet without look-alikes (80 bits: a SHA-256 of it cannot be reversed by search). */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

const normaliseRecoveryCode = (code: string): string => code.toLowerCase().replace(/[^a-z0-9]/g, '');
const hashRecoveryCode = (code: string): string => hashSecret(`recovery:${normaliseRecoveryCode(code)}`);

/** A code that looks like a TOTP code (digits, spaces allowed as apps show "123 456"). */
const totpShape = (code: string): string | null => {
  const digits = code.replace(/\s/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
};

/** What a user's stored secrets are bound to: hers, for two-step sign-in. */
const secretContext = (userId: unknown) => `two-step:${String(userId)}`;

/** The secret in a stored value, or null (logged) when the configured key does not open it. */
const openStored = (stored: string, userId: unknown) => openSecretOrNull(stored, secretContext(userId));

/** The time step at which `code` is valid for `secret`, within one step of `now`, or null. */
async function matchingStep(secret: string, code: string, now: Date): Promise<number | null> {
  const digits = totpShape(code);
  if (!digits) return null;
  const result = await verify({
    secret,
    token: digits,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: period,
  });
  // The step the code belongs to: now's step moved by the drift otplib found (-1, 0 or +1).
  return result.valid ? timeStepOf(now) + result.delta : null;
}

export type TwoStepSetup = { secret: string; otpauthUrl: string; qrSvg: string };

/** The authenticator's QR code as an SVG document (drawn on the server: no script, allowed by the CSP as an img). */
export async function qrCodeSvg(otpauthUrl: string): Promise<string> {
  return QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/**
 * Offers a new secret. It is kept as pending until a code from it is confirmed; asking again replaces it (the page
 * may be reloaded). Refused while two-step sign-in is on.
 */
export async function beginTwoStepSetup(props: { userId: string }): Promise<TwoStepSetup> {
  const user = await UserModel.findById(props.userId).lean();
  if (!user) throw new NotFoundError();
  if (user.mfaEnabledAt) throw new ConflictError(messages.alreadyOn);
  const secret = generateSecret();
  const updated = await UserModel.updateOne(
    { _id: user._id, mfaEnabledAt: null },
    { $set: { mfaPendingSecret: sealSecret(secret, secretContext(user._id)) } },
  );
  if (updated.matchedCount !== 1) throw new ConflictError(messages.alreadyOn);
  const otpauthUrl = generateURI({ issuer, label: user.email, secret });
  return { secret, otpauthUrl, qrSvg: await qrCodeSvg(otpauthUrl) };
}

/**
 * The pending set-up (to show the page again), or a new one when none is waiting. The new one is stored only over
 * what was read (none, or one the configured key no longer opens): the page opened in two tabs at once would
 * otherwise show two secrets, the one written first replaced, and the codes of its QR code refused for good. The tab
 * that finds one stored meanwhile shows that one.
 */
export async function currentTwoStepSetup(props: { userId: string }): Promise<TwoStepSetup> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const user = await UserModel.findById(props.userId).select('+mfaPendingSecret').lean();
    if (!user) throw new NotFoundError();
    if (user.mfaEnabledAt) throw new ConflictError(messages.alreadyOn);
    let secret = user.mfaPendingSecret ? openStored(user.mfaPendingSecret, user._id) : null;
    if (!secret) {
      const fresh = generateSecret();
      const stored = await UserModel.updateOne(
        { _id: user._id, mfaEnabledAt: null, mfaPendingSecret: user.mfaPendingSecret ?? null },
        { $set: { mfaPendingSecret: sealSecret(fresh, secretContext(user._id)) } },
      );
      if (stored.matchedCount !== 1) continue; // stored by another tab, or turned on, meanwhile: read it again
      secret = fresh;
    }
    const otpauthUrl = generateURI({ issuer, label: user.email, secret });
    return { secret, otpauthUrl, qrSvg: await qrCodeSvg(otpauthUrl) };
  }
  throw new ConflictError(messages.setupBusy);
}

/**
 * Turns two-step sign-in on when `otp` is a current code of the pending secret, and returns 10 recovery codes
 * (shown once; only their hashes are kept). The switch is one conditional update on the pending secret, so two
 * confirmations at once enable it once and only the winner's recovery codes are kept.
 */
export async function confirmTwoStepSetup(props: {
  actor: AuditActor;
  otp: string;
  ip?: string | null;
  now?: Date;
}): Promise<{ recoveryCodes: string[] }> {
  const now = props.now ?? new Date();
  const user = await UserModel.findById(props.actor.id).select('+mfaPendingSecret').lean();
  if (!user) throw new NotFoundError();
  if (user.mfaEnabledAt) throw new ConflictError(messages.alreadyOn);
  const pending = user.mfaPendingSecret ? openStored(user.mfaPendingSecret, user._id) : null;
  if (!pending) throw new ValidationError(messages.notStarted, [{ path: 'otp', message: messages.notStarted }]);
  const step = await matchingStep(pending, props.otp, now);
  if (step === null) throw new ValidationError(messages.wrongCode, [{ path: 'otp', message: messages.wrongCode }]);
  const recoveryCodes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  const updated = await UserModel.updateOne(
    { _id: user._id, mfaEnabledAt: null, mfaPendingSecret: user.mfaPendingSecret },
    {
      $set: {
        mfaEnabledAt: now,
        mfaSecret: sealSecret(pending, secretContext(user._id)),
        mfaLastStep: step,
        mfaRecoveryCodes: recoveryCodes.map(hashRecoveryCode),
      },
      $unset: { mfaPendingSecret: 1 },
    },
  );
  if (updated.modifiedCount !== 1) throw new ConflictError(messages.alreadyOn);
  await tellAccountAddress({ to: user.email, name: user.name, notice: 'two-step-on' });
  await recordAuditEvent({
    action: 'mfa-enabled',
    actor: props.actor,
    target: { type: 'user', id: user._id },
    ip: props.ip,
    at: now,
  });
  return { recoveryCodes };
}

/**
 * Turns two-step sign-in on with a known secret and recovery codes, without a code (demo data, operators' tooling).
 * People always go through beginTwoStepSetup and confirmTwoStepSetup.
 */
export async function enableTwoStepWithSecret(props: {
  userId: string;
  secret: string;
  recoveryCodes: string[];
  now?: Date;
}): Promise<void> {
  const now = props.now ?? new Date();
  await UserModel.updateOne(
    { _id: props.userId },
    {
      $set: {
        mfaEnabledAt: now,
        mfaSecret: sealSecret(props.secret, secretContext(props.userId)),
        mfaLastStep: 0,
        mfaRecoveryCodes: props.recoveryCodes.map(hashRecoveryCode),
      },
      $unset: { mfaPendingSecret: 1 },
    },
  );
}

export type SecondFactor = 'totp' | 'recovery-code';

/**
 * Checks a second factor of a user with two-step sign-in on and uses it up: a TOTP code moves `mfaLastStep` to its
 * step (refused when that step or a later one was already accepted: no replay), a recovery code is `$pull`ed. Both
 * are single conditional updates. Returns which kind was used, or null when the code is not accepted.
 */
export async function useSecondFactor(props: {
  userId: string;
  code: string;
  now?: Date;
}): Promise<SecondFactor | null> {
  const now = props.now ?? new Date();
  if (!isObjectId(props.userId) || typeof props.code !== 'string' || props.code.length > 64) return null;
  const user = await UserModel.findById(props.userId).select('+mfaSecret').lean();
  if (!user?.mfaEnabledAt || !user.mfaSecret) return null;
  if (totpShape(props.code)) {
    const secret = openStored(user.mfaSecret, user._id);
    if (secret === null) return null;
    const step = await matchingStep(secret, props.code, now);
    if (step === null) return null;
    // A secret stored before SECRETS_ENCRYPTION_KEY was set is sealed in the same conditional update.
    const sealed = isSealed(user.mfaSecret) ? user.mfaSecret : sealSecret(secret, secretContext(user._id));
    const accepted = await UserModel.updateOne(
      { _id: user._id, mfaSecret: user.mfaSecret, mfaLastStep: { $lt: step } },
      { $set: { mfaLastStep: step, mfaSecret: sealed } },
    );
    return accepted.modifiedCount === 1 ? 'totp' : null;
  }
  const hash = hashRecoveryCode(props.code);
  const used = await UserModel.updateOne(
    { _id: user._id, mfaRecoveryCodes: hash },
    { $pull: { mfaRecoveryCodes: hash } },
  );
  return used.modifiedCount === 1 ? 'recovery-code' : null;
}

/** How many recovery codes she has left (shown on her security page). */
export async function recoveryCodesLeft(props: { userId: string }): Promise<number> {
  const user = await UserModel.findById(props.userId).select('+mfaRecoveryCodes').lean();
  return user?.mfaRecoveryCodes?.length ?? 0;
}

const twoStepOff = {
  $set: { mfaEnabledAt: null, mfaLastStep: 0 },
  $unset: { mfaSecret: 1, mfaPendingSecret: 1, mfaRecoveryCodes: 1 },
};

/** Wrong codes one account may give to turn two-step sign-in off within a window before every code is refused. */
export const turnOffAttempts = { limit: 10, windowMs: 15 * 60 * 1000 };

/**
 * She turns it off with a current code (or a recovery code), so a borrowed session alone cannot. Wrong codes are
 * counted per account in the database, as wrong current passwords are (isCurrentPassword): without a limit, a
 * borrowed session or API token could try all million codes, three of which are right at any moment.
 */
export async function disableTwoStep(props: {
  actor: AuditActor;
  otp: string;
  ip?: string | null;
  now?: Date;
}): Promise<void> {
  const now = props.now ?? new Date();
  const user = await UserModel.findById(props.actor.id).lean();
  if (!user?.mfaEnabledAt) throw new ConflictError(messages.notOn);
  const window = { key: `two-step-off:${String(user._id)}`, windowMs: turnOffAttempts.windowMs, now };
  // Each code takes its place in the count before it is judged, and a right one gives it back (as isCurrentPassword
  // does): codes sent all at once, to several processes, would otherwise each read a count under the limit and all be
  // judged.
  await spendAllowance({ ...window, limit: turnOffAttempts.limit, refusal: messages.tooManyCodes });
  const used = await useSecondFactor({ userId: String(user._id), code: props.otp, now });
  if (!used) throw new ValidationError(messages.wrongCode, [{ path: 'otp', message: messages.wrongCode }]);
  await uncountHit(window);
  await UserModel.updateOne({ _id: user._id }, twoStepOff);
  await tellAccountAddress({ to: user.email, name: user.name, notice: 'two-step-off' });
  await recordAuditEvent({
    action: 'mfa-disabled',
    actor: props.actor,
    target: { type: 'user', id: user._id },
    ip: props.ip,
    at: now,
  });
}

/**
 * An admin turns someone's two-step sign-in off (a lost phone); she sets it up again at her next sign-in when her role
 * needs it (MFA_REQUIRED_ROLES), else when she chooses to.
 */
export async function resetTwoStep(props: { actor: AuditActor; userId: string; ip?: string | null }): Promise<void> {
  if (!isObjectId(props.userId)) throw new NotFoundError('No such person.');
  const user = await UserModel.findById(props.userId).lean();
  if (!user) throw new NotFoundError('No such person.');
  if (!user.mfaEnabledAt) throw new ConflictError(`${user.name} does not use two-step sign-in.`);
  await UserModel.updateOne({ _id: user._id }, twoStepOff);
  await tellAccountAddress({ to: user.email, name: user.name, notice: 'two-step-reset' });
  await recordAuditEvent({
    action: 'mfa-reset',
    actor: props.actor,
    target: { type: 'user', id: user._id },
    ip: props.ip,
    detail: `two-step sign-in of ${user.name} turned off`,
  });
}
