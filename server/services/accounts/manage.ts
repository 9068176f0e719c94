import { Types } from 'mongoose';
import { ApiTokenModel } from '../../../models/ApiToken.ts';
import { OneTimeTokenModel } from '../../../models/OneTimeToken.ts';
import { namesToFollow, UserModel, type Role } from '../../../models/User.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { recordAuditEvent, type AuditActor } from '../audit/events.ts';
import { seatOf } from '../boards/boards.ts';
import { directoryFollowsAccount } from '../directory/profiles.ts';
import { membershipsFollowAccount } from '../networks/members.ts';
import { namesFollowAccount } from './nameCopies.ts';
import { checkRoles, presentUser, sendInvitation, type UserView } from '../users.ts';
import { noteActiveAdmin, releaseActiveAdmin } from './adminRoster.ts';
import { checkedPersonName } from './names.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { endAllSessionsOf } from './sessions.ts';
import { remindersFollowZone } from '../reminders/zone.ts';

const messages = {
  notFound: 'No such person.',
  selfDisable: 'You cannot disable your own account: ask another admin.',
  changedMeanwhile: 'Someone changed this account at the same moment. Reload it and try again.',
  notInvited: 'Only a person who has not yet accepted her invitation can be sent it again.',
  erased: 'This account was erased; it cannot be changed.',
  savedMeanwhile: savedMeanwhileMessage('person'),
  seated: (seat: { board: string; round?: string }) =>
    seat.round
      ? `She sits on the panel of “${seat.round}” (board “${seat.board}”), a round still open: remove her from the panel first, or give the researcher role to a second account.`
      : `She sits on the board “${seat.board}”: remove her from it first, or give the researcher role to a second account.`,
};

/**
 * A researcher stands alone (checkRoles), and a board member or panel member needs the governor role: someone who
 * sits on a board or an open round's panel is not made a researcher (boards.ts refuses the other way round).
 */
async function refuseIfSeated(userId: Types.ObjectId): Promise<void> {
  const seat = await seatOf(userId);
  if (seat) throw new ValidationError(messages.seated(seat), [{ path: 'roles', message: messages.seated(seat) }]);
}

/** Who acts, and from where (for the audit trail). */
export type AccountActor = AuditActor & { ip?: string | null };

export type UserChanges = {
  name?: string;
  timezone?: string;
  roles?: Role[];
  status?: 'active' | 'disabled';
};

/** Ends every web session of a user at once, on every app process (the store is shared): sessions.ts. */
export async function endSessionsOf(userId: Types.ObjectId | string): Promise<number> {
  const id = String(userId);
  if (!isObjectId(id)) return 0;
  return endAllSessionsOf(id);
}

/** Revokes every API token of a user: the records go, so re-enabling her never brings an old token back. */
export async function revokeTokensOf(userId: Types.ObjectId | string): Promise<number> {
  return (await ApiTokenModel.deleteMany({ userId: new Types.ObjectId(String(userId)) })).deletedCount;
}

async function loadUser(userId: string) {
  if (!isObjectId(userId)) throw new NotFoundError(messages.notFound);
  const user = await UserModel.findById(userId).select('+passwordHash').lean();
  if (!user) throw new NotFoundError(messages.notFound);
  return user;
}

/** Said when her details changed after the form or client read them (the form comes back with what was typed). */
export const staleDetailsMessage = messages.savedMeanwhile;

export async function getUserForAdmin(props: { userId: string }): Promise<UserView & { hasPassword: boolean }> {
  const user = await loadUser(props.userId);
  return { ...presentUser(user), hasPassword: !!user.passwordHash };
}

const listOf = (roles: readonly string[]) => (roles.length ? [...roles].sort().join(', ') : 'none');

/**
 * An admin changes another person's (or her own) name, zone, roles or status. Disabling ends her sessions and revokes
 * her tokens at once; re-enabling makes her active again (or invited, when she never chose a password). The last
 * active admin cannot lose the role or be disabled, and an admin cannot disable herself: 409. Roles that cannot go
 * together (researcher beside another role, `checkRoles`) are a 422 at `roles`, and so is making a researcher of
 * someone who sits on a board or an open round's panel (she must be taken off it first).
 * With `expectedVersion` (the version her form or client read), it is written only if nobody changed the account since
 * (she herself, another admin): otherwise a 409 (server/versions.ts).
 * @param actor the admin, for the audit trail and the self-disable rule
 */
export async function updateUserAsAdmin(props: {
  actor: AccountActor;
  userId: string;
  changes: UserChanges;
  expectedVersion?: ExpectedVersion;
}): Promise<UserView> {
  const user = await loadUser(props.userId);
  if (user.status === 'erased') throw new ConflictError(messages.erased);
  if (movedOn(user.version, props.expectedVersion)) throw new ConflictError(messages.savedMeanwhile);
  const { changes } = props;
  const name = changes.name === undefined ? undefined : checkedPersonName(changes.name);
  const disabling = changes.status === 'disabled' && user.status !== 'disabled';
  const enabling = changes.status === 'active' && user.status === 'disabled';
  if (disabling && String(user._id) === String(props.actor.id)) throw new ConflictError(messages.selfDisable);

  const roles = changes.roles ? checkRoles(changes.roles) : (user.roles as Role[]);
  const becomesResearcher = roles.includes('researcher') && !user.roles.includes('researcher');
  if (becomesResearcher) await refuseIfSeated(user._id);
  const status = disabling ? 'disabled' : enabling ? (user.passwordHash ? 'active' : 'invited') : user.status;
  const wasActiveAdmin = user.status === 'active' && user.roles.includes('admin');
  const willBeActiveAdmin = status === 'active' && roles.includes('admin');
  if (wasActiveAdmin && !willBeActiveAdmin) await releaseActiveAdmin(user._id);

  // Enabled again, she starts afresh (API.md: old tokens stay revoked): her sessions and tokens are ended before she
  // is, so any a disable's process left behind when it stopped before ending them never come back to life.
  if (enabling) {
    await endSessionsOf(user._id);
    await revokeTokensOf(user._id);
  }
  const set: Record<string, unknown> = { roles, status };
  if (name !== undefined) set.name = name;
  if (changes.timezone !== undefined) set.timezone = changes.timezone;
  // Conditional on the roles and status just read: a concurrent change of the same account cannot be overwritten
  // unseen, and the roster decision above stays about the account as it is.
  // updateOne, not findOneAndUpdate: the hidden passwordHash makes mongoose send a projection FerretDB refuses there.
  const written = await UserModel.updateOne(
    {
      _id: user._id,
      status: user.status,
      roles: { $all: user.roles, $size: user.roles.length },
      ...versionFilter(props.expectedVersion),
    },
    { $set: { ...set, ...(name !== undefined && name !== user.name ? namesToFollow : {}) }, $inc: { version: 1 } },
    { runValidators: true },
  );
  const updated = written.matchedCount === 1 ? await UserModel.findById(user._id).lean() : null;
  if (!updated) {
    if (wasActiveAdmin && !willBeActiveAdmin) await noteActiveAdmin(user._id);
    const now = await UserModel.findById(user._id, { version: 1 }).lean();
    throw new ConflictError(
      movedOn(now?.version, props.expectedVersion) ? messages.savedMeanwhile : messages.changedMeanwhile,
    );
  }
  // A chair seating her at this moment (another process). Her board side gives her the governor role by a write
  // conditional on her not being a researcher, before seating her (boards.ts grantGovernorRole): a grant landing after
  // our write is refused; one landing between our read and our write changed the roles ours is conditional on (409
  // above), unless she already held governor. So what can slip past is a seat (a board's, or an open round's panel,
  // which checks her roles by a read) decided on roles read before our write: it is looked for again now that our
  // write has landed, and if there is one our write is taken back (422, as before the write). What holds: a seat
  // written before this second look refuses the change. Not covered: a seat decided before our write but written
  // after this second look (one chair's add spanning the whole change); closing it needs the board and panel side
  // to look at her roles again after seating her.
  if (becomesResearcher) {
    const seat = await seatOf(user._id);
    if (seat) {
      const before = Object.fromEntries(Object.keys(set).map((key) => [key, user[key as keyof typeof user]]));
      await UserModel.updateOne(
        { _id: user._id, status, roles: { $all: roles, $size: roles.length } },
        { $set: before },
      );
      if (wasActiveAdmin && !willBeActiveAdmin) await noteActiveAdmin(user._id);
      throw new ValidationError(messages.seated(seat), [{ path: 'roles', message: messages.seated(seat) }]);
    }
  }
  if (willBeActiveAdmin && !wasActiveAdmin) await noteActiveAdmin(user._id);
  if (updated.name !== user.name) await namesFollowAccount(user._id);
  if (updated.timezone !== user.timezone)
    await remindersFollowZone({ userId: user._id, from: user.timezone || 'UTC', to: updated.timezone });
  if (disabling) {
    await endSessionsOf(user._id);
    await revokeTokensOf(user._id);
  }
  // A disabled person is not listed in the directory (nor contacted through it), nor a researcher (the directory is
  // closed to her); enabled, or given back a role that uses it, she is listed as she chose.
  if (disabling || enabling || listOf(user.roles) !== listOf(roles)) await directoryFollowsAccount(String(user._id));
  // Network member counts are of active accounts: hers are counted out while she is disabled.
  if (disabling || enabling) await membershipsFollowAccount(String(user._id));

  const target = { type: 'user', id: user._id };
  const audit = { actor: props.actor, target, ip: props.actor.ip ?? null };
  const changed: string[] = [];
  if (listOf(user.roles) !== listOf(roles)) changed.push(`roles: ${listOf(user.roles)} → ${listOf(roles)}`);
  if (set.name !== undefined && set.name !== user.name) changed.push(`name: ${user.name} → ${set.name}`);
  if (changes.timezone !== undefined && changes.timezone !== user.timezone)
    changed.push(`timezone: ${user.timezone} → ${changes.timezone}`);
  if (changed.length) await recordAuditEvent({ ...audit, action: 'user-updated', detail: changed.join('; ') });
  if (disabling)
    await recordAuditEvent({ ...audit, action: 'user-disabled', detail: `status: ${user.status} → disabled` });
  if (enabling) await recordAuditEvent({ ...audit, action: 'user-enabled', detail: `status: disabled → ${status}` });
  return presentUser(updated);
}

/** Sends a new invitation link to a person who has not accepted hers; earlier links stop working. */
export async function resendInvitation(props: { actor: AccountActor; userId: string }): Promise<void> {
  const user = await loadUser(props.userId);
  if (user.status !== 'invited') throw new ConflictError(messages.notInvited);
  await OneTimeTokenModel.updateMany(
    { userId: user._id, purpose: 'invitation', usedAt: null },
    { $set: { usedAt: new Date() } },
  );
  await sendInvitation({ userId: String(user._id), actorName: props.actor.name });
  await recordAuditEvent({
    action: 'invitation-resent',
    actor: props.actor,
    target: { type: 'user', id: user._id },
    ip: props.actor.ip ?? null,
    detail: `to ${user.email}`,
  });
}
