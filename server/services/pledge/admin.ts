import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { recordAuditEvent } from '../audit/events.ts';
import { PledgeAuditEntryModel } from '../../../models/PledgeAuditEntry.ts';
import { PledgeCommitmentOptionModel } from '../../../models/PledgeCommitmentOption.ts';
import { PledgeProgressUpdateModel } from '../../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';
import { NotFoundError } from '../../errors.ts';
import { decodeCursor, pageOf } from '../../pagination.ts';
import { isObjectId } from '../../ids.ts';
import { countryName } from '../../countries.ts';
import { countSignatures } from './listing.ts';
import { listChanged } from './listCache.ts';
import { looseTextPattern } from '../../textSearch.ts';
import { toCsv } from '../../csv.ts';

/** What an admin sees of a signature (emails included: admins handle requests about them). */
export function presentAdminSignature(s: {
  _id: unknown;
  kind: string;
  name: string;
  organisationType?: string | null;
  role?: string | null;
  contactName?: string | null;
  email: string;
  region: string;
  country: string;
  showName?: boolean | null;
  status: string;
  hidden: boolean;
  hiddenReason?: string | null;
  confirmedAt?: Date | null;
  createdAt?: Date;
  commitments?: unknown[];
  boardId?: unknown;
}) {
  return {
    id: String(s._id),
    kind: s.kind,
    name: s.name,
    organisationType: s.organisationType ?? null,
    role: s.role ?? null,
    contactName: s.contactName ?? null,
    email: s.email,
    region: s.region,
    country: s.country,
    showName: s.showName ?? false,
    status: s.status,
    hidden: s.hidden,
    hiddenReason: s.hiddenReason ?? null,
    confirmedAt: s.confirmedAt ?? null,
    createdAt: s.createdAt ?? null,
    commitmentCount: s.commitments?.length ?? 0,
    boardId: s.boardId ? String(s.boardId) : null,
  };
}

/**
 * Hides a signature from the public list (spam, withdrawn) or shows it again; the reason goes to the audit trail.
 * Hiding is reversible and keeps the data: only the signer's request deletes.
 */
export async function setSignatureHidden(props: {
  signatureId: string;
  hidden: boolean;
  reason: string;
  actor: Express.User;
  now: Date;
  ip?: string | null;
}) {
  const signature = isObjectId(props.signatureId)
    ? await PledgeSignatureModel.findById(props.signatureId).lean()
    : null;
  if (!signature) throw new NotFoundError('There is no such signature.');
  await PledgeSignatureModel.updateOne(
    { _id: signature._id },
    props.hidden
      ? { $set: { hidden: true, hiddenReason: props.reason, hiddenAt: props.now } }
      : { $set: { hidden: false }, $unset: { hiddenReason: 1, hiddenAt: 1 } },
  );
  // At once, before the trails: every process's cached list stops showing (or starts showing) her signature even if
  // what follows fails.
  await listChanged();
  await PledgeAuditEntryModel.create({
    signatureId: signature._id,
    action: props.hidden ? 'hidden' : 'unhidden',
    reason: props.reason,
    actorId: props.actor.id,
    actorLabel: props.actor.name,
    kind: signature.kind,
    organisationType: signature.organisationType,
    at: props.now,
  });
  // The Pledge keeps its own trail (above); hiding also goes to the site-wide audit trail admins review.
  if (props.hidden)
    await recordAuditEvent({
      action: 'pledge-signature-hidden',
      actor: props.actor,
      target: { type: 'pledge-signature', id: signature._id },
      ip: props.ip,
      detail: props.reason,
      at: props.now,
    });
  return presentAdminSignature({
    ...signature,
    hidden: props.hidden,
    hiddenReason: props.hidden ? props.reason : null,
  });
}

/** Every signature (pending and hidden too), newest first, searchable by name or email. */
export async function searchAllSignatures(props: {
  q?: string;
  status?: 'pending' | 'confirmed' | 'hidden';
  limit: number;
  cursor?: string;
}) {
  const query: Record<string, unknown> = {};
  if (props.status === 'hidden') query.hidden = true;
  else if (props.status) Object.assign(query, { status: props.status, hidden: false });
  if (props.q) {
    const pattern = { $regex: looseTextPattern(props.q.trim()), $options: 'i' };
    query.$or = [{ name: pattern }, { email: pattern }];
  }
  const after = decodeCursor(props.cursor);
  if (after) query._id = { $lt: after };
  const rows = await PledgeSignatureModel.find(query)
    .sort({ _id: -1 })
    .limit(props.limit + 1)
    .lean();
  const page = pageOf(rows, props.limit);
  return { items: page.rows.map(presentAdminSignature), nextCursor: page.nextCursor };
}

export async function adminSignatureDetail(id: string) {
  const signature = isObjectId(id) ? await PledgeSignatureModel.findById(id).lean() : null;
  const audit = isObjectId(id) ? await PledgeAuditEntryModel.find({ signatureId: id }).sort({ at: -1 }).lean() : [];
  if (!signature) {
    if (audit.length) return { signature: null, audit };
    throw new NotFoundError('There is no such signature.');
  }
  return { signature: { ...presentAdminSignature(signature), countryName: countryName(signature.country) }, audit };
}

/** Recent audit entries of the whole Pledge (the admin dashboard's trail). */
export const recentAudit = (limit = 20) => PledgeAuditEntryModel.find().sort({ at: -1 }).limit(limit).lean();

/**
 * Confirmed signatures per month over the last `months` months (oldest first), including empty months, the months
 * being the reader's (`zone`): a signature confirmed at 10:00 on 1 April in Auckland is April's there, as the chart's
 * last bar is her current month. Hidden ones are left out, as the counts by type and region beside the chart leave
 * them out.
 */
export async function signaturesOverTime(props: { now: Date; months?: number; zone?: string }) {
  const months = props.months ?? 12;
  const zone = props.zone ?? 'UTC';
  const start = DateTime.fromJSDate(props.now, { zone })
    .startOf('month')
    .minus({ months: months - 1 });
  // FerretDB 1.x has no date operators in $group; a month of dates is small, so they are bucketed here.
  const rows = await PledgeSignatureModel.find({
    status: 'confirmed',
    hidden: false,
    confirmedAt: { $gte: start.toJSDate() },
  })
    .select({ confirmedAt: 1, _id: 0 })
    .lean();
  const buckets = Array.from({ length: months }, (_, i) => {
    const month = start.plus({ months: i });
    return { key: month.toFormat('yyyy-LL'), label: month.toFormat('LLL yyyy', { locale: 'en-GB' }), count: 0 };
  });
  const index = new Map(buckets.map((b, i) => [b.key, i]));
  for (const row of rows) {
    const i = index.get(DateTime.fromJSDate(row.confirmedAt!, { zone }).toFormat('yyyy-LL'));
    if (i !== undefined) buckets[i]!.count++;
  }
  return buckets;
}

/**
 * Commitments ranked by how many organisations made them, and by how many progress updates they received: of listed
 * signatures alike (a hidden signature's updates no more count than its commitments).
 */
export async function commitmentStats() {
  // Hidden signatures are few (an admin hides each by hand): their ids are read, not joined.
  const hiddenIds = await PledgeSignatureModel.distinct('_id', { hidden: true });
  const [made, reported, options] = await Promise.all([
    PledgeSignatureModel.aggregate<{ _id: Types.ObjectId; n: number }>([
      { $match: { status: 'confirmed', hidden: false } },
      { $unwind: '$commitments' },
      { $group: { _id: '$commitments.optionId', n: { $sum: 1 } } },
    ]),
    PledgeProgressUpdateModel.aggregate<{ _id: Types.ObjectId; n: number }>([
      { $match: { signatureId: { $nin: hiddenIds } } },
      { $group: { _id: '$optionId', n: { $sum: 1 } } },
    ]),
    PledgeCommitmentOptionModel.find().lean(),
  ]);
  const madeBy = new Map(made.map((r) => [String(r._id), r.n]));
  const reportedBy = new Map(reported.map((r) => [String(r._id), r.n]));
  const rows = options.map((o) => ({
    id: String(o._id),
    title: o.title,
    active: o.active,
    made: madeBy.get(String(o._id)) ?? 0,
    updates: reportedBy.get(String(o._id)) ?? 0,
  }));
  return {
    mostMade: [...rows].sort((a, b) => b.made - a.made || a.title.localeCompare(b.title)),
    mostReported: [...rows].sort((a, b) => b.updates - a.updates || a.title.localeCompare(b.title)),
  };
}

/** `zone`: the reader's, whose months the chart counts. */
export async function pledgeDashboard(props: { now: Date; zone: string }) {
  const [overTime, counts, commitments, pending, hidden, audit] = await Promise.all([
    signaturesOverTime({ now: props.now, zone: props.zone }),
    countSignatures({ filter: {}, now: props.now }),
    commitmentStats(),
    PledgeSignatureModel.countDocuments({ status: 'pending' }),
    PledgeSignatureModel.countDocuments({ hidden: true }),
    recentAudit(),
  ]);
  return { overTime, counts, commitments, pending, hidden, audit };
}

export const exportKinds = ['signatures', 'updates', 'audit'] as const;
export type ExportKind = (typeof exportKinds)[number];

/** The whole Pledge as CSV (one file per kind of record), for admins. */
export async function exportCsv(props: { kind: ExportKind }): Promise<string> {
  const options = new Map((await PledgeCommitmentOptionModel.find().lean()).map((o) => [String(o._id), o.title]));
  if (props.kind === 'signatures') {
    const rows = await PledgeSignatureModel.find().sort({ _id: 1 }).lean();
    return toCsv({
      header: [
        'id',
        'kind',
        'status',
        'hidden',
        'hidden_reason',
        'name',
        'organisation_type',
        'role',
        'contact_name',
        'email',
        'region',
        'country',
        'show_name',
        'signed_at',
        'confirmed_at',
        'commitments',
        'board_id',
      ],
      rows: rows.map((s) => [
        String(s._id),
        s.kind,
        s.status,
        s.hidden,
        s.hiddenReason,
        s.name,
        s.organisationType,
        s.role,
        s.contactName,
        s.email,
        s.region,
        s.country,
        s.showName,
        s.createdAt,
        s.confirmedAt,
        s.commitments.map((c) => options.get(String(c.optionId)) ?? String(c.optionId)).join('; '),
        s.boardId ? String(s.boardId) : '',
      ]),
    });
  }
  if (props.kind === 'updates') {
    const rows = await PledgeProgressUpdateModel.find().sort({ _id: 1 }).lean();
    const names = new Map(
      (
        await PledgeSignatureModel.find({ _id: { $in: [...new Set(rows.map((r) => String(r.signatureId)))] } })
          .select({ name: 1 })
          .lean()
      ).map((s) => [String(s._id), s.name]),
    );
    return toCsv({
      header: ['id', 'signature_id', 'organisation', 'commitment', 'posted_at', 'update'],
      rows: rows.map((u) => [
        String(u._id),
        String(u.signatureId),
        names.get(String(u.signatureId)),
        options.get(String(u.optionId)),
        u.postedAt,
        u.body,
      ]),
    });
  }
  const rows = await PledgeAuditEntryModel.find().sort({ at: 1 }).lean();
  return toCsv({
    header: ['at', 'signature_id', 'action', 'reason', 'by', 'kind', 'organisation_type'],
    rows: rows.map((a) => [a.at, String(a.signatureId), a.action, a.reason, a.actorLabel, a.kind, a.organisationType]),
  });
}
