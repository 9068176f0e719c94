import { PledgeAuditEntryModel } from '../../../models/PledgeAuditEntry.ts';
import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { holdsOnlyByLmsWord } from '../../policies/accounts.ts';
import { canLinkBoard } from '../../policies/pledge.ts';

/**
 * The seam with governing boards (issue 6), kept one-way: the boards code calls linkSignatureToBoard and
 * registers a provider that answers "how many recent recruitment rounds were fully ready before interview";
 * the Pledge never imports boards code. Without a provider (or when it answers null) nothing is shown.
 */
export type RoundReadiness = { ready: number; total: number; since?: Date };
export type RoundReadinessProvider = (boardId: string) => Promise<RoundReadiness | null>;
let provider: RoundReadinessProvider | undefined;

/** Registers the provider; returns the one it replaces (so a test that swaps in its own can put it back). */
export function registerRoundReadinessProvider(
  fn: RoundReadinessProvider | undefined,
): RoundReadinessProvider | undefined {
  const previous = provider;
  provider = fn;
  return previous;
}

export async function roundReadinessFor(boardId: string): Promise<RoundReadiness | null> {
  if (!provider) return null;
  try {
    return await provider(boardId);
  } catch {
    // The board figure is an extra; a failure there must not take the public page down.
    return null;
  }
}

async function loadForBoard(signatureId: string, actor: Express.User) {
  const signature = isObjectId(signatureId) ? await PledgeSignatureModel.findById(signatureId).lean() : null;
  if (!signature) throw new NotFoundError('There is no such signature.');
  if (!canLinkBoard(actor, signature))
    throw new ForbiddenError(
      holdsOnlyByLmsWord(actor, signature.email)
        ? 'Your account has this signature’s address, but it came from your course’s LMS and has not been ' +
            'confirmed: choose a password with "Forgotten your password?" on the sign-in page (the link is emailed ' +
            'to that address), then link the board.'
        : 'Only the contact who signed for this organisation (signed in with the same email) can link it to a board.',
    );
  return signature;
}

/**
 * Links a confirmed organisation signature to a board in Pathways. The boards code checks that the actor may act
 * for the board; here the actor must be the signature's contact (same email) or an admin.
 * @param showRoundReadiness the board's choice to show its readiness figure on the public page (default off)
 */
export async function linkSignatureToBoard(props: {
  signatureId: string;
  boardId: string;
  actor: Express.User;
  showRoundReadiness?: boolean;
  now?: Date;
}) {
  const signature = await loadForBoard(props.signatureId, props.actor);
  if (!isObjectId(props.boardId)) throw new NotFoundError('There is no such board.');
  await PledgeSignatureModel.updateOne(
    { _id: signature._id },
    { $set: { boardId: props.boardId, showRoundReadiness: props.showRoundReadiness ?? false } },
  );
  await PledgeAuditEntryModel.create({
    signatureId: signature._id,
    action: 'board-linked',
    reason: `board ${props.boardId}`,
    actorId: props.actor.id,
    actorLabel: props.actor.name,
    kind: signature.kind,
    organisationType: signature.organisationType,
    at: props.now ?? new Date(),
  });
  return {
    signatureId: String(signature._id),
    boardId: props.boardId,
    showRoundReadiness: props.showRoundReadiness ?? false,
  };
}

export async function unlinkSignatureFromBoard(props: { signatureId: string; actor: Express.User; now?: Date }) {
  const signature = await loadForBoard(props.signatureId, props.actor);
  await PledgeSignatureModel.updateOne({ _id: signature._id }, { $set: { boardId: null, showRoundReadiness: false } });
  await PledgeAuditEntryModel.create({
    signatureId: signature._id,
    action: 'board-unlinked',
    actorId: props.actor.id,
    actorLabel: props.actor.name,
    kind: signature.kind,
    organisationType: signature.organisationType,
    at: props.now ?? new Date(),
  });
}

/** The board's choice to show (or not) its readiness figure; also available to the contact on her manage page. */
export async function setRoundReadinessDisplay(props: { signatureId: string; show: boolean; actor: Express.User }) {
  const signature = await loadForBoard(props.signatureId, props.actor);
  if (!signature.boardId) throw new NotFoundError('This signature is not linked to a board.');
  await PledgeSignatureModel.updateOne({ _id: signature._id }, { $set: { showRoundReadiness: props.show } });
}

/** The signature linked to a board, if any (for the boards page to show "signed the Pledge"). */
export async function signatureForBoard(boardId: string) {
  if (!isObjectId(boardId)) return null;
  const s = await PledgeSignatureModel.findOne({ boardId, status: 'confirmed', hidden: false }).lean();
  return s ? { id: String(s._id), name: s.name, showRoundReadiness: s.showRoundReadiness ?? false } : null;
}
