import { Types } from 'mongoose';
import { NetworkModel, type Network } from '../../../models/Network.ts';
import {
  NetworkMembershipModel,
  type MembershipRole,
  type NetworkMembership,
} from '../../../models/NetworkMembership.ts';
import { liveUserStatuses, UserModel, type UserStatus } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import { isObjectId, oid } from '../../ids.ts';
import { decodeCursor, encodeCursor } from '../../pagination.ts';
import { looseTextPattern } from '../../textSearch.ts';
import { canModerateNetwork } from '../../policies/networks.ts';
import { joinAnswered, joinRequested } from './joinEmails.ts';
import { ledNetworkIds, showLeads } from './leadsShown.ts';
import { activeLeadIdsOf } from './membership.ts';
import { findNetwork } from './networks.ts';
import { versionFilter, type ExpectedVersion } from '../../versions.ts';
import { directoryFollowsMemberships, networkLeavesProfile } from '../directory/profileNetworks.ts';

/**
 * Joining, approval, removal and leaving. Every change of a membership's status is one conditional
 * `findOneAndUpdate` on the (network, person) row, unique; only the write that actually moved a row into or out of
 * being counted (`countedIn`: a member whose account is not disabled) changes the network's `memberCount`, with one
 * `$inc` decided from the row as that write found it, so two joins, or a join racing a removal or her account being
 * disabled, count once. (The two writes are not one transaction: a process killed between them leaves the count one off until
 * the hourly `networks:recount-members` job runs `recountMembers`; see README Limits.)
 * The emails of a request (to the leads when she asks, to her when it is approved or declined) are planned by the
 * process whose write moved her row, after it, so a retried or raced request or answer emails once (./joinEmails.ts).
 */
const messages = {
  notMember: 'She is not a member or applicant of this network.',
  lastLead: 'A network keeps at least one lead whose account is active: name another lead first.',
  notRequested: 'There is no request to approve.',
  answeredMeanwhile: (now: string) =>
    now === 'member'
      ? 'Her request was approved meanwhile, so she was not declined: she is a member now. Remove her from the members if she should not be one.'
      : 'She is no longer a member but has asked to join again, so nothing was changed. Her request is under Requests to join.',
};

type Id = Types.ObjectId;

export async function membershipOf(networkId: string | Id, userId: string | Id): Promise<NetworkMembership | null> {
  return NetworkMembershipModel.findOne({ userId: oid(userId), networkId: oid(networkId) }).lean<NetworkMembership>();
}

/** Whether a row is in its network's `memberCount`: a current member whose account an admin has not disabled. */
const countedIn = (row: Pick<NetworkMembership, 'status' | 'accountDisabled'>) =>
  row.status === 'member' && row.accountDisabled !== true;

/**
 * An admin about to name the leads over the `leadsVersion` she read (setLeads): the one conditional write that
 * claims the change, moving the version on; false when the leads moved on from that version (server/versions.ts).
 */
export async function claimLeadsChange(networkId: Id, expected: ExpectedVersion): Promise<boolean> {
  const written = await NetworkModel.updateOne(
    { _id: networkId, ...versionFilter(expected, 'leadsVersion') },
    { $inc: { leadsVersion: 1 } },
  );
  return written.matchedCount === 1;
}

/**
 * Who leads a network, or how a lead is named, changed (written before this is called): its `leadsVersion` moves on,
 * so an admin naming the leads over the version she read (setLeads) is refused, and the list its page names is
 * written again over the new version (./leadsShown.ts).
 */
export async function leadsChanged(networkId: Id | string): Promise<void> {
  await NetworkModel.updateOne({ _id: networkId }, { $inc: { leadsVersion: 1 } });
  await showLeads(networkId);
}

/**
 * Her account's status or name changed (written before this is called): the networks she leads name her as it is now.
 * Answers those networks.
 */
export async function leadsFollowAccount(userId: string): Promise<Types.ObjectId[]> {
  if (!isObjectId(userId)) return [];
  const led = await ledNetworkIds(userId);
  for (const networkId of led) await leadsChanged(networkId);
  return led;
}

async function bump(networkId: Id, by: 1 | -1): Promise<void> {
  await NetworkModel.updateOne({ _id: networkId }, { $inc: { memberCount: by } });
}

/**
 * Makes her a current member (with `role`), whatever her row said: a new row, a request approved, a removed member
 * readmitted. Counts her once. Made a lead, the network's page names her (leadsChanged).
 */
export async function admitMember(props: { networkId: Id; userId: Id; role?: MembershipRole }): Promise<void> {
  await writeAdmission(props);
  if (props.role === 'lead') await leadsChanged(props.networkId);
}

/**
 * admitMember's row write alone, for a caller that changes several leads and calls leadsChanged once after all its
 * writes (setLeads).
 */
export async function writeAdmission(props: { networkId: Id; userId: Id; role?: MembershipRole }): Promise<void> {
  await admitRow(props, { status: { $in: ['requested', 'removed'] } });
}

/**
 * Makes her row a member's, if it is one of `admissible` (or she has no row): answers false when her row is neither a
 * member's nor admissible (the caller decides again from the row as it is now). Counts her once, and her directory
 * profile's copy of her networks follows.
 */
async function admitRow(
  props: { networkId: Id; userId: Id; role?: MembershipRole },
  admissible: Record<string, unknown>,
): Promise<boolean> {
  const admitted = await writeAdmittedRow(props, admissible);
  if (admitted) await directoryFollowsMemberships(props.userId);
  return admitted;
}

async function writeAdmittedRow(
  props: { networkId: Id; userId: Id; role?: MembershipRole },
  admissible: Record<string, unknown>,
): Promise<boolean> {
  const now = new Date();
  const role = props.role ?? 'member';
  const before = await NetworkMembershipModel.findOneAndUpdate(
    { userId: props.userId, networkId: props.networkId, ...admissible },
    { $set: { status: 'member', role, joinedAt: now }, $unset: { removedAt: 1, leftBy: 1 } },
  ).lean();
  if (before) {
    if (before.accountDisabled !== true) await bump(props.networkId, 1);
    return true;
  }
  try {
    await NetworkMembershipModel.create({
      networkId: props.networkId,
      userId: props.userId,
      status: 'member',
      role,
      joinedAt: now,
    });
    await bump(props.networkId, 1);
    return true;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  // Already a member (or a concurrent write made her one): only the role may change.
  const current = await membershipOf(props.networkId, props.userId);
  if (current?.status !== 'member') {
    // Her row changed between the two writes (or went): admitted if it is still admissible, as it is now.
    if (current && !(await NetworkMembershipModel.exists({ _id: current._id, ...admissible }))) return false;
    return writeAdmittedRow(props, admissible);
  }
  if (props.role && current.role !== props.role)
    await NetworkMembershipModel.updateOne({ _id: current._id, status: 'member' }, { $set: { role: props.role } });
  return true;
}

/**
 * The rows she may turn into a membership herself with one click (joinsAtOnce, as a filter): a request nobody
 * declined, or her own leaving. A lead's or an admin's decline or removal written after she read her row is not undone
 * by her click: the write finds her row no longer admissible.
 */
const joinableRow = {
  $or: [
    { status: 'removed', leftBy: 'self' },
    { status: 'requested', leftBy: { $nin: ['lead', 'admin'] } },
  ],
};

/**
 * She joins (an open network) or asks to (an approval network). A person a lead removed asks again even in an open
 * network, so a removal is not undone by one click. Joining when already a member or applicant changes nothing.
 */
/**
 * Whether she joins this network with one click: it is open, and no lead or admin removed her (a removed person's
 * request keeps who removed her). One who asked while it still took requests joins at once once an admin opens it,
 * rather than waiting for an approval nobody is now looking for.
 */
export function joinsAtOnce(network: Pick<Network, 'joining'>, current: NetworkMembership | null): boolean {
  if (network.joining !== 'open') return false;
  if (current?.status === 'removed') return current.leftBy === 'self';
  if (current?.status === 'requested') return current.leftBy !== 'lead' && current.leftBy !== 'admin';
  return true;
}

export async function joinNetwork(props: {
  actor: Express.User;
  networkId: string;
}): Promise<{ status: 'member' | 'requested' }> {
  const network = await findNetwork(props.networkId);
  const userId = oid(props.actor.id);
  // Decided from her row as read; a lead's answer landing before her write changes the row, and she is judged again
  // on it (a decline just written makes her click a new request, as after any decline).
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await membershipOf(network._id, userId);
    if (current?.status === 'member') return { status: 'member' };
    const atOnce = joinsAtOnce(network, current);
    if (current?.status === 'requested' && !atOnce) return { status: 'requested' };
    if (!atOnce) break;
    if (await admitRow({ networkId: network._id, userId }, joinableRow)) return { status: 'member' };
  }
  const requestedAt = await requestMembership(network._id, userId);
  if (requestedAt) await joinRequested({ network, userId, requestedAt });
  const after = await membershipOf(network._id, userId);
  return { status: after?.status === 'member' ? 'member' : 'requested' };
}

/** Makes her row `requested`; returns when, if this write made it so (null: another write got there first). */
async function requestMembership(networkId: Id, userId: Id): Promise<Date | null> {
  const now = new Date();
  const moved = await NetworkMembershipModel.findOneAndUpdate(
    { userId, networkId, status: 'removed' },
    { $set: { status: 'requested', role: 'member', requestedAt: now } },
  ).lean();
  if (moved) return now;
  try {
    await NetworkMembershipModel.create({ networkId, userId, status: 'requested', role: 'member', requestedAt: now });
    return now;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return null;
  }
}

/** When the request on this row (as it was before its answer) was made; `updatedAt` for a row without the field. */
const requestedAtOf = (row: NetworkMembership): Date =>
  row.requestedAt ?? (row as { updatedAt?: Date }).updatedAt ?? row._id.getTimestamp();

/** Who answers as what: an admin (a lead too or not) acts as an admin, as `leftBy` records it. */
const answererOf = (actor: Express.User): 'lead' | 'admin' => (actor.roles.includes('admin') ? 'admin' : 'lead');

async function moderatedNetwork(actor: Express.User, networkId: string): Promise<Network> {
  const network = await findNetwork(networkId);
  if (!canModerateNetwork(actor, await membershipOf(network._id, actor.id))) throw new ForbiddenError();
  return network;
}

/** A lead (or an admin) approves a request; she is emailed (once, by the write that approved it). */
export async function approveMember(props: { actor: Express.User; networkId: string; userId: string }): Promise<void> {
  const network = await moderatedNetwork(props.actor, props.networkId);
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.notRequested);
  const now = new Date();
  const moved = await NetworkMembershipModel.findOneAndUpdate(
    { userId: oid(props.userId), networkId: network._id, status: 'requested' },
    { $set: { status: 'member', role: 'member', joinedAt: now }, $unset: { removedAt: 1, leftBy: 1 } },
  ).lean<NetworkMembership>();
  if (moved) {
    if (moved.accountDisabled !== true) await bump(network._id, 1);
    await directoryFollowsMemberships(moved.userId);
    return joinAnswered({
      network,
      userId: moved.userId,
      requestedAt: requestedAtOf(moved),
      approved: true,
      answeredBy: answererOf(props.actor),
      now,
    });
  }
  const current = await membershipOf(network._id, props.userId);
  if (current?.status !== 'member') throw new NotFoundError(messages.notRequested);
}

/**
 * A lead (or an admin) removes a member or declines a request. She loses access on her next request: every read
 * checks her row. The last lead cannot be removed this way (admins name leads with PUT .../leads). A declined
 * request is emailed to her (once, by the write that declined it); a removal is not.
 */
export async function removeMember(props: {
  actor: Express.User;
  networkId: string;
  userId: string;
  /**
   * What the lead saw and answered (the page's Decline or Remove): a request another lead approved meanwhile is not
   * then removed as a member, nor a member declined (409, nothing changed). Without it (the API), whichever she is.
   */
  seen?: 'requested' | 'member';
}): Promise<void> {
  const network = await moderatedNetwork(props.actor, props.networkId);
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.notMember);
  const leftBy = answererOf(props.actor);
  const before = await endMembership(network._id, oid(props.userId), leftBy, props.seen);
  if (before?.status === 'requested')
    await joinAnswered({
      network,
      userId: before.userId,
      requestedAt: requestedAtOf(before),
      approved: false,
      answeredBy: leftBy,
      now: before.removedAt,
    });
}

/**
 * What removing her would do, for the question asked first (server/http/confirmFirst.ts): her name, the network's,
 * and whether she is a member or has only asked to join. Authorized as the removal is (403 for who may not remove);
 * null when there is no one to remove (the removal then answers as usual).
 */
export async function removalToConfirm(props: {
  actor: Express.User;
  networkId: string;
  userId: string;
}): Promise<{ name: string; networkName: string; openToAll: boolean; requested: boolean } | null> {
  const network = await moderatedNetwork(props.actor, props.networkId);
  if (!isObjectId(props.userId)) return null;
  const current = await membershipOf(network._id, props.userId);
  if (current?.status !== 'member' && current?.status !== 'requested') return null;
  const user = await UserModel.findById(current.userId).select({ name: 1 }).lean();
  return {
    name: user?.name ?? 'Former member',
    networkName: network.name,
    openToAll: network.joining === 'open',
    requested: current.status === 'requested',
  };
}

/**
 * What leaving would end, for the question asked first (server/http/confirmFirst.ts): the network, and whether she is
 * a member or has only asked to join. Null when she is neither (leaving then answers as usual); an unknown network
 * is the same 404 as leaving it.
 */
export async function leavingToConfirm(props: {
  actor: Express.User;
  networkId: string;
}): Promise<{ name: string; openToAll: boolean; requested: boolean } | null> {
  const network = await findNetwork(props.networkId);
  const current = await membershipOf(network._id, props.actor.id);
  if (current?.status !== 'member' && current?.status !== 'requested') return null;
  return { name: network.name, openToAll: network.joining === 'open', requested: current.status === 'requested' };
}

/** She leaves a network (or withdraws her request). */
export async function leaveNetwork(props: { actor: Express.User; networkId: string }): Promise<void> {
  const network = await findNetwork(props.networkId);
  await endMembership(network._id, oid(props.actor.id), 'self');
}

/** Whether the network would have no lead who can answer (activeLeadIdsOf) once she is not one. */
const noActiveLeadBut = async (networkId: Id, userId: Id): Promise<boolean> =>
  (await activeLeadIdsOf(networkId)).every((id) => id.equals(userId));

/**
 * Ends her membership. The last lead whose account is live (activeLeadIdsOf) may not go: a network led only by
 * disabled or erased accounts has nobody to answer its requests. Two leads leaving (or removing each other) at once
 * on two processes both pass the first count, so a lead who has just gone counts again after her own write and,
 * finding no such lead left, is put back by a conditional write on that removal (409). Of any set of such writes, the
 * last one's count sees them all, so the network never stays without a lead (both may be refused; neither then left).
 */
async function endMembership(
  networkId: Id,
  userId: Id,
  leftBy: 'self' | 'lead' | 'admin',
  seen?: 'requested' | 'member',
): Promise<(NetworkMembership & { removedAt: Date }) | null> {
  const current = await membershipOf(networkId, userId);
  if (!current || current.status === 'removed') throw new NotFoundError(messages.notMember);
  if (seen && current.status !== seen) throw new ConflictError(messages.answeredMeanwhile(current.status));
  if (current.status === 'member' && current.role === 'lead' && (await noActiveLeadBut(networkId, userId)))
    throw new ConflictError(messages.lastLead);
  // Out of her directory profile's networks first (a stop before the row's write hides her from this network's
  // members, never shows her to people she no longer shares a network with); after it, as the rows then stand. A
  // request too: approved between the read above and the write, it is a membership this write ends.
  await networkLeavesProfile(userId, networkId);
  try {
    return await writeEnding(networkId, userId, leftBy, seen);
  } finally {
    await directoryFollowsMemberships(userId);
  }
}

/** endMembership's writes, after its checks. */
async function writeEnding(
  networkId: Id,
  userId: Id,
  leftBy: 'self' | 'lead' | 'admin',
  seen?: 'requested' | 'member',
): Promise<(NetworkMembership & { removedAt: Date }) | null> {
  const removedAt = new Date();
  // When she stopped being a member: a request withdrawn (or refused) after she left keeps the day she left
  // (`$min`: a member's row has none, so it is set now). Moved to the withdrawal, it let a former member of an
  // approval network ask and withdraw to learn, post by post, what was written after she left (wasMemberAfter).
  const ended = { $min: { removedAt } };
  // She withdraws a request made after a lead or admin removed her: the row keeps who removed her, or withdrawing
  // would turn that removal into her own leaving and let her join an open network with one click (joinsAtOnce).
  const withdrawn =
    leftBy === 'self'
      ? await NetworkMembershipModel.findOneAndUpdate(
          { userId, networkId, status: 'requested', leftBy: { $in: ['lead', 'admin'] } },
          { $set: { status: 'removed', role: 'member' }, ...ended },
        ).lean<NetworkMembership>()
      : null;
  const before =
    withdrawn ??
    (await NetworkMembershipModel.findOneAndUpdate(
      { userId, networkId, status: seen ?? { $in: ['member', 'requested'] } },
      { $set: { status: 'removed', role: 'member', leftBy }, ...ended },
    ).lean<NetworkMembership>());
  if (!before && seen) {
    // Approved (or asked again) between the read above and the write: the same refusal, nothing written.
    const now = await membershipOf(networkId, userId);
    if (now && now.status !== 'removed') throw new ConflictError(messages.answeredMeanwhile(now.status));
  }
  if (before?.status === 'member' && before.role === 'lead' && (await activeLeadIdsOf(networkId)).length === 0) {
    await NetworkMembershipModel.updateOne(
      { _id: before._id, status: 'removed', removedAt },
      { $set: { status: 'member', role: 'lead' }, $unset: { removedAt: 1, leftBy: 1 } },
    );
    await leadsChanged(networkId);
    throw new ConflictError(messages.lastLead);
  }
  if (before?.status === 'member' && before.role === 'lead') await leadsChanged(networkId);
  if (before && countedIn(before)) await bump(networkId, -1);
  // The row as this write found it (null: another write ended it first), with when it ended.
  return before && { ...before, removedAt };
}

/** Sets `memberCount` from the membership rows (a repair after a crash between a status change and its `$inc`). */
export async function recountMembers(networkId: Id): Promise<number> {
  const before = await NetworkModel.findById(networkId).select({ memberCount: 1 }).lean();
  const count = await NetworkMembershipModel.countDocuments({
    networkId,
    status: 'member',
    accountDisabled: { $ne: true },
  });
  // Conditional on the count read before counting: a join or leave whose $inc lands meanwhile is not overwritten
  // (this run leaves that network alone; the next one corrects it).
  if (before && before.memberCount !== count)
    await NetworkModel.updateOne({ _id: networkId, memberCount: before.memberCount }, { $set: { memberCount: count } });
  return count;
}

/**
 * Every network's member count from its membership rows (the `networks:recount-members` job, hourly): repairs a count
 * left one off by a process killed between a membership's write and its `$inc`.
 */
export async function recountAllMembers(): Promise<void> {
  for (const network of await NetworkModel.find().select({ _id: 1 }).lean()) await recountMembers(network._id);
}

/**
 * Her memberships follow her account (after every write of its status, updateUserAsAdmin): disabled or erased, each
 * row is marked `accountDisabled` and counted out of its network; enabled again, counted back in. Each mark is one
 * conditional write on the row as read, its `$inc` decided from the row as that write found it, so it counts once
 * whatever approval, removal or second call lands at the same moment; her status is read again after the writes, so a
 * disable and an enable at once end as the last status asks (as directoryFollowsAccount does for her profile).
 */
export async function membershipsFollowAccount(userId: string): Promise<void> {
  if (!isObjectId(userId)) return;
  const state = await markMemberships(userId);
  // A disabled lead is not named, and an enabled one is again.
  const led = await leadsFollowAccount(userId);
  if (state === 'disabled') await requestsFindAnAnswerer(led);
}

/**
 * A lead can no longer answer (her account disabled or erased): the requests waiting in the networks she led are
 * planned again for whoever now answers them (joinRequested: the leads whose account is live, or the admins when
 * none is), so a request made while she led is not left with nobody told. Keyed by request and reader, so a reader
 * already told is not told twice, however often this runs.
 */
export async function requestsFindAnAnswerer(networkIds: Id[]): Promise<void> {
  for (const networkId of networkIds) {
    const network = await NetworkModel.findById(networkId).select({ name: 1 }).lean();
    if (!network) continue;
    const waiting = await NetworkMembershipModel.find({ networkId, status: 'requested' }).lean<NetworkMembership[]>();
    for (const row of waiting) await joinRequested({ network, userId: row.userId, requestedAt: requestedAtOf(row) });
  }
}

/** Marks her rows as her account now stands, and says how that was (none: no such account). */
async function markMemberships(userId: string): Promise<'disabled' | 'live' | undefined> {
  let state: 'disabled' | 'live' | undefined;
  for (let attempt = 0; attempt < 6; attempt++) {
    const account = await UserModel.findById(userId).select({ status: 1 }).lean();
    if (!account) return undefined;
    const disabled = !liveUserStatuses.includes(account.status as UserStatus);
    state = disabled ? 'disabled' : 'live';
    const rows = await NetworkMembershipModel.find({
      userId: oid(userId),
      accountDisabled: disabled ? { $ne: true } : true,
    })
      .select({ _id: 1 })
      .lean();
    if (!rows.length) return state;
    for (const row of rows) {
      const before = await NetworkMembershipModel.findOneAndUpdate(
        { _id: row._id, accountDisabled: disabled ? { $ne: true } : true },
        disabled ? { $set: { accountDisabled: true } } : { $unset: { accountDisabled: 1 } },
      ).lean<NetworkMembership>();
      if (before?.status === 'member') await bump(before.networkId, disabled ? -1 : 1);
    }
  }
  return state;
}

/**
 * The repair behind membershipsFollowAccount (the 15-minute maintenance job): rows of disabled accounts still counted,
 * or of enabled ones still counted out, left by a process that stopped between the status write and this one, or by
 * accounts disabled before counts followed them. Reads the few disabled accounts and the few marked rows.
 */
export async function countOutMembershipsOfDisabledAccounts(): Promise<void> {
  const disabled = (await UserModel.find({ status: 'disabled' }, { _id: 1 }).lean()).map((u) => u._id);
  const [unmarked, marked] = await Promise.all([
    disabled.length
      ? NetworkMembershipModel.find({ userId: { $in: disabled }, accountDisabled: { $ne: true } }, { userId: 1 }).lean()
      : [],
    NetworkMembershipModel.find({ accountDisabled: true, userId: { $nin: disabled } }, { userId: 1 }).lean(),
  ]);
  for (const userId of new Set([...unmarked, ...marked].map((r) => String(r.userId))))
    await membershipsFollowAccount(userId);
}

export type MemberRow = {
  userId: string;
  name: string;
  role: string;
  since: Date | null;
  /** Her account was disabled (or erased) by an admin: listed as such, and never made a lead (makeLead). */
  disabled: boolean;
};

/** How many rows a name search of the members reads at a time, and at most how many times for one page. */
const searchBatch = 200;
const searchBatches = 10;

/**
 * One page of a network's members, or of its requests to join (leads and admins), in user id order from the
 * `(networkId, status, userId)` index: a page reads its own rows and their accounts, never the whole network's (a
 * network of 1,143 members made its page 1.8 MB when every member was listed on it). A search by name (whatever accents
 * either side wrote, server/textSearch.ts) reads on in batches until the page is full; after ten batches the page may be
 * short, and its cursor carries on from where the reading stopped.
 */
export async function pageMembersOf(props: {
  actor: Express.User;
  networkId: string;
  status: 'member' | 'requested';
  q?: string;
  limit: number;
  cursor?: string;
}): Promise<{ network: Network; rows: MemberRow[]; nextCursor: string | null }> {
  const network = await moderatedNetwork(props.actor, props.networkId);
  const name = props.q ? new RegExp(looseTextPattern(props.q), 'i') : undefined;
  const batchSize = name ? searchBatch : props.limit + 1;
  let after = decodeCursor(props.cursor);
  const rows: MemberRow[] = [];
  for (let batch = 0; batch < (name ? searchBatches : 1); batch += 1) {
    const found = await NetworkMembershipModel.find({
      networkId: network._id,
      status: props.status,
      ...(after ? { userId: { $gt: after } } : {}),
    })
      .select({ _id: 0, userId: 1, role: 1, joinedAt: 1, requestedAt: 1 })
      .sort({ userId: 1 })
      .limit(batchSize)
      .lean();
    const users = await UserModel.find({ _id: { $in: found.map((r) => r.userId) }, ...(name ? { name } : {}) })
      .select({ name: 1, status: 1 })
      .lean();
    const byId = new Map(users.map((u) => [String(u._id), u]));
    for (const r of found) {
      const user = byId.get(String(r.userId));
      if (name && !user) continue;
      rows.push({
        userId: String(r.userId),
        name: user?.name ?? 'Former member',
        role: r.role ?? 'member',
        since: (props.status === 'member' ? r.joinedAt : r.requestedAt) ?? null,
        disabled: !user || !liveUserStatuses.includes(user.status as UserStatus),
      });
      if (rows.length > props.limit) break;
    }
    if (rows.length > props.limit) {
      const page = rows.slice(0, props.limit);
      return { network, rows: page, nextCursor: encodeCursor(page.at(-1)!.userId) };
    }
    if (found.length < batchSize) return { network, rows, nextCursor: null };
    after = found.at(-1)!.userId;
  }
  return { network, rows, nextCursor: after ? encodeCursor(after) : null };
}
