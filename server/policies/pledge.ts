import { hasRole } from '../auth.ts';
import { holdsEmailAddress, holdsOnlyByLmsWord } from './accounts.ts';

/**
 * Who may do what with Pledge signatures. A signature's contact need not have an account: she proves she holds
 * the email either by following an emailed link (a grant kept in her browser session) or by being signed in to
 * an account with the same email address, proved (holdsEmailAddress: not one only an LMS vouched for).
 */
export type PledgeActor = { user?: Express.User; grantedSignatureIds: readonly string[] };
type SignatureLike = { _id: unknown; email: string; status: string; kind: string };

export const isSignatureContact = (actor: PledgeActor, signature: SignatureLike): boolean =>
  signature.status === 'confirmed' &&
  (actor.grantedSignatureIds.includes(String(signature._id)) || holdsEmailAddress(actor.user, signature.email));

/** Manage (delete, name shown or not, board display): the confirmed contact only. Admins moderate instead. */
export const canManageSignature = (actor: PledgeActor, signature: SignatureLike): boolean =>
  isSignatureContact(actor, signature);

/** Commitments and progress updates: the organisation's confirmed contact only (never an admin on its behalf). */
export const canReportOnCommitments = (actor: PledgeActor, signature: SignatureLike): boolean =>
  signature.kind === 'organisation' && isSignatureContact(actor, signature);

/**
 * Whether a refusal may say the signature exists (403): to its contact (doing what her kind of signature does not
 * allow), to a browser it was granted to, to an admin, and to an account with its address (one an LMS gave is told
 * how to prove it). Anyone else gets the 404 of an unknown id: a pending signature, or an individual who chose not to
 * be named, is on no public page, and ids are easy to guess.
 */
export const mayKnowOfSignature = (actor: PledgeActor, signature: SignatureLike): boolean =>
  isSignatureContact(actor, signature) ||
  actor.grantedSignatureIds.includes(String(signature._id)) ||
  hasRole(actor.user, 'admin') ||
  holdsEmailAddress(actor.user, signature.email) ||
  holdsOnlyByLmsWord(actor.user, signature.email);

/** Hide, delete on request, maintain commitment options, dashboard and export. */
export const canModeratePledge = (user: Express.User | undefined): boolean => hasRole(user, 'admin');

/** Linking a board: the signature's contact signed in with her account (its address proved), or an admin. */
export const canLinkBoard = (user: Express.User | undefined, signature: SignatureLike): boolean =>
  !!user &&
  signature.kind === 'organisation' &&
  signature.status === 'confirmed' &&
  (hasRole(user, 'admin') || holdsEmailAddress(user, signature.email));
