import { Types } from 'mongoose';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.js';
import { liveUserStatuses, UserModel } from '../../../models/User.js';

/**
 * Read-only questions about who belongs where, for this area and others (the directory, events). Every answer reads
 * the membership rows at the time of asking, so a removal takes effect on the very next request in every process.
 */
type Id = Types.ObjectId | string;

const asId = (id: Id): Types.ObjectId => (typeof id === 'string' ? new Types.ObjectId(id) : id);

/** Whether she is a current member (leads included) of the network. */
export async function isMember(networkId: Id, userId: Id): Promise<boolean> {
  const row = await NetworkMembershipModel.findOne({ userId: asId(userId), networkId: asId(networkId) })
    .select({ status: 1 })
    .lean();
  return row?.status === 'member';
}

/** Whether she is a current lead of the network. */
export async function isLead(networkId: Id, userId: Id): Promise<boolean> {
  const row = await NetworkMembershipModel.findOne({ userId: asId(userId), networkId: asId(networkId) })
    .select({ status: 1, role: 1 })
    .lean();
  return row?.status === 'member' && row.role === 'lead';
}

/**
 * The leads who can answer for the network: its current leads whose account is live (active, or invited and not yet
 * signed in; README, Networks). A lead whose account an admin disabled, or that was erased, is still a lead on her row
 * (enabled again, she leads again) but answers no request, so she is not counted here. The one rule for "the last
 * lead": leaving, removal, PUT .../leads and Remove as lead refuse to leave a network without one of these, and a
 * request to join is emailed to these (or to the admins when there are none).
 */
export async function activeLeadIdsOf(networkId: Id): Promise<Types.ObjectId[]> {
  return (await activeLeadsOf(networkId)).map((u) => u._id);
}

/** Those leads (activeLeadIdsOf), with their names. */
export async function activeLeadsOf(networkId: Id): Promise<{ _id: Types.ObjectId; name: string }[]> {
  // `role` first: FerretDB narrows on the first field that leads an index (the leads of all networks, a few each).
  const rows = await NetworkMembershipModel.find({ role: 'lead', status: 'member', networkId: asId(networkId) })
    .select({ userId: 1 })
    .lean();
  if (!rows.length) return [];
  return UserModel.find({ _id: { $in: rows.map((r) => r.userId) }, status: { $in: liveUserStatuses } })
    .select({ name: 1 })
    .lean();
}

/** The ids of the networks she currently belongs to (leads included). */
export async function networksOf(userId: Id): Promise<Types.ObjectId[]> {
  const rows = await NetworkMembershipModel.find({ userId: asId(userId), status: 'member' })
    .select({ networkId: 1 })
    .lean();
  return rows.map((row) => row.networkId);
}

/** The networks both people currently belong to (empty when they share none). */
export async function sharedNetworkIds(userA: Id, userB: Id): Promise<Types.ObjectId[]> {
  const [a, b] = await Promise.all([networksOf(userA), networksOf(userB)]);
  const ofB = new Set(b.map(String));
  return a.filter((id) => ofB.has(String(id)));
}

/** The current members' user ids of one network (for the directory's "shares a network" test and events). */
export async function memberIdsOf(networkId: Id): Promise<Types.ObjectId[]> {
  const rows = await NetworkMembershipModel.find({ networkId: asId(networkId), status: 'member' })
    .select({ userId: 1 })
    .lean();
  return rows.map((row) => row.userId);
}

/**
 * One batch of the current members of these networks, in user id order after `after` and up to `upTo` (inclusive,
 * when given: a keyset on people): at most `limit` rows, read from the `(networkId, status, userId)` index, so the
 * cost is the batch's, not the networks'. A person in two of the networks has two rows, side by side; the caller goes
 * on after the last id it was given.
 */
export async function memberIdsAfter(props: {
  networkIds: Id[];
  after?: Types.ObjectId;
  upTo?: Types.ObjectId;
  limit: number;
}): Promise<Types.ObjectId[]> {
  if (!props.networkIds.length) return [];
  const filter: Record<string, unknown> = { networkId: { $in: props.networkIds.map(asId) }, status: 'member' };
  const userIds: Record<string, Types.ObjectId> = {};
  if (props.after) userIds.$gt = props.after;
  if (props.upTo) userIds.$lte = props.upTo;
  if (props.after || props.upTo) filter.userId = userIds;
  const rows = await NetworkMembershipModel.find(filter)
    .select({ _id: 0, userId: 1 })
    .sort({ userId: 1 })
    .limit(props.limit)
    .batchSize(props.limit) // the whole batch in one reply (the driver's first reply holds 101 by default)
    .lean();
  return rows.map((row) => row.userId);
}

/**
 * Which (network, person) pairs among these are current memberships counted in `memberCount` (her account not
 * disabled or erased), as `<networkId>:<userId>` keys: one read on the unique `(userId, networkId)` index, for answers
 * (an RSVP) that count only while she still belongs and can come.
 */
export async function currentMemberships(props: { userIds: Id[]; networkIds: Id[] }): Promise<Set<string>> {
  if (!props.userIds.length || !props.networkIds.length) return new Set();
  const rows = await NetworkMembershipModel.find({
    userId: { $in: props.userIds.map(asId) },
    networkId: { $in: props.networkIds.map(asId) },
    status: 'member',
    accountDisabled: { $ne: true },
  })
    .select({ _id: 0, userId: 1, networkId: 1 })
    .lean();
  return new Set(rows.map((row) => `${String(row.networkId)}:${String(row.userId)}`));
}
