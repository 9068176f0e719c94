import { PledgeSignatureModel, type OrganisationType, type SignatureKind } from '../../../models/PledgeSignature.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { NotFoundError } from '../../errors.ts';
import { logger } from '../../logger.ts';
import { spendAllowance } from '../rateLimits.ts';
import {
  claimPledgeLink,
  consumePledgeLink,
  findPledgeLink,
  issuePledgeLink,
  linkMessages,
  unusableBecause,
} from './links.ts';
import { sendPledgeEmail } from './mail.ts';
import { normaliseName, signKeyOf } from './normalise.ts';
import { canonicalEmail } from '../../emailAddresses.ts';
import { listChanged } from './listCache.ts';
import { personName } from '../accounts/names.ts';

const messages = {
  gone: 'This signature no longer exists.',
  tooManySignings: 'Too many signatures from this connection. Please wait a few minutes and try again.',
  tooManyLinkRequests: 'Too many requests for links. Please wait a few minutes and try again.',
};

/**
 * Signings per connection (its address) in 15 minutes, counted in the database so the limit holds across processes.
 * Only signings that pass validation count: the limit is there to stop confirmation emails being sent and signatures
 * stored in bulk, and a refused attempt does neither; a school's staff, who share one address, should not use up each
 * other's allowance by correcting a typo.
 */
export const signingLimit = { limit: 10, windowMs: 15 * 60 * 1000 };

/**
 * Requests for manage links per connection in 15 minutes, counted like signingLimit (in the database; only well-formed
 * requests count, before anything is looked up, so the refusal is the same for every address). Each may send an email
 * to someone else's address, but a link is single-use and each address gets at most its own signatures' links; the
 * password reset's 20 (same design) leaves room for a school office or a conference's Wi-Fi behind one address.
 */
export const manageLinkLimit = { limit: 20, windowMs: 15 * 60 * 1000 };

export type SignInput = {
  kind: SignatureKind;
  name: string;
  email: string;
  organisationType?: OrganisationType;
  /** Optional details: absent leaves what a signature already has; empty (only spaces) clears it. */
  role?: string;
  contactName?: string;
  region: string;
  country: string;
  showName?: boolean;
};

/** An optional detail as stored: undefined when not given (no change), null when given empty (cleared). */
const optional = (value: string | undefined) => (value === undefined ? undefined : value.trim() || null);

/** The fields a signer controls, as stored. */
function detailsOf(input: SignInput) {
  const organisation = input.kind === 'organisation';
  return {
    name: personName(input.name),
    organisationType: organisation ? input.organisationType : undefined,
    role: organisation ? undefined : optional(input.role),
    contactName: organisation ? optional(input.contactName && personName(input.contactName)) : undefined,
    // Spaces as a reader sees them; letter case is kept as typed and compared when read (listing.ts, regionsByKey).
    region: input.region.trim().replace(/\s+/g, ' '),
    country: input.country.toUpperCase(),
    showName: organisation ? false : Boolean(input.showName),
  };
}

/** The details she gave, cleared ones (null) included: what waits in `pendingChanges` for a new link. */
const givenDetails = (details: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined));

/** A write of details (and `also`): the given ones set, the cleared ones (null) unset, the absent ones left alone. */
function detailsUpdate(details: Record<string, unknown>, also: Record<string, unknown> = {}) {
  const given = Object.entries(givenDetails(details));
  const $set = { ...Object.fromEntries(given.filter(([, v]) => v !== null)), ...also };
  const $unset = Object.fromEntries(given.filter(([, v]) => v === null).map(([k]) => [k, 1]));
  return Object.keys($unset).length ? { $set, $unset } : { $set };
}

const derived = (kind: SignatureKind, details: { name: string; showName: boolean }) => ({
  nameKey: normaliseName(details.name),
  listed: kind === 'organisation' || details.showName,
});

/**
 * Records a signature and emails a confirmation link; the answer is the same whether or not the email has signed
 * before, so the form reveals nothing. A first signing creates a pending signature; signing again while pending
 * replaces the details (and the earlier link stops working); signing again once confirmed keeps the public
 * details until the new link is followed, so nobody can change an organisation's entry by knowing its email.
 */
export async function signPledge(props: {
  input: SignInput;
  now: Date;
  /** The connection she signs from (its address): the key of signingLimit. */
  connection: string;
}): Promise<{ status: 'pending' }> {
  const { input, now } = props;
  await spendAllowance({
    key: `pledge-sign|${props.connection}`,
    ...signingLimit,
    now,
    refusal: messages.tooManySignings,
  });
  const email = canonicalEmail(input.email);
  const signKey = signKeyOf({ email, kind: input.kind, name: input.name });
  const details = detailsOf(input);
  let signature = await PledgeSignatureModel.findOne({ signKey });
  if (!signature) {
    try {
      signature = await PledgeSignatureModel.create({
        kind: input.kind,
        email,
        signKey,
        status: 'pending',
        ...detailsUpdate(details).$set,
        ...derived(input.kind, details),
      });
    } catch (error) {
      // Two first signings at once: the unique signKey lets one insert win; the other becomes an update.
      if (!isDuplicateKeyError(error)) throw error;
      signature = await PledgeSignatureModel.findOne({ signKey });
      if (!signature) throw error;
    }
  } else {
    // Conditional on "pending": confirmed meanwhile (another process), the new details wait for their link instead.
    const replaced =
      signature.status === 'pending' &&
      (
        await PledgeSignatureModel.updateOne(
          { _id: signature._id, status: 'pending' },
          detailsUpdate({ ...details, ...derived(input.kind, details) }),
        )
      ).matchedCount === 1;
    if (!replaced)
      await PledgeSignatureModel.updateOne({ _id: signature._id }, { $set: { pendingChanges: givenDetails(details) } });
  }
  const link = await issuePledgeLink({ purpose: 'confirm', signatureId: signature._id, now });
  try {
    // The signature is stored: the page does not wait for a slow mail server longer than a few seconds, and a
    // temporary refusal is tried again by the job (sendPledgeEmail).
    await sendPledgeEmail({
      template: 'pledge-confirm',
      to: email,
      data: { link, isChange: signature.status === 'confirmed', kind: input.kind },
    });
  } catch (error) {
    // Only the outbox itself failing is left (signing again re-sends). It must not tell the visitor anything about the email.
    logger.error({ err: error, signatureId: String(signature._id) }, 'pledge confirmation email not sent');
  }
  return { status: 'pending' };
}

/** What a confirmation link's page shows: the details it confirms, and whether that is still to do or done. */
export type ConfirmationView = {
  /** 'ready': the Confirm button; 'confirmed-now': this request confirmed it; 'already-confirmed': an earlier one did. */
  state: 'ready' | 'confirmed-now' | 'already-confirmed';
  id: string;
  kind: SignatureKind;
  name: string;
  organisationType?: string;
  role?: string;
  region: string;
  country: string;
  showName: boolean;
  /** The signature was already confirmed and the link confirms new details. */
  isChange: boolean;
};

type StoredSignature = NonNullable<Awaited<ReturnType<typeof loadSignature>>>;
const loadSignature = (id: unknown) => PledgeSignatureModel.findById(id).lean();

/**
 * The details as they will read once the link is followed: pending changes over the stored ones. In the pending
 * changes an optional detail she emptied is null (cleared), one she did not send is absent (kept).
 */
function confirmedDetails(signature: StoredSignature) {
  const changes: Record<string, unknown> = signature.pendingChanges
    ? Object.fromEntries(Object.entries(signature.pendingChanges).filter(([, v]) => v !== undefined))
    : {};
  const text = (key: string, fallback: string | null | undefined) =>
    changes[key] === null ? undefined : typeof changes[key] === 'string' ? changes[key] : (fallback ?? undefined);
  return {
    changes,
    name: text('name', signature.name)!,
    organisationType: text('organisationType', signature.organisationType),
    role: text('role', signature.role),
    region: text('region', signature.region)!,
    country: text('country', signature.country)!,
    showName: typeof changes.showName === 'boolean' ? changes.showName : Boolean(signature.showName),
  };
}

function presentConfirmation(
  signature: StoredSignature,
  state: ConfirmationView['state'],
  isChange: boolean,
): ConfirmationView {
  const { changes, ...details } = confirmedDetails(signature);
  void changes;
  return { state, id: String(signature._id), kind: signature.kind, isChange, ...details };
}

/**
 * What a confirmation link shows before anyone presses Confirm. It changes nothing: mail scanners open every link in
 * an email, and a link they used up would be dead when the person clicks it. A link already used for its signature
 * says the signature is confirmed; an unknown, expired or replaced link is a 404 that says which.
 */
export async function viewConfirmation(props: { secret: string; now: Date }): Promise<ConfirmationView> {
  const link = await findPledgeLink({ purpose: 'confirm', secret: props.secret });
  const signature = await loadSignature(link.signatureId);
  if (!signature) throw new NotFoundError(messages.gone);
  const reason = unusableBecause(link, props.now);
  if (!reason) return presentConfirmation(signature, 'ready', signature.status === 'confirmed');
  // Used by its own confirmation (whose write may be landing this instant), or replaced while nothing is left to
  // confirm: either way the signature stands.
  if (link.usedAt && !link.replacedAt) return presentConfirmation(signature, 'already-confirmed', false);
  if (link.replacedAt && signature.status === 'confirmed' && !signature.pendingChanges)
    return presentConfirmation(signature, 'already-confirmed', false);
  throw new NotFoundError(reason);
}

/**
 * Presses Confirm: the signature becomes confirmed (or its new details are applied). The link is single use and
 * expires after 7 days; of simultaneous presses one confirms ('confirmed-now') and the others see 'already-confirmed'.
 */
export async function confirmSignature(props: { secret: string; now: Date }): Promise<ConfirmationView> {
  const { link, won } = await claimPledgeLink({ purpose: 'confirm', secret: props.secret, now: props.now });
  const signature = await loadSignature(link.signatureId);
  if (!signature) throw new NotFoundError(messages.gone);
  if (!won) {
    // An earlier press used the link (perhaps a moment ago). If its write has not landed yet (or it died between its two
    // writes), the same confirmation is applied here: it is what that press was doing.
    if (signature.status === 'pending') await applyConfirmation(signature, props.now);
    return presentConfirmation(signature, 'already-confirmed', false);
  }
  await applyConfirmation(signature, props.now);
  // A change of a signature confirmed before this link was made; not one another press of this same link confirmed a
  // moment ago, which read it pending ("Thank you for signing" there too, not "Your changes are confirmed").
  const confirmedBefore =
    signature.status === 'confirmed' &&
    (!signature.confirmedAt || !link.createdAt || signature.confirmedAt.getTime() < link.createdAt.getTime());
  return presentConfirmation(signature, 'confirmed-now', confirmedBefore);
}

/**
 * The signature becomes confirmed, with any new details it waited for; the same result however often it runs.
 * Written only over the signature as read (its `updatedAt`): if she signed again meanwhile (on another process), the
 * details she typed then wait for the link that signing sends, and this press, whose link that signing replaced, is
 * told so. Without the condition the press would confirm the older details and wipe the newer ones.
 */
async function applyConfirmation(signature: StoredSignature, now: Date): Promise<void> {
  const { changes, ...details } = confirmedDetails(signature);
  const written = await PledgeSignatureModel.updateOne(
    { _id: signature._id, updatedAt: signature.updatedAt ?? null },
    detailsUpdate(
      { ...changes, ...derived(signature.kind, details) },
      { status: 'confirmed', confirmedAt: signature.confirmedAt ?? now, pendingChanges: null },
    ),
  );
  if (written.matchedCount === 0) {
    const current = await loadSignature(signature._id);
    if (!current) throw new NotFoundError(messages.gone);
    // Another press of this link applied it meanwhile: done. Anything else is a newer signing waiting for its link.
    if (current.status !== 'confirmed' || current.pendingChanges) throw new NotFoundError(linkMessages.replaced);
  }
  await listChanged();
}

/**
 * Asks for a "manage your pledge" link: spends one of the connection's manageLinkLimit (past it, a RateLimitedError,
 * 429, before anything is looked up) and returns the sending, for the caller to run once she has her answer — how long
 * the sending takes would tell whether the address signed (afterAnswering). The answer is the same either way.
 */
export async function requestManageLink(props: {
  email: string;
  now: Date;
  /** The connection she asks from (its address): the key of manageLinkLimit. */
  connection: string;
}): Promise<{ send: () => Promise<void> }> {
  await spendAllowance({
    key: `pledge-manage-link|${props.connection}`,
    ...manageLinkLimit,
    now: props.now,
    refusal: messages.tooManyLinkRequests,
  });
  return { send: () => sendManageLinks({ email: props.email, now: props.now }) };
}

/**
 * Emails a manage link for each confirmed signature made with this address (none when it has none), each naming the
 * signature it manages (an address may have signed for a school and for its trust), and a fresh
 * confirmation link for each one still waiting for it: she signed, lost or let lapse the first link, and asks here;
 * there is nothing to manage until she confirms, and she would otherwise hear nothing at all.
 */
async function sendManageLinks(props: { email: string; now: Date }): Promise<void> {
  const all = await PledgeSignatureModel.find({
    email: canonicalEmail(props.email),
    status: { $in: ['confirmed', 'pending'] },
  }).lean();
  for (const pending of all.filter((s) => s.status === 'pending')) {
    // A fresh link restarts the month an unconfirmed signature is kept (retention.ts counts from updatedAt), so the
    // clean-up cannot delete it while its new link is still good. Conditional: one confirmed or purged meanwhile is
    // left alone and gets no link.
    const touched = await PledgeSignatureModel.updateOne(
      { _id: pending._id, status: 'pending' },
      { $set: { updatedAt: props.now } },
      { timestamps: false },
    );
    if (touched.matchedCount !== 1) continue;
    const link = await issuePledgeLink({ purpose: 'confirm', signatureId: pending._id, now: props.now });
    try {
      await sendPledgeEmail({
        template: 'pledge-confirm',
        to: pending.email,
        data: { link, isChange: false, kind: pending.kind },
      });
    } catch (error) {
      logger.error({ err: error, signatureId: String(pending._id) }, 'pledge confirmation email not sent');
    }
  }
  const signatures = all.filter((s) => s.status === 'confirmed');
  for (const signature of signatures) {
    const link = await issuePledgeLink({ purpose: 'manage', signatureId: signature._id, now: props.now });
    try {
      await sendPledgeEmail({
        template: 'pledge-manage',
        to: signature.email,
        data: {
          name: signature.contactName || signature.name,
          link,
          signatureName: signature.name,
          kind: signature.kind,
        },
      });
    } catch (error) {
      logger.error({ err: error, signatureId: String(signature._id) }, 'pledge manage email not sent');
    }
  }
}

/**
 * A manage link as its page opens it, before the press that uses it: one used, replaced or expired already is a 404
 * saying which, as the invitation and reset pages say on opening, not a "Continue" that then fails.
 */
export async function checkManageLink(props: { secret: string; now: Date }): Promise<void> {
  const link = await findPledgeLink({ purpose: 'manage', secret: props.secret });
  const refused = unusableBecause(link, props.now);
  if (refused) throw new NotFoundError(refused);
}

/** Uses a manage link once; the caller then grants the browser session access to that signature. */
export async function openManageLink(props: { secret: string; now: Date }): Promise<{ signatureId: string }> {
  const link = await consumePledgeLink({ purpose: 'manage', secret: props.secret, now: props.now });
  const exists = await PledgeSignatureModel.exists({ _id: link.signatureId, status: 'confirmed' });
  if (!exists) throw new NotFoundError(messages.gone);
  return { signatureId: String(link.signatureId) };
}
