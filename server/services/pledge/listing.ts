import { Types } from 'mongoose';
import { PledgeCommitmentOptionModel } from '../../../models/PledgeCommitmentOption.ts';
import { PledgeProgressUpdateModel } from '../../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel, type OrganisationType } from '../../../models/PledgeSignature.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { roundReadinessFor } from './boards.ts';
import { countryName } from '../../countries.ts';
import { cachedListQuery } from './listCache.ts';
import { looseTextPattern } from '../../textSearch.ts';
import { comparableText } from '../../visibleText.ts';

/** What the public sees of a signature: never an email, a contact person, or an anonymous individual's name. */
export type PublicSignature = {
  id: string;
  kind: 'organisation' | 'individual';
  name: string;
  organisationType?: OrganisationType;
  region: string;
  country: string;
  confirmedAt: string;
};
export type SignatureFilter = { type?: OrganisationType | 'individual'; region?: string; country?: string; q?: string };
export type SignatureCounts = {
  total: number;
  byType: Record<string, number>;
  byRegion: Record<string, number>;
  byCountry: Record<string, number>;
};

/** Confirmed and not hidden: the signatures that count. */
export const counted = { status: 'confirmed', hidden: false } as const;

export function presentPublicSignature(s: {
  _id: unknown;
  kind: string;
  name: string;
  organisationType?: string | null;
  region: string;
  country: string;
  confirmedAt?: Date | null;
}): PublicSignature {
  return {
    id: String(s._id),
    kind: s.kind as PublicSignature['kind'],
    name: s.name,
    ...(s.kind === 'organisation' && s.organisationType
      ? { organisationType: s.organisationType as OrganisationType }
      : {}),
    region: s.region,
    country: s.country,
    confirmedAt: (s.confirmedAt ?? new Date(0)).toISOString(),
  };
}

/**
 * One region, however its signers typed it: regions are stored as typed, and "London", "london" and "Lon don" are
 * the same region to a reader (comparableText). Compared when read, so signatures stored before need no rewrite.
 */
type Region = { shown: string; spellings: string[] };

/**
 * The regions of the signatures that count, by key; each shown in its most common spelling (of equals, the first in
 * code-point order, which puts capitals first: "North West" before "north west"), its spaces as a reader sees them, so
 * counts, the filter's options and the API name it one way. Cached with the list.
 */
async function regionsByKey(): Promise<Map<string, Region>> {
  return cachedListQuery('regions', async () => {
    // Counted per spelling; ties are settled here (code-point order).
    const rows = await PledgeSignatureModel.aggregate<{ _id: string; n: number }>([
      { $match: counted },
      { $group: { _id: '$region', n: { $sum: 1 } } },
    ]);
    rows.sort((a, b) => b.n - a.n || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
    const regions = new Map<string, Region>();
    for (const { _id: spelling } of rows) {
      const key = comparableText(spelling);
      const region = regions.get(key);
      if (region) region.spellings.push(spelling);
      else regions.set(key, { shown: spelling.trim().replace(/\s+/g, ' '), spellings: [spelling] });
    }
    return regions;
  });
}

/** The filter of the public list and its counts, as a query on the indexed fields (values are validated strings). */
async function filterQuery(filter: Omit<SignatureFilter, 'q'>): Promise<Record<string, unknown>> {
  const query: Record<string, unknown> = { ...counted };
  if (filter.type === 'individual') query.kind = 'individual';
  else if (filter.type) query.organisationType = filter.type;
  if (filter.region) {
    const region = (await regionsByKey()).get(comparableText(filter.region));
    query.region = { $in: region?.spellings ?? [filter.region] };
  }
  if (filter.country) query.country = filter.country;
  return query;
}

/** The list cursor is the last row's (nameKey, id), so paging follows the alphabetical order without skipping. */
function encodeListCursor(row: { nameKey: string; _id: unknown }): string {
  return Buffer.from(JSON.stringify([row.nameKey, String(row._id)]), 'utf8').toString('base64url');
}
function decodeListCursor(cursor: string): { nameKey: string; id: string } {
  try {
    const [nameKey, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof nameKey === 'string' && isObjectId(id)) return { nameKey, id };
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('The cursor is not valid.', [{ path: 'cursor', message: 'is not a cursor from this API' }]);
}

const listFields = {
  kind: 1,
  name: 1,
  nameKey: 1,
  organisationType: 1,
  region: 1,
  country: 1,
  confirmedAt: 1,
} as const;

/**
 * One page of the public list, alphabetical. Organisations and individuals who allowed their name; the search
 * (case-insensitive, literal: no pattern syntax) matches the shown name only, so an anonymous signer can never
 * be found by name. Cached while the list is unchanged (listCache.ts says why).
 */
export async function listPublicSignatures(props: {
  filter: SignatureFilter;
  limit: number;
  cursor?: string;
}): Promise<{ items: PublicSignature[]; nextCursor: string | null }> {
  const after = props.cursor ? decodeListCursor(props.cursor) : undefined;
  const q = props.filter.q?.trim();
  const key = JSON.stringify([
    'list',
    props.filter.type ?? '',
    props.filter.region ?? '',
    props.filter.country ?? '',
    q ?? '',
    props.limit,
    after ?? '',
  ]);
  return cachedListQuery(key, async () => {
    const query: Record<string, unknown> = { ...(await filterQuery(props.filter)), listed: true };
    if (q) query.name = { $regex: looseTextPattern(q), $options: 'i' };
    if (after)
      query.$or = [
        { nameKey: { $gt: after.nameKey } },
        { nameKey: after.nameKey, _id: { $gt: new Types.ObjectId(after.id) } },
      ];
    const rows = await PledgeSignatureModel.find(query)
      .select(listFields)
      .sort({ nameKey: 1, _id: 1 })
      .limit(props.limit + 1)
      .lean();
    const hasMore = rows.length > props.limit;
    const shown = hasMore ? rows.slice(0, props.limit) : rows;
    return {
      items: shown.map(presentPublicSignature),
      nextCursor: hasMore ? encodeListCursor(shown[shown.length - 1]!) : null,
    };
  });
}

/**
 * Counts of signatures that count (anonymous individuals included: they signed), by type and by region (each region
 * once, in its shown spelling: regionsByKey), for the type/region/country filter (the name search does not narrow counts: it would reveal anonymous names). One
 * aggregation grouped by (kind, type, region, country), folded here: FerretDB has no `$facet`.
 */
export async function countSignatures(props: {
  filter: Omit<SignatureFilter, 'q'>;
  now?: Date;
}): Promise<SignatureCounts> {
  const key = JSON.stringify([
    'counts',
    props.filter.type ?? '',
    props.filter.region ?? '',
    props.filter.country ?? '',
  ]);
  return cachedListQuery(key, async () => {
    const groups = await PledgeSignatureModel.aggregate<{
      _id: { kind: string; type?: string | null; region: string; country: string };
      n: number;
    }>([
      { $match: await filterQuery(props.filter) },
      {
        $group: {
          _id: { kind: '$kind', type: '$organisationType', region: '$region', country: '$country' },
          n: { $sum: 1 },
        },
      },
    ]);
    const known = await regionsByKey();
    const byType: Record<string, number> = {};
    const regions = new Map<string, number>();
    const byCountry: Record<string, number> = {};
    let total = 0;
    for (const { _id: g, n } of groups) {
      total += n;
      const type = g.kind === 'individual' ? 'individual' : (g.type ?? 'other');
      byType[type] = (byType[type] ?? 0) + n;
      const region = known.get(comparableText(g.region))?.shown ?? g.region;
      regions.set(region, (regions.get(region) ?? 0) + n);
      byCountry[g.country] = (byCountry[g.country] ?? 0) + n;
    }
    const byRegion = Object.fromEntries([...regions].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
    return { total, byType, byRegion, byCountry };
  });
}

/** A confirmed, visible organisation, for its public page and badge; anything else is a 404. */
export async function findPublicOrganisation(id: string) {
  const signature = isObjectId(id)
    ? await PledgeSignatureModel.findOne({ _id: id, ...counted, kind: 'organisation' }).lean()
    : null;
  if (!signature) throw new NotFoundError('There is no signatory at this address. It may have been removed.');
  return signature;
}

/** The organisation's public page: its commitments, each with its dated progress updates (newest first). */
export async function organisationPage(props: { id: string }) {
  const signature = await findPublicOrganisation(props.id);
  const optionIds = signature.commitments.map((c) => c.optionId);
  const [options, updates, readiness] = await Promise.all([
    PledgeCommitmentOptionModel.find({ _id: { $in: optionIds } }).lean(),
    PledgeProgressUpdateModel.find({ signatureId: signature._id }).sort({ postedAt: -1 }).limit(500).lean(),
    signature.boardId && signature.showRoundReadiness
      ? roundReadinessFor(String(signature.boardId))
      : Promise.resolve(null),
  ]);
  const titles = new Map(options.map((o) => [String(o._id), o]));
  const commitments = signature.commitments
    .filter((c) => titles.has(String(c.optionId)))
    .map((c) => ({
      optionId: String(c.optionId),
      title: titles.get(String(c.optionId))!.title,
      description: titles.get(String(c.optionId))!.description,
      addedAt: c.addedAt,
      updates: updates
        .filter((u) => String(u.optionId) === String(c.optionId))
        .map((u) => ({ id: String(u._id), body: u.body, postedAt: u.postedAt })),
    }));
  return {
    signature: { ...presentPublicSignature(signature), countryName: countryName(signature.country) },
    commitments,
    readiness,
  };
}
