import { PledgeLinkModel } from '../../../models/PledgeLink.ts';
import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';

const day = 24 * 60 * 60 * 1000;

/**
 * How long unconfirmed data is kept. A confirmation link lasts 7 days; three more weeks let a signer who comes
 * back late be told "expired, sign again" rather than "unknown". After that, the details of someone who never
 * proved her address are deleted: we hold no personal data for a signature that never counted.
 */
export const retention = { unconfirmedSignatureDays: 30, spentLinkDays: 30 } as const;

/**
 * Deletes signatures left pending for a month (and their links), the unconfirmed new details of a confirmed one after
 * a month, and links a month past expiry.
 */
export async function purgeStalePledgeData(now: Date): Promise<{ signatures: number; links: number }> {
  const signatureCutoff = new Date(now.getTime() - retention.unconfirmedSignatureDays * day);
  const stale = await PledgeSignatureModel.find(
    { status: 'pending', updatedAt: { $lt: signatureCutoff } },
    { _id: 1 },
  ).lean();
  let signatures = 0;
  for (const { _id } of stale) {
    // Re-checked at delete time: a signer who signed again meanwhile has a fresh updatedAt and is kept, and so is the
    // link she was just sent. Its links go only once it has: a purge stopped in between leaves links to nothing, which
    // answer as unknown and are deleted a month past their expiry below.
    const deleted = await PledgeSignatureModel.deleteOne({
      _id,
      status: 'pending',
      updatedAt: { $lt: signatureCutoff },
    });
    if (deleted.deletedCount !== 1) continue;
    await PledgeLinkModel.deleteMany({ signatureId: _id });
    signatures += 1;
  }
  // Details typed again for a confirmed signature wait for their own link (7 days); never followed within the month,
  // they were never proved either. Re-checked in the write: signing again meanwhile moves updatedAt.
  await PledgeSignatureModel.updateMany(
    { status: 'confirmed', pendingChanges: { $ne: null }, updatedAt: { $lt: signatureCutoff } },
    { $set: { pendingChanges: null } },
    { timestamps: false },
  );
  const links = await PledgeLinkModel.deleteMany({
    expiresAt: { $lt: new Date(now.getTime() - retention.spentLinkDays * day) },
  });
  return { signatures, links: links.deletedCount };
}
