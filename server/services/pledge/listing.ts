import { Types } from 'mongoose';
import { PledgeCommitmentOptionModel } from '../../../models/PledgeCommitmentOption.ts';
import { PledgeProgressUpdateModel } from '../../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel, type OrganisationType } from '../../../models/PledgeSignature.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../http/validate.ts';
import { roundReadinessFor } from './boards.ts';
import { countryName } from './countries.ts';
import { escapeRegex } from './normalise.ts';

/** What the public sees of a signature: never an email, a contact person, or an anonymous individual's name. */
export type PublicSignature = { id: string; kind: 'organisation' | 'individual'; name: string; organisationType?: OrganisationType; region: string; country: string; confirmedAt: string };
export type SignatureFilter = { type?: OrganisationType | 'individual'; region?: string; country?: string; q?: string };
export type SignatureCounts = { total: number; byType: Record<string, number>; byRegion: Record<string, number> };

/** Confirmed and not hidden: the signatures that count. */
const counted = { status: 'confirmed', hidden: false } as const;

export function presentPublicSignature(s: { _id: unknown; kind: string; name: string; organisationType?: string | null; region: string; country: string; confirmedAt?: Date | null }): PublicSignature {
  return {
    id: String(s._id),
    kind: s.kind as PublicSignature['kind'],
    name: s.name,
    ...(s.kind === 'organisation' && s.organisationType ? { organisationType: s.organisationType as OrganisationType } : {}),
    region: s.region,
    country: s.country,
    confirmedAt: (s.confirmedAt ?? new Date(0)).toISOString(),
  };
}

function filterOf(filter: SignatureFilter): Record<string, unknown> {
  const query: Record<string, unknown> = { ...counted };
  if (filter.type === 'individual') query.kind = 'individual';
  else if (filter.type) query.organisationType = filter.type;
  if (filter.region) query.region = filter.region;
  if (filter.country) query.country = filter.country;
  return query;
}

/** The list cursor is the last row's (nameKey, id), so paging follows the alphabetical order without skipping. */
function encodeListCursor(row: { nameKey: string; _id: Types.ObjectId }): string {
  return Buffer.from(JSON.stringify([row.nameKey, String(row._id)]), 'utf8').toString('base64url');
}
function decodeListCursor(cursor: string): { nameKey: string; id: Types.ObjectId } {
  try {
    const [nameKey, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof nameKey === 'string' && isObjectId(id)) return { nameKey, id: new Types.ObjectId(id) };
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('The cursor is not valid.', [{ path: 'cursor', message: 'is not a cursor from this API' }]);
}

/**
 * One page of the public list, alphabetical. Organisations and individuals who allowed their name; the search
 * matches the shown name only, so an anonymous signer can never be found by name.
 */
export async function listPublicSignatures(props: { filter: SignatureFilter; limit: number; cursor?: string }): Promise<{ items: PublicSignature[]; nextCursor: string | null }> {
  const query = { ...filterOf(props.filter), listed: true } as Record<string, unknown>;
  if (props.filter.q) query.name = { $regex: escapeRegex(props.filter.q.trim()), $options: 'i' };
  if (props.cursor) {
    const after = decodeListCursor(props.cursor);
    query.$or = [{ nameKey: { $gt: after.nameKey } }, { nameKey: after.nameKey, _id: { $gt: after.id } }];
  }
  const rows = await PledgeSignatureModel.find(query)
    .select({ kind: 1, name: 1, nameKey: 1, organisationType: 1, region: 1, country: 1, confirmedAt: 1 })
    .sort({ nameKey: 1, _id: 1 })
    .limit(props.limit + 1)
    .lean();
  const hasMore = rows.length > props.limit;
  const page = hasMore ? rows.slice(0, props.limit) : rows;
  return { items: page.map(presentPublicSignature), nextCursor: hasMore ? encodeListCursor(page[page.length - 1]!) : null };
}

/**
 * Counts of signatures that count (anonymous individuals included: they signed), by type and by region, for the
 * type/region/country filter (the name search does not narrow counts: it would reveal anonymous names).
 * Two $match+$group aggregations (FerretDB has no $facet), cached briefly: the list page is the busiest public
 * page and the counts change only when a signature is confirmed, hidden or deleted (which clears the cache here).
 */
const countsCache = new Map<string, { at: number; value: SignatureCounts }>();
const countsTtlMs = 30_000;
export function invalidateCounts(): void {
  countsCache.clear();
}

export async function countSignatures(props: { filter: Omit<SignatureFilter, 'q'>; now?: Date }): Promise<SignatureCounts> {
  const key = JSON.stringify([props.filter.type ?? '', props.filter.region ?? '', props.filter.country ?? '']);
  const nowMs = (props.now ?? new Date()).getTime();
  const cached = countsCache.get(key);
  if (cached && nowMs - cached.at < countsTtlMs) return cached.value;
  const match = filterOf(props.filter);
  const [types, regions] = await Promise.all([
    PledgeSignatureModel.aggregate<{ _id: string | null; n: number }>([{ $match: match }, { $group: { _id: '$organisationType', n: { $sum: 1 } } }]),
    PledgeSignatureModel.aggregate<{ _id: string; n: number }>([{ $match: match }, { $group: { _id: '$region', n: { $sum: 1 } } }]),
  ]);
  const byType: Record<string, number> = {};
  for (const row of types) byType[row._id ?? 'individual'] = (byType[row._id ?? 'individual'] ?? 0) + row.n;
  const byRegion: Record<string, number> = {};
  for (const row of regions.sort((a, b) => b.n - a.n || String(a._id).localeCompare(String(b._id)))) byRegion[row._id] = row.n;
  const value = { total: Object.values(byType).reduce((a, b) => a + b, 0), byType, byRegion };
  if (countsCache.size > 500) countsCache.clear();
  countsCache.set(key, { at: nowMs, value });
  return value;
}

/** A confirmed, visible organisation, for its public page and badge; anything else is a 404. */
export async function findPublicOrganisation(id: string) {
  const signature = isObjectId(id) ? await PledgeSignatureModel.findOne({ _id: id, ...counted, kind: 'organisation' }).lean() : null;
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
    signature.boardId && signature.showRoundReadiness ? roundReadinessFor(String(signature.boardId)) : Promise.resolve(null),
  ]);
  const titles = new Map(options.map((o) => [String(o._id), o]));
  const commitments = signature.commitments
    .filter((c) => titles.has(String(c.optionId)))
    .map((c) => ({
      optionId: String(c.optionId),
      title: titles.get(String(c.optionId))!.title,
      description: titles.get(String(c.optionId))!.description,
      addedAt: c.addedAt,
      updates: updates.filter((u) => String(u.optionId) === String(c.optionId)).map((u) => ({ id: String(u._id), body: u.body, postedAt: u.postedAt })),
    }));
  return { signature: { ...presentPublicSignature(signature), countryName: countryName(signature.country) }, commitments, readiness };
}
