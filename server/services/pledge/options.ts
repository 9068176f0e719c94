import { PledgeCommitmentOptionModel } from '../../../models/PledgeCommitmentOption.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { clientKeyOrNew, createOnce } from '../../submissions.ts';
import { isObjectId } from '../../ids.ts';

/** The commitment options, in the admin's order (retired ones last). */
export async function listCommitmentOptions(props: { includeRetired: boolean }) {
  const rows = await PledgeCommitmentOptionModel.find(props.includeRetired ? {} : { active: true })
    .sort({ active: -1, position: 1, title: 1 })
    .lean();
  return rows.map((o) => ({
    id: String(o._id),
    title: o.title,
    description: o.description,
    position: o.position,
    active: o.active,
    version: o.version ?? null,
  }));
}

/** Adds an option (admins); the form sent twice with its key adds one (server/submissions.ts). */
export async function createCommitmentOption(props: {
  title: string;
  description?: string;
  position?: number;
  submissionKey?: string;
}) {
  const last = await PledgeCommitmentOptionModel.findOne().sort({ position: -1 }).lean();
  const inserted = await createOnce(
    PledgeCommitmentOptionModel,
    clientKeyOrNew(['pledge-option'], props.submissionKey),
    {
      title: props.title,
      description: props.description ?? '',
      position: props.position ?? (last ? last.position + 1 : 1),
    },
  );
  if (!inserted.doc) throw new NotFoundError('We could not find that commitment option.');
  return { id: String(inserted.doc._id), title: inserted.doc.title };
}

/**
 * Edits an option; `active: false` retires it (organisations keep it; nobody new can choose it). With
 * `expectedVersion` (the version her form was opened at), an edit by another admin since is a 409 (server/versions.ts).
 */
export async function updateCommitmentOption(props: {
  id: string;
  title?: string;
  description?: string;
  position?: number;
  active?: boolean;
  expectedVersion?: ExpectedVersion;
}) {
  const { id, expectedVersion, ...changes } = props;
  const result = isObjectId(id)
    ? await PledgeCommitmentOptionModel.updateOne(
        { _id: id, ...versionFilter(expectedVersion) },
        { $set: Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)), $inc: { version: 1 } },
      )
    : { matchedCount: 0 };
  if (result.matchedCount === 1) return;
  if (isObjectId(id) && (await PledgeCommitmentOptionModel.exists({ _id: id })))
    throw new ConflictError(savedMeanwhileMessage('commitment'));
  throw new NotFoundError('There is no such commitment option.');
}
