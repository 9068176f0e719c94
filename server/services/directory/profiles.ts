import { Types } from 'mongoose';
import {
  DirectoryProfileModel,
  type DirectoryProfile,
  directoryVisibilities,
  type DirectoryVisibility,
  type OpenTo,
} from '../../../models/DirectoryProfile.ts';
import { NetworkModel } from '../../../models/Network.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { UserModel } from '../../../models/User.ts';
import { countryName } from '../../countries.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { decodeCursor, pageOf } from '../../pagination.ts';
import type { Phase, Topic } from '../../vocabulary.ts';
import { isMember, memberIdsAfter, networksOf } from '../networks/membership.ts';
import { blockedEitherWayOf, isBlockedBetween, markProfilesInBlocks } from './blocks.ts';
import { directoryFollowsMemberships } from './profileNetworks.ts';
import { canSeeProfile, mayUseDirectory } from './visibility.ts';
import { escapeRegex, foldedForSearch } from '../../textSearch.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

export function assertMayUseDirectory(actor: Express.User): void {
  if (!mayUseDirectory(actor)) throw new ForbiddenError();
}

export type DirectoryProfileInput = {
  visibility: DirectoryVisibility;
  headline: string;
  role: string;
  phase: Phase | null;
  country: string | null;
  region: string;
  topics: Topic[];
  openTo: OpenTo[];
};

/** What anyone allowed to see a profile reads: never an email. `visibility` is shown to herself only. */
export type PresentedProfile = {
  /** The profile's id: stored under her user id, so the same as `userId`. */
  id: string;
  userId: string;
  name: string;
  headline: string;
  role: string;
  phase: string | null;
  country: string | null;
  countryName: string | null;
  region: string;
  topics: string[];
  openTo: string[];
  visibility?: DirectoryVisibility;
  self: boolean;
};

/**
 * The fields presentProfile reads: a list reads only these (not the search text nor the timestamps), so neither
 * database decodes nor sends what no page shows.
 */
const presentedFields = {
  name: 1,
  headline: 1,
  role: 1,
  phase: 1,
  country: 1,
  region: 1,
  topics: 1,
  openTo: 1,
  visibility: 1,
} as const;

export function presentProfile(profile: DirectoryProfile, viewerId: string): PresentedProfile {
  const self = String(profile._id) === viewerId;
  return {
    id: String(profile._id),
    userId: String(profile._id),
    name: profile.name,
    headline: profile.headline ?? '',
    role: profile.role ?? '',
    phase: profile.phase ?? null,
    country: profile.country ?? null,
    countryName: profile.country ? countryName(profile.country) : null,
    region: profile.region ?? '',
    topics: [...(profile.topics ?? [])],
    openTo: [...(profile.openTo ?? [])],
    ...(self ? { visibility: profile.visibility as DirectoryVisibility } : {}),
    self,
  };
}

/**
 * How `searchText` is written: 2, folded by foldedForSearch ("İpek Yılmaz" is "ipek yilmaz"). A profile saved by an
 * earlier version (1, or none: lower-cased only, where "İ" became "i" and a combining dot no query matched) is written
 * again at start (refoldSearchTexts).
 */
const searchTextFolding = 2;

/** Her profile's search text (name, headline, role and region folded), and the folding it is written in. */
export const searchFieldsOf = (
  name: string,
  input: { headline?: string | null; role?: string | null; region?: string | null },
) => ({
  searchText: foldedForSearch([name, input.headline ?? '', input.role ?? '', input.region ?? ''].join(' \n ')),
  searchTextFolding,
});

/**
 * Her account's name (renamed by her or an admin, filled by an LMS, erased) on her directory profile, which keeps it so
 * the search needs no user reads. Copied with her account's `version` (`nameVersion`) and only ever over an older one,
 * as her enrolments' copies are (cohorts/participantNames.ts): of two renames at once the later stays, whichever
 * write lands last. Conditional too on the fields the search text is made of, so a profile save landing in between is
 * not overwritten with old text (it is read again and written once more).
 */
export async function nameInDirectoryAfresh(userId: string | Types.ObjectId): Promise<void> {
  if (!isObjectId(String(userId))) return;
  const account = await UserModel.findById(userId, { name: 1, version: 1 }).lean();
  if (!account) return;
  const version = account.version ?? 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    const profile = await DirectoryProfileModel.findById(account._id).lean();
    if (!profile || (profile.nameVersion ?? -1) >= version) return;
    const unchanged = { _id: profile._id, headline: profile.headline, role: profile.role, region: profile.region };
    // `$not: { $gte }` also matches a name not yet copied with a version (stored before, or by her own save).
    const written = await DirectoryProfileModel.updateOne(
      { ...unchanged, nameVersion: { $not: { $gte: version } } },
      { $set: { name: account.name, nameVersion: version, ...searchFieldsOf(account.name, profile) } },
    );
    if (written.matchedCount === 1) return;
  }
}

/** Whether her account may be listed in the directory: live (active or invited) and not a researcher's only. */
const mayBeListed = (account: { status: string; roles: readonly string[] }): boolean =>
  (account.status === 'active' || account.status === 'invited') && mayUseDirectory(account);

/**
 * A disabled account is not in the directory, nor a researcher's (the directory is closed to researchers, so nobody
 * should write to her through it: visibility.ts mayUseDirectory): while her account is disabled (or erased, until
 * erasure deletes the profile) or a researcher's only, her profile is `hidden`, her own choice kept in
 * `chosenVisibility`; when she is enabled again (active, or invited), or given back a role that uses the directory, her
 * choice is put back. Hiding it through `visibility` keeps every directory read as it is: the search's
 * indexed queries, the single reads and contact all already leave a hidden profile out, with nothing more to read
 * per page. Called after every write of her account status or roles (updateUserAsAdmin) and after her own profile
 * save.
 * Several processes: each write is conditional on the two fields as read, and after a write her status and profile
 * are read again, so whichever call reads the account last leaves the profile as that status asks, however the
 * writes of a disable and an enable at once interleave. Writing twice changes nothing: her choice is kept only once.
 */
export async function directoryFollowsAccount(userId: string): Promise<void> {
  if (!isObjectId(userId)) return;
  for (let attempt = 0; attempt < 6; attempt++) {
    const [account, profile] = await Promise.all([
      UserModel.findById(userId).select({ status: 1, roles: 1 }).lean(),
      DirectoryProfileModel.findById(userId).lean<DirectoryProfile>(),
    ]);
    if (!account || !profile) return;
    const listable = mayBeListed(account);
    const withheld = profile.chosenVisibility != null;
    if (listable !== withheld) return;
    const asRead = {
      _id: profile._id,
      visibility: profile.visibility,
      chosenVisibility: profile.chosenVisibility ?? null,
    };
    await (listable
      ? DirectoryProfileModel.updateOne(asRead, {
          $set: { visibility: profile.chosenVisibility },
          $unset: { chosenVisibility: 1 },
        })
      : DirectoryProfileModel.updateOne(asRead, {
          $set: { visibility: 'hidden', chosenVisibility: profile.visibility },
        }));
  }
}

/**
 * The repair behind directoryFollowsAccount, run by the maintenance job, both ways: profiles still listed whose account
 * is disabled or a researcher's only (an account changed before profiles followed it, or a process that stopped
 * between the account's write and its directory write), and profiles still withheld whose account may be listed again
 * (the same stop after an enable, which left her hidden until she saved her profile herself). Reads those accounts
 * and the few withheld profiles (indexed), then only the profiles to change. Erased accounts are not read: erasure
 * deletes the profile (personalData.ts), and their number only grows.
 */
export async function directoryFollowsAccounts(): Promise<{ withheld: number; restored: number }> {
  const [unlistable, withheldProfiles] = await Promise.all([
    // Researchers only: `roles` exactly ['researcher'] (an admin who is also a researcher keeps the directory).
    UserModel.find({ $or: [{ status: 'disabled' }, { roles: ['researcher'] }] }, { _id: 1 }).lean(),
    DirectoryProfileModel.find({ chosenVisibility: { $in: [...directoryVisibilities] } }, { _id: 1 }).lean(),
  ]);
  const listed = unlistable.length
    ? await DirectoryProfileModel.find(
        { _id: { $in: unlistable.map((u) => u._id) }, chosenVisibility: null },
        { _id: 1 },
      ).lean()
    : [];
  const listable = withheldProfiles.length
    ? (
        await UserModel.find(
          { _id: { $in: withheldProfiles.map((p) => p._id) } },
          { _id: 1, status: 1, roles: 1 },
        ).lean()
      ).filter(mayBeListed)
    : [];
  for (const { _id } of [...listed, ...listable]) await directoryFollowsAccount(String(_id));
  return { withheld: listed.length, restored: listable.length };
}

/** Profiles read and written again at once by refoldSearchTexts. */
const refoldBatch = 500;

/**
 * Writes again the search text of every profile an earlier version wrote in another folding (searchTextFolding), so
 * she is found as a profile saved now is. Run at every start (once every profile is written again, a start writes
 * none): idempotent, and safe with several processes starting at once or saving meanwhile, as each write is
 * conditional on the fields the text is made of and on the folding, as read (a save or a rename in between already
 * wrote the new form, or, from a process of the earlier version, is written again at the next start). Returns how
 * many it wrote.
 */
export async function refoldSearchTexts(): Promise<number> {
  let refolded = 0;
  let after: Types.ObjectId | undefined;
  for (;;) {
    const profiles = await DirectoryProfileModel.find(
      { searchTextFolding: { $ne: searchTextFolding }, ...(after ? { _id: { $gt: after } } : {}) },
      { name: 1, headline: 1, role: 1, region: 1, searchTextFolding: 1 },
    )
      .sort({ _id: 1 })
      .limit(refoldBatch)
      .lean();
    if (!profiles.length) return refolded;
    const written = await DirectoryProfileModel.bulkWrite(
      profiles.map((p) => ({
        updateOne: {
          filter: {
            _id: p._id,
            name: p.name,
            headline: p.headline ?? null,
            role: p.role ?? null,
            region: p.region ?? null,
            searchTextFolding: p.searchTextFolding ?? null,
          },
          update: { $set: searchFieldsOf(p.name, p) },
        },
      })),
      { ordered: false },
    );
    refolded += written.modifiedCount;
    after = profiles[profiles.length - 1]!._id;
  }
}

/** She writes her whole profile (one upsert by `_id`, so two saves at once leave one of them whole). */
export async function saveDirectoryProfile(props: {
  actor: Express.User;
  profile: DirectoryProfileInput;
}): Promise<PresentedProfile> {
  const { actor } = props;
  assertMayUseDirectory(actor);
  // Composed (NFC), as names are: "école" typed on a Mac (e + a combining accent) is then found by "ecole" and "école".
  const composed = (text: string) => text.normalize('NFC');
  const profile = {
    ...props.profile,
    headline: composed(props.profile.headline),
    role: composed(props.profile.role),
    region: composed(props.profile.region),
  };
  const saved = await DirectoryProfileModel.findOneAndUpdate(
    { _id: new Types.ObjectId(actor.id) },
    {
      $set: {
        ...profile,
        topics: [...new Set(profile.topics)],
        openTo: [...new Set(profile.openTo)],
        name: actor.name,
        ...searchFieldsOf(actor.name, profile),
      },
      // Her new choice replaces any kept while she was disabled; directoryFollowsAccount below hides it again if so.
      // Her name as this request read it, of no known version: her account's is copied over it just after.
      $unset: { chosenVisibility: 1, nameVersion: 1 },
    },
    { upsert: true, returnDocument: 'after', runValidators: true, lean: true },
  );
  // A new profile gets her networks (a join landing meanwhile writes them too: whichever runs last reads every row).
  if (saved?.networksVersion == null) await directoryFollowsMemberships(actor.id);
  // And whether any block names her (blocks.ts: a block landing meanwhile marks her again after its row).
  if (saved?.inBlocks == null) await markProfilesInBlocks(new Types.ObjectId(actor.id));
  // Her name as this request read it: an admin's rename landing meanwhile (another process) already wrote the new
  // one here and would be undone, so her account's name is copied again, with its version. Likewise a disable that
  // landed while this save was under way: her profile is hidden again, her new choice kept.
  await nameInDirectoryAfresh(actor.id);
  const account = await UserModel.findById(actor.id).select({ name: 1, status: 1, roles: 1 }).lean();
  const withheldMeanwhile = account && !mayBeListed(account);
  if (withheldMeanwhile) await directoryFollowsAccount(actor.id);
  if (account && (account.name !== actor.name || withheldMeanwhile)) {
    const renamed = await DirectoryProfileModel.findById(actor.id).lean();
    if (renamed) return presentProfile(renamed as DirectoryProfile, actor.id);
  }
  return presentProfile(saved as DirectoryProfile, actor.id);
}

export async function ownDirectoryProfile(actor: Express.User): Promise<PresentedProfile | null> {
  const profile = await DirectoryProfileModel.findById(actor.id).lean();
  return profile ? presentProfile(profile as DirectoryProfile, actor.id) : null;
}

/** Whether the two people are current members of one network at least. */
export async function shareANetwork(a: string, b: string): Promise<boolean> {
  const mine = await networksOf(a);
  if (!mine.length) return false;
  const shared = await NetworkMembershipModel.exists({
    userId: new Types.ObjectId(b),
    networkId: { $in: mine },
    status: 'member',
  });
  return shared !== null;
}

/** One profile, if the reader may see it (404 otherwise: whether a hidden profile exists is not given away). */
export async function directoryProfileFor(props: { actor: Express.User; userId: string }): Promise<PresentedProfile> {
  const { actor, userId } = props;
  assertMayUseDirectory(actor);
  if (!isObjectId(userId)) throw new NotFoundError();
  const profile = await DirectoryProfileModel.findById(userId).lean();
  if (!profile) throw new NotFoundError();
  const self = userId === actor.id;
  const visible = canSeeProfile({
    viewerId: actor.id,
    ownerId: userId,
    visibility: profile.visibility as DirectoryVisibility,
    blocked: !self && (await isBlockedBetween(actor.id, userId)),
    sharesNetwork: !self && profile.visibility === 'networks' && (await shareANetwork(actor.id, userId)),
  });
  if (!visible) throw new NotFoundError();
  return presentProfile(profile as DirectoryProfile, actor.id);
}

export type DirectorySearch = {
  actor: Express.User;
  topic?: Topic;
  country?: string;
  /** Only members of this network; she must belong to it herself (admins: any). */
  network?: string;
  /** A piece of a name, headline, role or region. */
  q?: string;
  limit: number;
  cursor?: string;
  /** Her networks (networksOf), when the caller has read them for its own use: not read twice. */
  myNetworkIds?: Types.ObjectId[];
  /** Her own profile (null: she has none), when the caller has read it for its own use: not read twice. */
  ownProfile?: DirectoryProfile | null;
};

/**
 * Membership rows read by the first batch while walking her networks' members in user id order; each further batch
 * of the same walk reads four times as many (a filtered page may have to walk far, and on the embedded database each
 * read costs about as much whatever its size), so a walk takes few reads.
 */
const firstMemberBatch = 100;

const idOrder = (a: { _id: Types.ObjectId }, b: { _id: Types.ObjectId }) =>
  String(a._id) < String(b._id) ? -1 : String(a._id) > String(b._id) ? 1 : 0;

/** Which co-members' profiles a page needs: ids after `after` and up to `upTo` (when given), at most `want`. */
type CoMemberSearch = {
  networkIds: Types.ObjectId[];
  after: Types.ObjectId | undefined;
  upTo: Types.ObjectId | undefined;
  want: number;
  /** Who is never listed (blocked either way, herself). */
  skip: Set<string>;
  filter: Record<string, unknown>;
};

/**
 * Profiles of members of these networks, in id order, found by walking the memberships in user id order (bounded
 * batches on the `(networkId, status, userId)` index) and reading each batch's profiles by `_id`: ids after `after`
 * and up to `upTo` (inclusive, when given), at most `want` of them. Stops as soon as it has `want` profiles or the
 * walk passes `upTo`, so a page reads about as many memberships as the page spans, however large the networks are.
 */
async function profilesOfMembers(props: CoMemberSearch): Promise<DirectoryProfile[]> {
  const { networkIds, upTo, want, skip, filter } = props;
  const found: DirectoryProfile[] = [];
  let after = props.after;
  let batch = firstMemberBatch;
  for (;;) {
    const ids = await memberIdsAfter({ networkIds, after, upTo, limit: batch });
    if (!ids.length) break;
    const last = ids[ids.length - 1]!;
    const wanted = new Map<string, Types.ObjectId>();
    for (const id of ids) if (!skip.has(String(id))) wanted.set(String(id), id);
    if (wanted.size)
      found.push(
        ...(await DirectoryProfileModel.find({ _id: { $in: [...wanted.values()] }, ...filter })
          .select(presentedFields)
          .lean<DirectoryProfile[]>()),
      );
    // Batches come in id order, so once `want` are found no later batch can hold an earlier one.
    if (ids.length < batch || found.length >= want || (upTo && String(last) >= String(upTo))) break;
    after = last;
    batch *= 4;
  }
  return found.sort(idOrder).slice(0, want);
}

/**
 * The directory: profiles she may see (visibility.ts), filtered, in id order with a keyset cursor. Each page reads a
 * bounded number of documents, whatever the size of the directory and of her networks:
 * - `everyone` profiles and the `networks` profiles of people who share one of her networks (their profile's copy of
 *   their networks, profileNetworks.ts): the first `limit + 1` after the cursor, in one indexed read;
 * - her own profile, whatever its visibility.
 * With a network filter, that network's members are walked instead (profilesOfMembers) and their everyone (and, when
 * she belongs to it, networks) profiles kept. People blocked either way are left out; never an email (profiles hold
 * none).
 */
export async function searchDirectory(
  props: DirectorySearch,
): Promise<{ items: PresentedProfile[]; nextCursor: string | null }> {
  const { actor, limit } = props;
  assertMayUseDirectory(actor);
  const me = new Types.ObjectId(actor.id);
  const after = decodeCursor(props.cursor);
  const [blockedIds, mine] = await Promise.all([
    blockedEitherWayOf(actor.id, props.ownProfile),
    props.network !== undefined ? [] : (props.myNetworkIds ?? networksOf(actor.id)),
  ]);
  const blocked = [...blockedIds].map((id) => new Types.ObjectId(id));
  const skip = new Set([...blocked, me].map(String));

  const attributes: Record<string, unknown> = {};
  if (props.topic) attributes.topics = props.topic;
  if (props.country) attributes.country = props.country;
  // Folded as the stored text is, so a fragment is found whatever accents or spellings either side wrote; `i` still,
  // for the letters whose lower case depends on their place (Greek final sigma).
  if (props.q) attributes.searchText = { $regex: escapeRegex(foldedForSearch(props.q)), $options: 'i' };
  const countryFirst = props.country ? { country: props.country } : {};
  const ownInRange = !after || String(me) > String(after);
  // Her own profile, read by the caller, is matched here against a topic and a country (plain equalities); a text
  // search is left to the database's regex, whose case folding a JavaScript one need not share.
  const ownAlreadyRead = props.ownProfile !== undefined && !props.q;
  const ownMatches = (profile: DirectoryProfile) =>
    (!props.topic || (profile.topics ?? []).includes(props.topic)) &&
    (!props.country || profile.country === props.country);
  const own = async (): Promise<DirectoryProfile[]> => {
    if (!ownInRange) return [];
    if (ownAlreadyRead) return props.ownProfile && ownMatches(props.ownProfile) ? [props.ownProfile] : [];
    return DirectoryProfileModel.find({ _id: me, ...attributes }).lean<DirectoryProfile[]>();
  };

  let rows: DirectoryProfile[];
  if (props.network !== undefined) {
    if (!isObjectId(props.network)) throw new NotFoundError();
    const networkId = new Types.ObjectId(props.network);
    const memberHerself = await isMember(networkId, actor.id);
    if (!actor.roles.includes('admin') && !memberHerself)
      throw new ForbiddenError('You can search the members of networks you belong to.');
    const visibility = memberHerself ? { $in: ['everyone', 'networks'] } : 'everyone';
    const [members, self] = await Promise.all([
      profilesOfMembers({
        networkIds: [networkId],
        after,
        upTo: undefined,
        want: limit + 1,
        skip,
        filter: { visibility, ...attributes },
      }),
      memberHerself ? own() : [],
    ]);
    rows = [...members, ...self];
  } else {
    const idRange: Record<string, unknown> = { $nin: [...blocked, me] };
    if (after) idRange.$gt = after;
    // One read: the everyone-visible profiles and the networks-visible ones of people who share a network with her
    // (their profiles' copy of their networks, profileNetworks.ts), in id order from the cursor. On MongoDB the
    // `(visibility, _id)` index (or, with a country, `(country, visibility, _id)`) gives both visibilities' ranges in
    // id order; our FerretDB reads the same order index and stops at the limit (README, The database, `0010`).
    const sharingOneOfMine: Record<string, unknown> = mine.length
      ? {
          visibility: { $in: ['everyone', 'networks'] },
          $or: [{ visibility: 'everyone' }, { 'networks._id': { $in: mine } }],
        }
      : { visibility: 'everyone' };
    const [seen, self] = await Promise.all([
      readWithoutCursor(
        DirectoryProfileModel.find({ ...countryFirst, ...sharingOneOfMine, ...attributes, _id: idRange })
          .select(presentedFields)
          .sort({ _id: 1 })
          .limit(limit + 1)
          .lean<DirectoryProfile[]>(),
      ),
      own(),
    ]);
    rows = [...seen, ...self];
  }
  const page = pageOf(rows.sort(idOrder).slice(0, limit + 1), limit);
  return { items: page.rows.map((p) => presentProfile(p, actor.id)), nextCursor: page.nextCursor };
}

/**
 * What the directory's page shows: a page of the search, the networks she may filter by (hers, by name) and her own
 * profile. Her profile is read once, for the search and for the page, and her networks with it.
 */
export async function directoryFrontPage(props: { actor: Express.User; search?: Omit<DirectorySearch, 'actor'> }) {
  const { actor, search } = props;
  assertMayUseDirectory(actor);
  // Her networks, with their names, from her own profile's copy of them when she has one (profileNetworks.ts: never
  // more than her rows say, so she is shown nobody her rows would not show her), else from her rows.
  const ownProfile = await readWithoutCursor(DirectoryProfileModel.findById(actor.id).lean<DirectoryProfile>());
  const copied = ownProfile?.networksVersion != null && ownProfile.networks ? ownProfile.networks : null;
  const mine = copied ? copied.map((n) => n._id) : await networksOf(actor.id);
  const [result, networks] = await Promise.all([
    search ? searchDirectory({ actor, ...search, myNetworkIds: mine, ownProfile }) : { items: [], nextCursor: null },
    copied ??
      NetworkModel.find({ _id: { $in: mine } })
        .select({ name: 1 })
        .lean(),
  ]);
  return {
    ...result,
    networks: networks.map((n) => ({ id: String(n._id), name: n.name })),
    own: ownProfile ? presentProfile(ownProfile, actor.id) : null,
  };
}

/** The display name of a user for the directory's pages (her profile's name, else her account's). */
export async function nameOf(userId: string): Promise<string | null> {
  const user = await UserModel.findById(userId).select({ name: 1 }).lean();
  return user?.name ?? null;
}
