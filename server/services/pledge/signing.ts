import { PledgeSignatureModel, type OrganisationType, type SignatureKind } from '../../../models/PledgeSignature.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { NotFoundError } from '../../errors.ts';
import { logger } from '../../logger.ts';
import { consumePledgeLink, issuePledgeLink } from './links.ts';
import { sendPledgeEmail } from './mail.ts';
import { normaliseEmail, normaliseName, signKeyOf } from './normalise.ts';
import { patchSnapshot } from './snapshot.ts';

export type SignInput = {
  kind: SignatureKind;
  name: string;
  email: string;
  organisationType?: OrganisationType;
  role?: string;
  contactName?: string;
  region: string;
  country: string;
  showName?: boolean;
};

/** The fields a signer controls, as stored. */
function detailsOf(input: SignInput) {
  const organisation = input.kind === 'organisation';
  return {
    name: input.name.trim(),
    organisationType: organisation ? input.organisationType : undefined,
    role: organisation ? undefined : input.role?.trim() || undefined,
    contactName: organisation ? input.contactName?.trim() || undefined : undefined,
    region: input.region.trim(),
    country: input.country.toUpperCase(),
    showName: organisation ? false : Boolean(input.showName),
  };
}

const derived = (kind: SignatureKind, details: { name: string; showName: boolean }) => ({ nameKey: normaliseName(details.name), listed: kind === 'organisation' || details.showName });

/**
 * Records a signature and emails a confirmation link; the answer is the same whether or not the email has signed
 * before, so the form reveals nothing. A first signing creates a pending signature; signing again while pending
 * replaces the details (and the earlier link stops working); signing again once confirmed keeps the public
 * details until the new link is followed, so nobody can change an organisation's entry by knowing its email.
 */
export async function signPledge(props: { input: SignInput; now: Date }): Promise<{ status: 'pending' }> {
  const { input, now } = props;
  const email = normaliseEmail(input.email);
  const signKey = signKeyOf({ email, kind: input.kind, name: input.name });
  const details = detailsOf(input);
  let signature = await PledgeSignatureModel.findOne({ signKey });
  if (!signature) {
    try {
      signature = await PledgeSignatureModel.create({ kind: input.kind, email, signKey, status: 'pending', ...details, ...derived(input.kind, details) });
    } catch (error) {
      // Two first signings at once: the unique signKey lets one insert win; the other becomes an update.
      if (!isDuplicateKeyError(error)) throw error;
      signature = await PledgeSignatureModel.findOne({ signKey });
      if (!signature) throw error;
    }
  } else if (signature.status === 'pending') {
    await PledgeSignatureModel.updateOne({ _id: signature._id }, { $set: { ...details, ...derived(input.kind, details) } });
  } else {
    await PledgeSignatureModel.updateOne({ _id: signature._id }, { $set: { pendingChanges: details } });
  }
  const link = await issuePledgeLink({ purpose: 'confirm', signatureId: signature._id, now });
  try {
    await sendPledgeEmail({ template: 'pledge-confirm', to: email, data: { name: input.kind === 'organisation' ? details.contactName || details.name : details.name, link, isChange: signature.status === 'confirmed', kind: input.kind } });
  } catch (error) {
    // The signature is stored; signing again re-sends. A failure must not tell the visitor anything about the email.
    logger.error({ err: error, signatureId: String(signature._id) }, 'pledge confirmation email not sent');
  }
  return { status: 'pending' };
}

/**
 * Follows a confirmation link: the signature becomes confirmed (or its new details are applied). The link is
 * single use and expires after 7 days.
 */
export async function confirmSignature(props: { secret: string; now: Date }) {
  const link = await consumePledgeLink({ purpose: 'confirm', secret: props.secret, now: props.now });
  const signature = await PledgeSignatureModel.findById(link.signatureId).lean();
  if (!signature) throw new NotFoundError('This signature no longer exists.');
  const changes = signature.pendingChanges ? Object.fromEntries(Object.entries(signature.pendingChanges).filter(([, v]) => v !== undefined && v !== null)) : {};
  const merged = { name: (changes.name as string | undefined) ?? signature.name, showName: (changes.showName as boolean | undefined) ?? signature.showName ?? false };
  await PledgeSignatureModel.updateOne(
    { _id: signature._id },
    { $set: { ...changes, ...derived(signature.kind, merged), status: 'confirmed', confirmedAt: signature.confirmedAt ?? props.now, pendingChanges: null } },
  );
  await patchSnapshot(signature._id);
  return { id: String(signature._id), kind: signature.kind, name: merged.name, wasConfirmed: signature.status === 'confirmed' };
}

/**
 * Emails a "manage your pledge" link for each confirmed signature made with this address. Same answer whether
 * or not there are any.
 */
export async function requestManageLink(props: { email: string; now: Date }): Promise<void> {
  const signatures = await PledgeSignatureModel.find({ email: normaliseEmail(props.email), status: 'confirmed' }).lean();
  for (const signature of signatures) {
    const link = await issuePledgeLink({ purpose: 'manage', signatureId: signature._id, now: props.now });
    try {
      await sendPledgeEmail({ template: 'pledge-manage', to: signature.email, data: { name: signature.contactName || signature.name, link } });
    } catch (error) {
      logger.error({ err: error, signatureId: String(signature._id) }, 'pledge manage email not sent');
    }
  }
}

/** Uses a manage link once; the caller then grants the browser session access to that signature. */
export async function openManageLink(props: { secret: string; now: Date }): Promise<{ signatureId: string }> {
  const link = await consumePledgeLink({ purpose: 'manage', secret: props.secret, now: props.now });
  const exists = await PledgeSignatureModel.exists({ _id: link.signatureId, status: 'confirmed' });
  if (!exists) throw new NotFoundError('This signature no longer exists.');
  return { signatureId: String(link.signatureId) };
}
