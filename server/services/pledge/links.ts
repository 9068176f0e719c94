import type { Types } from 'mongoose';
import { PledgeLinkModel } from '../../../models/PledgeLink.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { NotFoundError } from '../../errors.ts';
import { absoluteUrl } from '../../settings.ts';
import { hashSecret, newSecret } from '../secrets.ts';

const messages = {
  unknown: 'This link is not valid. Check that you copied the whole address from the email.',
  used: 'This link has already been used. If you confirmed your signature, it is on the list; to manage it, ask for a new link on the Pledge page.',
  expired:
    'This link has expired. Sign the Pledge again with the same details (or ask for a new link to manage your pledge) and we will send you a fresh one.',
  replaced: 'A newer link has been sent since this one, so this one no longer works. Use the link in the latest email.',
};

/** What a link that cannot be used says, for callers that find out later (signing.ts). */
export const linkMessages = messages;

export const linkLifetimes = { confirm: 7 * 24 * 60 * 60 * 1000, manage: 24 * 60 * 60 * 1000 } as const;
type Purpose = keyof typeof linkLifetimes;
type NewLink = { purpose: Purpose; signatureId: Types.ObjectId | string; tokenHash: string; expiresAt: Date };
const paths: Record<Purpose, string> = { confirm: '/pledge/confirm/', manage: '/pledge/manage/' };
/** Each try at the live slot loses only to a link inserted in that instant: more than a few means something is wrong. */
const maxSlotAttempts = 8;

/** Issues a new single-use link; for 'confirm', earlier unused confirmation links of the signature stop working. */
export async function issuePledgeLink(props: {
  purpose: Purpose;
  signatureId: Types.ObjectId | string;
  now: Date;
}): Promise<string> {
  const secret = newSecret();
  const link: NewLink = {
    purpose: props.purpose,
    signatureId: props.signatureId,
    tokenHash: hashSecret(secret),
    expiresAt: new Date(props.now.getTime() + linkLifetimes[props.purpose]),
  };
  if (props.purpose === 'confirm') await insertLiveConfirmLink(link, props.now);
  else await PledgeLinkModel.create(link);
  return absoluteUrl(paths[props.purpose] + secret);
}

/**
 * A new confirmation link takes the signature's one live slot (`liveFor`, unique) after retiring the links before it.
 * If another signing's link took the slot between the two writes, that link is retired too and the insert tried
 * again, so of signings at the same moment, from any process, one link is left working: the last to take the slot.
 */
async function insertLiveConfirmLink(link: NewLink, now: Date): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // `usedAt: null` also finds a live link issued before `liveFor` existed.
    await PledgeLinkModel.updateMany(
      { signatureId: link.signatureId, purpose: 'confirm', usedAt: null },
      { $set: { usedAt: now, replacedAt: now }, $unset: { liveFor: 1 } },
    );
    try {
      await PledgeLinkModel.create({ ...link, liveFor: link.signatureId });
      return;
    } catch (error) {
      if (!isDuplicateKeyError(error) || attempt >= maxSlotAttempts) throw error;
    }
  }
}

/** The link behind a secret, used or not, or a 404 when there is none. */
export async function findPledgeLink(props: { purpose: Purpose; secret: string }) {
  const link =
    typeof props.secret === 'string' && props.secret.length <= 200
      ? await PledgeLinkModel.findOne({ purpose: props.purpose, tokenHash: hashSecret(props.secret) }).lean()
      : null;
  if (!link) throw new NotFoundError(messages.unknown);
  return link;
}

/** Why a link cannot be used (used, replaced by a newer one, expired), or null when it still can. */
export function unusableBecause(
  link: { usedAt?: Date | null; replacedAt?: Date | null; expiresAt: Date },
  now: Date,
): string | null {
  if (link.replacedAt) return messages.replaced;
  if (link.usedAt) return messages.used;
  if (link.expiresAt <= now) return messages.expired;
  return null;
}

/**
 * Uses a link once with a conditional update (`usedAt: null` and unexpired → used now), atomic on MongoDB and on our
 * patched FerretDB, so of simultaneous clicks exactly one gets `won: true`. A click on a link that was already used
 * gets `won: false` with the link, so the caller can show what the first click did; unknown, expired or replaced
 * links are a 404 saying which.
 */
export async function claimPledgeLink(props: { purpose: Purpose; secret: string; now: Date }) {
  const tokenHash = typeof props.secret === 'string' && props.secret.length <= 200 ? hashSecret(props.secret) : null;
  const claimed = tokenHash
    ? await PledgeLinkModel.findOneAndUpdate(
        { purpose: props.purpose, tokenHash, usedAt: null, expiresAt: { $gt: props.now } },
        { $set: { usedAt: props.now }, $unset: { liveFor: 1 } },
        { returnDocument: 'after' },
      ).lean()
    : null;
  if (claimed) return { link: claimed, won: true };
  const link = await findPledgeLink(props);
  if (link.usedAt && !link.replacedAt) return { link, won: false };
  throw new NotFoundError(unusableBecause(link, props.now) ?? messages.used);
}

/** Uses a link once, or throws a 404 saying why it cannot be used (a link used before is "already used"). */
export async function consumePledgeLink(props: { purpose: Purpose; secret: string; now: Date }) {
  const { link, won } = await claimPledgeLink(props);
  if (!won) throw new NotFoundError(messages.used);
  return link;
}
