import { PledgeCommitmentOptionModel } from '../../../models/PledgeCommitmentOption.ts';
import { PledgeProgressUpdateModel } from '../../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel, type OrganisationType } from '../../../models/PledgeSignature.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../http/validate.ts';
import { roundReadinessFor } from './boards.ts';
import { countryName } from './countries.ts';
import { compareRows, invalidateSnapshot, snapshotRows, type SnapshotRow } from './snapshot.ts';

/** What the public sees of a signature: never an email, a contact person, or an anonymous individual's name. */
export type PublicSignature = { id: string; kind: 'organisation' | 'individual'; name: string; organisationType?: OrganisationType; region: string; country: string; confirmedAt: string };
export type SignatureFilter = { type?: OrganisationType | 'individual'; region?: string; country?: string; q?: string };
export type SignatureCounts = { total: number; byType: Record<string, number>; byRegion: Record<string, number>; byCountry: Record<string, number> };

/** Confirmed and not hidden: the signatures that count. */
export const counted = { status: 'confirmed', hidden: false } as const;

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

const matches = (row: SnapshotRow, filter: Omit<SignatureFilter, 'q'>): boolean =>
  (!filter.type || (filter.type === 'individual' ? row.kind === 'individual' : row.organisationType === filter.type)) &&
  (!filter.region || row.region === filter.region) &&
  (!filter.country || row.country === filter.country);

/** The list cursor is the last row's (nameKey, id), so paging follows the alphabetical order without skipping. */
function encodeListCursor(row: { nameKey: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.nameKey, row.id]), 'utf8').toString('base64url');
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

/**
 * One page of the public list, alphabetical. Organisations and individuals who allowed their name; the search
 * (case-insensitive, literal: no pattern syntax) matches the shown name only, so an anonymous signer can never
 * be found by name. Served from the in-memory snapshot (see snapshot.ts for why).
 */
export async function listPublicSignatures(props: { filter: SignatureFilter; limit: number; cursor?: string }): Promise<{ items: PublicSignature[]; nextCursor: string | null }> {
  const rows = await snapshotRows();
  const after = props.cursor ? decodeListCursor(props.cursor) : undefined;
  let i = 0;
  if (after) {
    let hi = rows.length;
    while (i < hi) {
      const mid = (i + hi) >> 1;
      if (compareRows(rows[mid]!, after) <= 0) i = mid + 1;
      else hi = mid;
    }
  }
  const q = props.filter.q?.trim().toLowerCase();
  const page: SnapshotRow[] = [];
  for (; i < rows.length && page.length <= props.limit; i++) {
    const row = rows[i]!;
    if (row.listed && matches(row, props.filter) && (!q || row.nameLower.includes(q))) page.push(row);
  }
  const hasMore = page.length > props.limit;
  const shown = hasMore ? page.slice(0, props.limit) : page;
  return { items: shown.map((r) => presentPublicSignature({ ...r, _id: r.id })), nextCursor: hasMore ? encodeListCursor(shown[shown.length - 1]!) : null };
}

/**
 * Counts of signatures that count (anonymous individuals included: they signed), by type and by region, for the
 * type/region/country filter (the name search does not narrow counts: it would reveal anonymous names).
 */
/** Memoised per snapshot: the rows array is replaced whenever a signature changes, which drops its memo. */
const countsMemo = new WeakMap<SnapshotRow[], Map<string, SignatureCounts>>();

export async function countSignatures(props: { filter: Omit<SignatureFilter, 'q'>; now?: Date }): Promise<SignatureCounts> {
  const rows = await snapshotRows();
  const key = JSON.stringify([props.filter.type ?? '', props.filter.region ?? '', props.filter.country ?? '']);
  const memo = countsMemo.get(rows) ?? new Map<string, SignatureCounts>();
  countsMemo.set(rows, memo);
  const known = memo.get(key);
  if (known) return known;
  const byType: Record<string, number> = {};
  const regions = new Map<string, number>();
  const countries = new Map<string, number>();
  let total = 0;
  for (const row of rows) {
    if (!matches(row, props.filter)) continue;
    total++;
    const type = row.kind === 'individual' ? 'individual' : (row.organisationType ?? 'other');
    byType[type] = (byType[type] ?? 0) + 1;
    regions.set(row.region, (regions.get(row.region) ?? 0) + 1);
    countries.set(row.country, (countries.get(row.country) ?? 0) + 1);
  }
  const byRegion = Object.fromEntries([...regions].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  const value = { total, byType, byRegion, byCountry: Object.fromEntries(countries) };
  if (memo.size > 1000) memo.clear();
  memo.set(key, value);
  return value;
}

/** Writes behind the services' back (tests, imports) call this so the public list re-reads the database. */
export const invalidateCounts = invalidateSnapshot;

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
