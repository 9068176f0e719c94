import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import { NetworkModel, type Network, type NetworkJoining, type NetworkKind } from '../../../models/Network.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { liveUserStatuses, UserModel, type UserStatus } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { clientKeyOrNew, createOnce } from '../../submissions.ts';
import { isObjectId } from '../../ids.ts';
import { decodeCursor, pageOf } from '../../pagination.ts';
import { directoryFollowsNetworkName } from '../directory/profileNetworks.ts';
import { canManageNetworks } from '../../policies/networks.ts';
import { countryName, isCountryCode } from '../../countries.ts';
import { looseTextPattern } from '../../textSearch.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { claimLeadsChange, leadsChanged, writeAdmission } from './members.ts';
import { activeLeadIdsOf } from './membership.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

/** Admins create and edit networks and name their leads; everyone signed in browses them. */
const messages = {
  notFound: 'We could not find that network.',
  nameTaken: 'A network with this name already exists.',
  nameTakenField: 'another network already has this name',
  unknownUsers: 'names someone who has no account',
  inactiveLead: 'Her account is disabled: she cannot be made a lead.',
  inactiveUsers: 'names someone whose account is disabled or erased: she could not answer requests or lead',
  unknownCountry: 'must be a country code from the list',
  notAMember: 'Only a member of the network can be made a lead: she must join (or be approved) first.',
  leadsLeft:
    'The leads you named have just left the network (or their accounts were disabled), so its other leads stay. Name leads who are members.',
  notALead: 'She does not lead this network.',
  lastLead: 'A network keeps at least one lead whose account is active: make another member a lead first.',
  leadsMeanwhile:
    'The network’s leads changed after you read them, so the leads you named were not saved. Read them again, then name the leads.',
  savedMeanwhile: savedMeanwhileMessage('network'),
};

export type NetworkInput = {
  name: string;
  kind: NetworkKind;
  description: string;
  country?: string;
  region?: string;
  joining: NetworkJoining;
};

/**
 * A network name as its uniqueness is judged: composed (NFC, so "Québec" is one name however its é was typed), any
 * case and spacing, and without invisible format characters (a zero-width space or joiner made "WomenEd Canada" a
 * second network that looked the same; trim() and \s leave them).
 */
export const nameKeyOf = (name: string): string =>
  name
    .normalize('NFC')
    .replace(/\p{Cf}/gu, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ');

export async function findNetwork(networkId: string): Promise<Network> {
  if (!isObjectId(networkId)) throw new NotFoundError(messages.notFound);
  const network = await readWithoutCursor(NetworkModel.findById(networkId).lean<Network>());
  if (!network) throw new NotFoundError(messages.notFound);
  return network;
}

/** Two networks may not share a name: a duplicate is a conflict (409), named at the field she typed it in. */
const nameTaken = () => new ConflictError(messages.nameTaken, [{ path: 'name', message: messages.nameTakenField }]);

/**
 * Did a write fail because another network has this name? The unique index on `nameKey` refused it (FerretDB reports
 * an update refused by a unique index as a generic error, so the name is looked up).
 */
async function nameHeldByAnother(error: unknown, nameKey: string, networkId?: Types.ObjectId): Promise<boolean> {
  if (isDuplicateKeyError(error)) return true;
  return Boolean(await NetworkModel.exists({ nameKey, ...(networkId ? { _id: { $ne: networkId } } : {}) }));
}

/**
 * Names whose key an earlier version could have written otherwise than nameKeyOf does now: those holding a character
 * beyond printable ASCII (the keys written before format characters were left out kept them). A name of printable
 * ASCII had the key it has now, so only these are read.
 */
const mayHaveEarlierKey = { $regex: '[^ -~]' };

export type NetworkNameKeyRepair = {
  /** Networks whose key was written again as nameKeyOf gives it. */
  rekeyed: number;
  /**
   * Networks left with their earlier key because another network already holds the one it has now: two names that
   * look the same, for an admin to rename one (saving it is a 409 until then). Ids only.
   */
  clashes: { id: string; keyHeldBy: string | undefined }[];
};

/**
 * Writes again each network's name key that an earlier version computed otherwise (a name with a zero-width space
 * kept it in its key, so a network of the same visible name could still be made beside it). Run at every start:
 * idempotent (a key as nameKeyOf gives it is left alone), and safe with several processes starting at once or an
 * admin saving meanwhile, as each write is conditional on the name and key it read, and leaves `version` as it is (an
 * edit form open meanwhile saves as before). A key another network already holds is not taken: both are reported.
 */
export async function rekeyNetworkNames(): Promise<NetworkNameKeyRepair> {
  const result: NetworkNameKeyRepair = { rekeyed: 0, clashes: [] };
  for (const network of await NetworkModel.find({ name: mayHaveEarlierKey }, { name: 1, nameKey: 1 }).lean()) {
    const nameKey = nameKeyOf(network.name);
    if (nameKey === network.nameKey) continue;
    try {
      const { modifiedCount } = await NetworkModel.updateOne(
        { _id: network._id, name: network.name, nameKey: network.nameKey },
        { $set: { nameKey } },
      );
      result.rekeyed += modifiedCount;
    } catch (error) {
      if (!(await nameHeldByAnother(error, nameKey, network._id))) throw error;
      const holder = await NetworkModel.findOne({ nameKey, _id: { $ne: network._id } }, { _id: 1 }).lean();
      result.clashes.push({ id: String(network._id), keyHeldBy: holder ? String(holder._id) : undefined });
    }
  }
  return result;
}

function checkCountry(country: string | undefined): void {
  if (country && !isCountryCode(country))
    throw new ValidationError('Some details need correcting.', [{ path: 'country', message: messages.unknownCountry }]);
}

/**
 * Creates a network (admins). Two networks may not share a name, whatever the case and spacing (unique index): 409.
 * The same client key (a double-click, an API retry) is answered with the network it made, not with that 409.
 */
export async function createNetwork(
  props: { actor: Express.User; submissionKey?: string } & NetworkInput,
): Promise<Network> {
  const { actor, submissionKey, ...input } = props;
  if (!canManageNetworks(actor)) throw new ForbiddenError();
  checkCountry(input.country);
  const inserted = await createOnce(NetworkModel, clientKeyOrNew(['network', actor.id], submissionKey), {
    ...input,
    name: input.name.normalize('NFC'),
    nameKey: nameKeyOf(input.name),
    createdBy: new Types.ObjectId(actor.id),
  });
  // No document under this key: the duplicate was the name, held by another network.
  if (!inserted.doc) throw nameTaken();
  return inserted.doc as Network;
}

/**
 * Changes a network's details (admins); its members, leads and posts stay. With `expectedVersion` (the version her form
 * was opened at), it is written only if nobody saved the network since: otherwise a 409 (server/versions.ts).
 */
export async function updateNetwork(
  props: { actor: Express.User; networkId: string; expectedVersion?: ExpectedVersion } & NetworkInput & {
      linkedCohortIds?: string[];
    },
): Promise<Network> {
  const { actor, networkId, linkedCohortIds, expectedVersion, ...input } = props;
  if (!canManageNetworks(actor)) throw new ForbiddenError();
  const network = await findNetwork(networkId);
  if (movedOn(network.version, expectedVersion)) throw new ConflictError(messages.savedMeanwhile);
  checkCountry(input.country);
  const unset: Record<string, 1> = {};
  if (!input.country) unset.country = 1;
  if (!input.region) unset.region = 1;
  let written;
  try {
    written = await NetworkModel.updateOne(
      { _id: network._id, ...versionFilter(expectedVersion) },
      {
        $inc: { version: 1 },
        $set: {
          ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== '')),
          name: input.name.normalize('NFC'),
          nameKey: nameKeyOf(input.name),
          ...(linkedCohortIds ? { linkedCohortIds: linkedCohortIds.map((id) => new Types.ObjectId(id)) } : {}),
        },
        ...(Object.keys(unset).length ? { $unset: unset } : {}),
      },
    );
  } catch (error) {
    if (await nameHeldByAnother(error, nameKeyOf(input.name), new Types.ObjectId(networkId))) throw nameTaken();
    throw error;
  }
  // Saved by someone else between the read above and this write (another process).
  if (written.matchedCount !== 1) throw new ConflictError(messages.savedMeanwhile);
  // Her directory page lists her networks by the names copied on her profile.
  if (input.name.normalize('NFC') !== network.name) await directoryFollowsNetworkName(network._id);
  return findNetwork(networkId);
}

export type NetworkFilter = { kind?: NetworkKind; country?: string; q?: string };

function filterQuery(props: NetworkFilter): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (props.kind) filter.kind = props.kind;
  if (props.country) filter.country = props.country.toUpperCase();
  return filter;
}

/**
 * Whether every word of `q` is in the network's name, region, description or country name, whatever accents either
 * side wrote ("quebec" finds "Québec", "montréal" finds "Montreal"), as the directory and the people searches match.
 * The text is composed first: a description pasted from a Mac may hold "e" and a combining accent.
 */
function matchesWords(props: NetworkFilter): (n: Network) => boolean {
  const words = (props.q ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => new RegExp(looseTextPattern(w), 'i'));
  return (n) => {
    const haystack = `${n.name} ${n.region ?? ''} ${n.description} ${n.country ? countryName(n.country) : ''}`;
    const composed = haystack.normalize('NFC');
    return words.every((w) => w.test(composed));
  };
}

/**
 * Networks by kind and country, optionally matching words of `q` in the name, region or description. There are
 * dozens of networks, not thousands: the filter on kind or country is answered from an index and the text match and
 * the order by name are done here.
 */
export async function listNetworks(props: NetworkFilter): Promise<Network[]> {
  const networks = await NetworkModel.find(filterQuery(props)).lean<Network[]>();
  return networks.filter(matchesWords(props)).sort((a, b) => a.nameKey.localeCompare(b.nameKey));
}

/**
 * One page of the same list for the API (API.md's list convention), in id order with the shared keyset cursor
 * (server/pagination.ts): a name can change between two pages, an id cannot, so a walk never skips or repeats one.
 * The words are matched here, so networks are read in id order only until `limit + 1` of them match.
 */
export async function pageNetworks(
  props: NetworkFilter & { limit: number; cursor?: string },
): Promise<{ items: Network[]; nextCursor: string | null }> {
  const after = decodeCursor(props.cursor);
  const query = filterQuery(props);
  if (after) query._id = { $gt: after };
  const matches = matchesWords(props);
  const found: Network[] = [];
  const cursor = NetworkModel.find(query)
    .sort({ _id: 1 })
    .limit(props.q?.trim() ? 0 : props.limit + 1)
    .lean<Network[]>()
    .cursor();
  try {
    for await (const network of cursor) {
      if (matches(network as Network)) found.push(network as Network);
      if (found.length > props.limit) break;
    }
  } finally {
    await cursor.close();
  }
  const page = pageOf(found, props.limit);
  return { items: page.rows, nextCursor: page.nextCursor };
}

/**
 * Names the network's leads (admins): each named person becomes a member with the lead role (counted if she was not
 * a member); current leads not named stay members with the member role. With `expectedVersion` (the `leadsVersion` she
 * read), the change is claimed by one conditional write on the network before any row is touched: if the leads moved
 * on since (another admin, a lead made or stepped down, a lead leaving), nothing is written and it is a 409.
 */
export async function setLeads(props: {
  actor: Express.User;
  networkId: string;
  userIds: string[];
  expectedVersion?: ExpectedVersion;
}): Promise<void> {
  if (!canManageNetworks(props.actor)) throw new ForbiddenError();
  const network = await findNetwork(props.networkId);
  const wanted = [...new Set(props.userIds)].map((id) => new Types.ObjectId(id));
  const found = await UserModel.find({ _id: { $in: wanted } })
    .select({ _id: 1, status: 1 })
    .lean();
  if (found.length !== wanted.length)
    throw new ValidationError('Some details need correcting.', [{ path: 'userIds', message: messages.unknownUsers }]);
  if (found.some((u) => !liveUserStatuses.includes(u.status as UserStatus)))
    throw new ValidationError('Some details need correcting.', [{ path: 'userIds', message: messages.inactiveUsers }]);
  if (!(await claimLeadsChange(network._id, props.expectedVersion))) throw new ConflictError(messages.leadsMeanwhile);
  // The page's list of leads is written once, after every row (leadsChanged below).
  for (const userId of wanted) await writeAdmission({ networkId: network._id, userId, role: 'lead' });
  // The other leads step down one by one, each by a conditional write. A lead she named may be leaving (or be disabled)
  // at this moment (another process), having counted these others as the leads who stay: so the leads whose account is
  // live are counted after the writes (activeLeadIdsOf), and if none is left the ones stepped down here are leads
  // again (409). As in endMembership, the last of such writes
  // counts them all, so the network never stays without a lead.
  const others = await NetworkMembershipModel.find(
    { role: 'lead', networkId: network._id, userId: { $nin: wanted } },
    { _id: 1 },
  ).lean();
  const steppedDown: Types.ObjectId[] = [];
  for (const row of others) {
    const written = await NetworkMembershipModel.updateOne(
      { _id: row._id, role: 'lead' },
      { $set: { role: 'member' } },
    );
    if (written.modifiedCount === 1) steppedDown.push(row._id);
  }
  if (steppedDown.length && (await activeLeadIdsOf(network._id)).length === 0) {
    await NetworkMembershipModel.updateMany(
      { _id: { $in: steppedDown }, role: 'member', status: 'member' },
      { $set: { role: 'lead' } },
    );
    await leadsChanged(network._id);
    throw new ConflictError(messages.leadsLeft);
  }
  await leadsChanged(network._id);
}

/**
 * An admin makes one current member a lead, from the network page; the other leads stay (PUT .../leads names the whole
 * set). One conditional write on her row: if she left meanwhile nothing is written and it is a 404 like anyone who
 * is not a member. Her count does not move (she was counted as a member).
 */
export async function makeLead(props: { actor: Express.User; networkId: string; userId: string }): Promise<void> {
  if (!canManageNetworks(props.actor)) throw new ForbiddenError();
  const network = await findNetwork(props.networkId);
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.notAMember);
  // A lead answers requests: an account an admin disabled (or erased) could not.
  if (await UserModel.exists({ _id: props.userId, status: { $nin: liveUserStatuses } }))
    throw new ConflictError(messages.inactiveLead);
  const written = await NetworkMembershipModel.updateOne(
    { userId: new Types.ObjectId(props.userId), networkId: network._id, status: 'member' },
    { $set: { role: 'lead' } },
  );
  if (written.matchedCount === 0) throw new NotFoundError(messages.notAMember);
  if (written.modifiedCount === 1) await leadsChanged(network._id);
}

/**
 * An admin removes one lead from the network page: she stays a member (PUT .../leads does the same to every lead not
 * named). One conditional write on her row (404 if she is not a current lead); as in setLeads, the leads are counted
 * after it and, if none is left (the others stepped down or left at the same moment), she is a lead again (409).
 * Only leads whose account is live count (activeLeadIdsOf): a lead whose account an admin disabled answers no request,
 * so stepping down the last one who can would leave the network's requests unanswered.
 */
export async function stepDownLead(props: { actor: Express.User; networkId: string; userId: string }): Promise<void> {
  if (!canManageNetworks(props.actor)) throw new ForbiddenError();
  const network = await findNetwork(props.networkId);
  if (!isObjectId(props.userId)) throw new NotFoundError(messages.notALead);
  const row = await NetworkMembershipModel.findOneAndUpdate(
    { userId: new Types.ObjectId(props.userId), networkId: network._id, status: 'member', role: 'lead' },
    { $set: { role: 'member' } },
  ).lean();
  if (!row) throw new NotFoundError(messages.notALead);
  await leadsChanged(network._id);
  const leadsLeft = (await activeLeadIdsOf(network._id)).length;
  if (leadsLeft === 0) {
    await NetworkMembershipModel.updateOne(
      { _id: row._id, status: 'member', role: 'member' },
      { $set: { role: 'lead' } },
    );
    await leadsChanged(network._id);
    throw new ConflictError(messages.lastLead);
  }
}

export function presentNetwork(n: Network) {
  return {
    id: String(n._id),
    name: n.name,
    kind: n.kind as NetworkKind,
    description: n.description ?? '',
    country: n.country ?? null,
    region: n.region ?? null,
    joining: n.joining as NetworkJoining,
    memberCount: n.memberCount ?? 0,
    /** Sent back with `PUT .../leads`, the leads are named only if they did not change since (null: none stored). */
    leadsVersion: n.leadsVersion ?? null,
  };
}
export type PresentedNetwork = ReturnType<typeof presentNetwork>;

/** Cohorts an admin may link to a network (the most recent 200, newest first). */
export async function cohortChoices(): Promise<{ id: string; name: string }[]> {
  const cohorts = await CohortModel.find({}).select({ name: 1, startsOn: 1 }).sort({ startsOn: -1 }).limit(200).lean();
  return cohorts.map((c) => ({ id: String(c._id), name: c.name }));
}
