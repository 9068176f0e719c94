import { Types } from 'mongoose';
import { PledgeAuditEntryModel } from '../../../models/PledgeAuditEntry.ts';
import { PledgeCommitmentOptionModel } from '../../../models/PledgeCommitmentOption.ts';
import { PledgeLinkModel } from '../../../models/PledgeLink.ts';
import { PledgeProgressUpdateModel } from '../../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { holdsOnlyByLmsWord, provenEmailOf } from '../../policies/accounts.ts';
import {
  canManageSignature,
  canReportOnCommitments,
  mayKnowOfSignature,
  type PledgeActor,
} from '../../policies/pledge.ts';
import { roundReadinessFor } from './boards.ts';
import { createOnce, submissionKey } from '../../submissions.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { listChanged } from './listCache.ts';

const messages = {
  noSuchSignature:
    'There is no such signature, or this browser may no longer manage it. Ask for a "manage your pledge" link on the ' +
    'Pledge page.',
  notYours:
    'Only the confirmed contact of this signature can do that. Ask for a "manage your pledge" link on the Pledge page.',
  addressNotProved: (email: string) =>
    `Your Pathways account has this signature's address, ${email}, but it came from your course's LMS and has not ` +
    'been confirmed, so it does not make you the contact. Ask for a "manage your pledge" link on the Pledge page: ' +
    `it is emailed to ${email}. To confirm the address for good, choose a password with "Forgotten your password?" ` +
    'on the sign-in page; that link is emailed there too.',
  unknownOption: 'is not one of the commitments on offer',
  notChosen: 'is not one of your commitments',
  commitmentsSavedMeanwhile: savedMeanwhileMessage('list of commitments'),
};

/**
 * The refusal of someone who is not the signature's contact. Someone who may not know of it (mayKnowOfSignature) gets
 * the very 404 of an unknown id (loadManaged). One whose account has the signature's address only on an LMS's word is
 * told how to prove it: she may well be the contact, and the general words would not say why not.
 */
function notTheContact(actor: PledgeActor, signature: Parameters<typeof mayKnowOfSignature>[1]): Error {
  if (!mayKnowOfSignature(actor, signature)) return new NotFoundError(messages.noSuchSignature);
  return new ForbiddenError(
    holdsOnlyByLmsWord(actor.user, signature.email) ? messages.addressNotProved(signature.email) : messages.notYours,
  );
}

async function loadSignature(id: string) {
  const signature = isObjectId(id) ? await PledgeSignatureModel.findById(id).lean() : null;
  if (!signature) throw new NotFoundError('There is no such signature.');
  return signature;
}

/** The signature her manage action is on; an unknown id answers as one she may not know of (notTheContact). */
async function loadManaged(id: string) {
  const signature = isObjectId(id) ? await PledgeSignatureModel.findById(id).lean() : null;
  if (!signature) throw new NotFoundError(messages.noSuchSignature);
  return signature;
}

/**
 * Signatures this visitor may manage: those granted by links in her session, and those made with her account's email
 * if she has proved it (provenEmailOf).
 */
export async function manageableSignatures(actor: PledgeActor) {
  const or: Record<string, unknown>[] = [];
  const ids = actor.grantedSignatureIds.filter(isObjectId);
  if (ids.length) or.push({ _id: { $in: ids } });
  const email = provenEmailOf(actor.user);
  if (email) or.push({ email });
  if (!or.length) return [];
  const rows = await PledgeSignatureModel.find({ $or: or, status: 'confirmed' }).sort({ nameKey: 1 }).lean();
  return rows.filter((s) => canManageSignature(actor, s));
}

/** Everything the contact's manage page shows. */
export async function manageView(props: { actor: PledgeActor; signatureId: string }) {
  const signature = await loadManaged(props.signatureId);
  if (!canManageSignature(props.actor, signature)) throw notTheContact(props.actor, signature);
  const [options, updates, readiness] = await Promise.all([
    PledgeCommitmentOptionModel.find({
      $or: [{ active: true }, { _id: { $in: signature.commitments.map((c) => c.optionId) } }],
    })
      .sort({ position: 1, title: 1 })
      .lean(),
    PledgeProgressUpdateModel.find({ signatureId: signature._id }).sort({ postedAt: -1 }).limit(200).lean(),
    signature.boardId ? roundReadinessFor(String(signature.boardId)) : Promise.resolve(null),
  ]);
  const chosen = new Set(signature.commitments.map((c) => String(c.optionId)));
  return {
    signature: {
      id: String(signature._id),
      kind: signature.kind,
      name: signature.name,
      email: signature.email,
      hidden: signature.hidden,
      showName: signature.showName ?? false,
      boardId: signature.boardId ? String(signature.boardId) : null,
      showRoundReadiness: signature.showRoundReadiness ?? false,
      commitmentsVersion: signature.commitmentsVersion ?? null,
    },
    options: options.map((o) => ({
      id: String(o._id),
      title: o.title,
      description: o.description,
      active: o.active,
      chosen: chosen.has(String(o._id)),
    })),
    updates: updates.map((u) => ({
      id: String(u._id),
      optionId: String(u.optionId),
      body: u.body,
      postedAt: u.postedAt,
    })),
    readiness,
  };
}

/**
 * Sets the organisation's commitments to exactly `optionIds`. New ones must be active options; one already made
 * stays even if its option was since retired. Progress updates on a dropped commitment stay on record. With
 * `expectedVersion` (the version her form was opened at), it is written only if nobody saved the commitments since
 * (another manager of the signature): otherwise a 409, never a silent undo (server/versions.ts).
 */
export async function setCommitments(props: {
  actor: PledgeActor;
  signatureId: string;
  optionIds: string[];
  now: Date;
  expectedVersion?: ExpectedVersion;
}) {
  const signature = await loadManaged(props.signatureId);
  if (!canReportOnCommitments(props.actor, signature)) throw notTheContact(props.actor, signature);
  if (movedOn(signature.commitmentsVersion, props.expectedVersion))
    throw new ConflictError(messages.commitmentsSavedMeanwhile);
  const wanted = [...new Set(props.optionIds)];
  const existing = new Map(signature.commitments.map((c) => [String(c.optionId), c]));
  const fresh = wanted.filter((id) => !existing.has(id));
  const valid = fresh.length
    ? await PledgeCommitmentOptionModel.find({ _id: { $in: fresh.filter(isObjectId) }, active: true })
        .select({ _id: 1 })
        .lean()
    : [];
  const validIds = new Set(valid.map((o) => String(o._id)));
  const bad = fresh.filter((id) => !validIds.has(id));
  if (bad.length)
    throw new ValidationError(
      'Choose commitments from the list.',
      bad.map(() => ({ path: 'optionIds', message: messages.unknownOption })),
    );
  const commitments = wanted.map((id) => existing.get(id) ?? { optionId: new Types.ObjectId(id), addedAt: props.now });
  const written = await PledgeSignatureModel.updateOne(
    { _id: signature._id, ...versionFilter(props.expectedVersion, 'commitmentsVersion') },
    { $set: { commitments }, $inc: { commitmentsVersion: 1 } },
  );
  // Saved by someone else between the read above and this write (another process).
  if (written.matchedCount !== 1) throw new ConflictError(messages.commitmentsSavedMeanwhile);
  return { count: commitments.length };
}

/** A short, dated progress update on one of the organisation's commitments. */
export async function postProgressUpdate(props: {
  actor: PledgeActor;
  signatureId: string;
  optionId: string;
  body: string;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
  now: Date;
}) {
  const signature = await loadManaged(props.signatureId);
  if (!canReportOnCommitments(props.actor, signature)) throw notTheContact(props.actor, signature);
  if (!signature.commitments.some((c) => String(c.optionId) === props.optionId))
    throw new ValidationError('Choose one of your commitments.', [{ path: 'optionId', message: messages.notChosen }]);
  // A repeat (same key; without one, the same text on the same commitment) is the first update, shown once.
  const body = props.body.trim();
  const key = submissionKey({
    scope: [String(signature._id), props.optionId],
    clientKey: props.submissionKey,
    content: [body],
    text: true,
  });
  const inserted = await createOnce(PledgeProgressUpdateModel, key, {
    signatureId: signature._id,
    optionId: props.optionId,
    body,
    postedAt: props.now,
  });
  if (!inserted.doc) throw new NotFoundError();
  // Written first, checked second (deleteSignature removes the signature before its updates): an update written
  // while the signature was being deleted (another tab, another process) would otherwise outlive it, her text kept.
  if (!(await PledgeSignatureModel.exists({ _id: signature._id }))) {
    await PledgeProgressUpdateModel.deleteOne({ _id: inserted.doc._id });
    throw new NotFoundError('There is no such signature.');
  }
  return { id: String(inserted.doc._id), postedAt: inserted.doc.postedAt };
}

/** An individual changes whether her name is shown (no new confirmation needed: she proved the email). */
export async function setShowName(props: { actor: PledgeActor; signatureId: string; showName: boolean }) {
  const signature = await loadManaged(props.signatureId);
  if (!canManageSignature(props.actor, signature) || signature.kind !== 'individual')
    throw notTheContact(props.actor, signature);
  await PledgeSignatureModel.updateOne(
    { _id: signature._id },
    { $set: { showName: props.showName, listed: props.showName } },
  );
  await listChanged();
}

/** The contact's choice to show the linked board's round readiness on the public page. */
export async function setReadinessShownByContact(props: { actor: PledgeActor; signatureId: string; show: boolean }) {
  const signature = await loadManaged(props.signatureId);
  if (!canReportOnCommitments(props.actor, signature)) throw notTheContact(props.actor, signature);
  if (!signature.boardId) throw new NotFoundError('This signature is not linked to a board.');
  await PledgeSignatureModel.updateOne({ _id: signature._id }, { $set: { showRoundReadiness: props.show } });
}

/**
 * Deletes a signature at the signer's request: the signature, its progress updates and its links go; the audit
 * trail keeps that a signature was deleted, by whom and why, without the signer's data. Counts follow at once.
 */
export async function deleteSignature(props: {
  signatureId: string;
  actorId: string | null;
  actorLabel: string;
  reason: string;
  now: Date;
}) {
  const signature = await loadSignature(props.signatureId);
  await PledgeAuditEntryModel.create({
    signatureId: signature._id,
    action: 'deleted',
    reason: props.reason,
    actorId: props.actorId,
    actorLabel: props.actorLabel,
    kind: signature.kind,
    organisationType: signature.organisationType,
    at: props.now,
  });
  // The signature first: a progress update written meanwhile checks for it after writing (postProgressUpdate), so
  // one written before this delete is removed below and one written after removes itself. (A link written meanwhile
  // opens nothing: every use looks the signature up; it goes when it expires.)
  await PledgeSignatureModel.deleteOne({ _id: signature._id });
  await PledgeProgressUpdateModel.deleteMany({ signatureId: signature._id });
  await PledgeLinkModel.deleteMany({ signatureId: signature._id });
  await listChanged();
}

/** The signer deletes her own signature through her manage access. */
export async function deleteOwnSignature(props: { actor: PledgeActor; signatureId: string; now: Date }) {
  const signature = await loadManaged(props.signatureId);
  if (!canManageSignature(props.actor, signature)) throw notTheContact(props.actor, signature);
  await deleteSignature({
    signatureId: props.signatureId,
    actorId: props.actor.user?.id ?? null,
    actorLabel: 'the signer',
    reason: 'Deleted by the signer',
    now: props.now,
  });
}
