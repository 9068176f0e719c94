import { Types } from 'mongoose';
import {
  DirectoryProfileModel,
  type DirectoryProfile,
  type DirectoryVisibility,
  type OpenTo,
} from '../../../models/DirectoryProfile.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { UserModel } from '../../../models/User.ts';
import { countryName } from '../../countries.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { decodeCursor, pageOf } from '../../pagination.ts';
import type { Phase, Topic } from '../../vocabulary.ts';
import { isMember, memberIdsOf, networksOf } from '../networks/membership.ts';
import { blockedEitherWay, isBlockedBetween } from './blocks.ts';
import { canSeeProfile, mayUseDirectory } from './visibility.ts';

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

export function presentProfile(profile: DirectoryProfile, viewerId: string): PresentedProfile {
  const self = String(profile._id) === viewerId;
  return {
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

const searchTextOf = (name: string, input: DirectoryProfileInput) =>
  [name, input.headline, input.role, input.region].join(' \n ').toLowerCase();

/** She writes her whole profile (one upsert by `_id`, so two saves at once leave one of them whole). */
export async function saveDirectoryProfile(props: {
  actor: Express.User;
  profile: DirectoryProfileInput;
}): Promise<PresentedProfile> {
  const { actor, profile } = props;
  assertMayUseDirectory(actor);
  const saved = await DirectoryProfileModel.findOneAndUpdate(
    { _id: new Types.ObjectId(actor.id) },
    {
      $set: {
        ...profile,
        topics: [...new Set(profile.topics)],
        openTo: [...new Set(profile.openTo)],
        name: actor.name,
        searchText: searchTextOf(actor.name, profile),
      },
    },
    { upsert: true, returnDocument: 'after', runValidators: true, lean: true },
  );
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
};

const escapeRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The directory: profiles she may see (visibility.ts), filtered, in id order with a keyset cursor. Visibility is
 * applied in the queries rather than after them, so a page is full and the cursor exact:
 * - `everyone` profiles: one query on the visibility index;
 * - `networks` profiles: one `_id $in` over her co-members (members of her networks, read from the memberships now);
 * - her own profile, whatever its visibility.
 * People blocked either way are left out of all three; never an email (profiles hold none).
 */
export async function searchDirectory(
  props: DirectorySearch,
): Promise<{ items: PresentedProfile[]; nextCursor: string | null }> {
  const { actor, limit } = props;
  assertMayUseDirectory(actor);
  const me = new Types.ObjectId(actor.id);
  const after = decodeCursor(props.cursor);
  const blocked = [...(await blockedEitherWay(actor.id))].map((id) => new Types.ObjectId(id));

  let inNetwork: Types.ObjectId[] | undefined;
  let coMembers: Types.ObjectId[];
  if (props.network !== undefined) {
    if (!isObjectId(props.network)) throw new NotFoundError();
    const memberHerself = await isMember(props.network, actor.id);
    if (!actor.roles.includes('admin') && !memberHerself)
      throw new ForbiddenError('You can search the members of networks you belong to.');
    inNetwork = await memberIdsOf(props.network);
    coMembers = memberHerself ? inNetwork : [];
  } else {
    const mine = await networksOf(actor.id);
    const rows = mine.length
      ? await NetworkMembershipModel.find({ networkId: { $in: mine }, status: 'member' })
          .select({ userId: 1 })
          .lean()
      : [];
    coMembers = rows.map((r) => r.userId);
  }

  const attributes: Record<string, unknown> = {};
  if (props.topic) attributes.topics = props.topic;
  if (props.country) attributes.country = props.country;
  if (props.q) attributes.searchText = { $regex: escapeRegex(props.q.toLowerCase()) };
  const idRange: Record<string, unknown> = { $nin: [...blocked, me] };
  if (after) idRange.$gt = after;
  const inRange = (ids: Types.ObjectId[]) => {
    const drop = new Set([...blocked, me].map(String));
    return ids.filter((id) => !drop.has(String(id)) && (!after || String(id) > String(after)));
  };

  const everyoneFilter: Record<string, unknown> = { visibility: 'everyone', ...attributes, _id: idRange };
  if (inNetwork) everyoneFilter._id = { $in: inRange(inNetwork) };
  const networkIds = [...new Map(inRange(coMembers).map((id) => [String(id), id])).values()];
  const ownVisible = (!after || String(me) > String(after)) && (!inNetwork || inNetwork.some((id) => id.equals(me)));

  const [everyone, networks, own] = await Promise.all([
    DirectoryProfileModel.find(everyoneFilter)
      .sort({ _id: 1 })
      .limit(limit + 1)
      .lean(),
    networkIds.length
      ? DirectoryProfileModel.find({ _id: { $in: networkIds }, visibility: 'networks', ...attributes })
          .sort({ _id: 1 })
          .limit(limit + 1)
          .lean()
      : [],
    ownVisible ? DirectoryProfileModel.find({ _id: me, ...attributes }).lean() : [],
  ]);
  const merged = [...everyone, ...networks, ...own].sort((a, b) => (String(a._id) < String(b._id) ? -1 : 1));
  const page = pageOf(merged.slice(0, limit + 1) as DirectoryProfile[], limit);
  return { items: page.rows.map((p) => presentProfile(p, actor.id)), nextCursor: page.nextCursor };
}

/** The display name of a user for the directory's pages (her profile's name, else her account's). */
export async function nameOf(userId: string): Promise<string | null> {
  const user = await UserModel.findById(userId).select({ name: 1 }).lean();
  return user?.name ?? null;
}
