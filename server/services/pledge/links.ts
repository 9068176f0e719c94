import type { Types } from 'mongoose';
import { PledgeLinkModel } from '../../../models/PledgeLink.ts';
import { NotFoundError } from '../../errors.ts';
import { absoluteUrl } from '../../settings.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { claimSingleUse } from '../singleUse.ts';

const messages = {
  unknown: 'This link is not valid. Check that you copied the whole address from the email.',
  used: 'This link has already been used. If you confirmed your signature, it is on the list; to manage it, ask for a new link on the Pledge page.',
  expired: 'This link has expired. Sign the Pledge again with the same details (or ask for a new link to manage your pledge) and we will send you a fresh one.',
};

export const linkLifetimes = { confirm: 7 * 24 * 60 * 60 * 1000, manage: 24 * 60 * 60 * 1000 } as const;
type Purpose = keyof typeof linkLifetimes;
const paths: Record<Purpose, string> = { confirm: '/pledge/confirm/', manage: '/pledge/manage/' };

/** Issues a new single-use link; for 'confirm', earlier unused confirmation links of the signature stop working. */
export async function issuePledgeLink(props: { purpose: Purpose; signatureId: Types.ObjectId | string; now: Date }): Promise<string> {
  if (props.purpose === 'confirm') {
    await PledgeLinkModel.updateMany({ signatureId: props.signatureId, purpose: 'confirm', usedAt: null }, { $set: { usedAt: props.now } });
  }
  const secret = newSecret();
  await PledgeLinkModel.create({ purpose: props.purpose, signatureId: props.signatureId, tokenHash: hashSecret(secret), expiresAt: new Date(props.now.getTime() + linkLifetimes[props.purpose]) });
  return absoluteUrl(paths[props.purpose] + secret);
}

/** The link behind a secret if it can still be used, else a 404 saying why (unknown, used or expired). */
export async function findUsableLink(props: { purpose: Purpose; secret: string; now: Date }) {
  const link = typeof props.secret === 'string' && props.secret.length <= 200 ? await PledgeLinkModel.findOne({ purpose: props.purpose, tokenHash: hashSecret(props.secret) }).lean() : null;
  if (!link) throw new NotFoundError(messages.unknown);
  if (link.usedAt) throw new NotFoundError(messages.used);
  if (link.expiresAt <= props.now) throw new NotFoundError(messages.expired);
  return link;
}

/** Uses a link once: a single-use claim (a unique insert), so of two simultaneous clicks exactly one wins. */
export async function consumePledgeLink(props: { purpose: Purpose; secret: string; now: Date }) {
  const link = await findUsableLink(props);
  if (!(await claimSingleUse(`pledge-link:${String(link._id)}`, { now: props.now, expiresAt: link.expiresAt }))) throw new NotFoundError(messages.used);
  await PledgeLinkModel.updateOne({ _id: link._id }, { $set: { usedAt: props.now } });
  return link;
}
