import { namesToFollow, UserModel, type Role } from '../../../models/User.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { recordAuditEvent } from '../audit/events.ts';
import { namesFollowAccount } from './nameCopies.ts';
import { remindersFollowZone } from '../reminders/zone.ts';
import type { AccountActor } from './manage.ts';
import { presentMe } from '../users.ts';
import { nameMaxLength, nameMessages, personName, personNameProblem } from './names.ts';
import { timeZoneNamed } from './timeZones.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';

export const detailsMessages = {
  nameRequired: nameMessages.required,
  nameTooLong: nameMessages.tooLong,
  zone: 'must be a time zone from the list: an IANA name such as Europe/London or America/Toronto',
  invalid: 'Some details need correcting.',
  gone: 'This account cannot be changed: it is not active.',
  savedMeanwhile: savedMeanwhileMessage('page'),
};

/** The longest name a person may give herself (the same bound as an admin's edit). */
export { nameMaxLength };

/** What she may change about herself here. */
export type DetailsChanges = { name?: string; timezone?: string };

/** Her account as `GET /api/v1/me` shows it. */
export type OwnDetails = {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  timezone: string;
  version: number | null;
};

/** Field errors for a name and a zone (the request schemas check the same; the domain keeps the rule whoever calls). */
export function detailsErrors(changes: DetailsChanges): FieldError[] {
  const errors: FieldError[] = [];
  if (changes.name !== undefined) {
    const problem = personNameProblem(changes.name);
    if (problem) errors.push({ path: 'name', message: problem });
  }
  if (changes.timezone !== undefined && !timeZoneNamed(changes.timezone))
    errors.push({ path: 'timezone', message: detailsMessages.zone });
  return errors;
}

/**
 * She changes her own name or time zone (the "Your account" page, her invitation page, `PATCH /api/v1/me`). The
 * signed-in user is read from the database on every request (server/auth.ts), so the next page shows every time in
 * the new zone. Audited as `user-updated` with what changed, before → after, as an admin's edit is (actor and target
 * are both her); a new name reaches her directory card at once. Nothing sent, or the same values: nothing written.
 * @param actor she herself, with her client address for the audit trail
 * With `expectedVersion` (the version her form or client read), it is written only if nobody (an admin) changed her
 * details since: otherwise a 409 (server/versions.ts).
 * @param changes only what she sent: a name (trimmed, 1–120 characters) and an IANA zone
 */
export async function updateOwnDetails(props: {
  actor: AccountActor;
  changes: DetailsChanges;
  expectedVersion?: ExpectedVersion;
}): Promise<OwnDetails> {
  const { actor, changes, expectedVersion } = props;
  const problems = detailsErrors(changes);
  if (problems.length) throw new ValidationError(detailsMessages.invalid, problems);
  const userId = String(actor.id);
  const before = isObjectId(userId) ? await UserModel.findOne({ _id: userId, status: 'active' }).lean() : null;
  if (!before) throw new NotFoundError(detailsMessages.gone);
  if (movedOn(before.version, expectedVersion)) throw new ConflictError(detailsMessages.savedMeanwhile);

  const name = changes.name === undefined ? undefined : personName(changes.name);
  const timezone = changes.timezone === undefined ? undefined : timeZoneNamed(changes.timezone)!;
  const set: DetailsChanges = {};
  if (name !== undefined && name !== before.name) set.name = name;
  if (timezone !== undefined && timezone !== before.timezone) set.timezone = timezone;
  if (!set.name && !set.timezone) return presentMe(before);

  // Only while she is active: an admin disabling (or erasure erasing) the account meanwhile wins.
  const written = await UserModel.updateOne(
    { _id: before._id, status: 'active', ...versionFilter(expectedVersion) },
    { $set: { ...set, ...(set.name ? namesToFollow : {}) }, $inc: { version: 1 } },
    { runValidators: true },
  );
  if (written.matchedCount !== 1) {
    // An admin's change between the read above and this write (another process), unless she is no longer active.
    if (await UserModel.exists({ _id: before._id, status: 'active' }))
      throw new ConflictError(detailsMessages.savedMeanwhile);
    throw new NotFoundError(detailsMessages.gone);
  }
  if (set.name) await namesFollowAccount(userId);
  if (set.timezone) await remindersFollowZone({ userId, from: before.timezone || 'UTC', to: set.timezone });

  const changed: string[] = [];
  if (set.name) changed.push(`name: ${before.name} → ${set.name}`);
  if (set.timezone) changed.push(`timezone: ${before.timezone} → ${set.timezone}`);
  await recordAuditEvent({
    action: 'user-updated',
    actor: { id: before._id, name: before.name },
    target: { type: 'user', id: before._id },
    ip: actor.ip ?? null,
    detail: changed.join('; '),
  });
  return presentMe({ ...before, ...set, version: (before.version ?? 0) + 1 });
}

/** Her details' version as stored now: what her form carries when it comes back after an admin's change (409). */
export async function ownDetailsVersion(userId: string): Promise<number | null> {
  if (!isObjectId(userId)) return null;
  return (await UserModel.findById(userId, { version: 1 }).lean())?.version ?? null;
}

/**
 * Refuses (409) a form of her details opened at `expected` when they changed since (an admin's correction): her
 * invitation page checks it before setting her password, so that nothing is set when her details would be refused.
 */
export function refuseIfDetailsMovedOn(stored: number | null | undefined, expected: ExpectedVersion): void {
  if (movedOn(stored, expected)) throw new ConflictError(detailsMessages.savedMeanwhile);
}
