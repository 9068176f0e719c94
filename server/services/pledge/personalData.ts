import { PledgeAuditEntryModel } from '../../../models/PledgeAuditEntry.ts';
import { PledgeCommitmentOptionModel } from '../../../models/PledgeCommitmentOption.ts';
import { PledgeLinkModel } from '../../../models/PledgeLink.ts';
import { PledgeProgressUpdateModel } from '../../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';
import { UserModel } from '../../../models/User.ts';
import { provenEmailOf } from '../../policies/accounts.ts';
import { formerMemberName } from '../learning/personalData.ts';
import { listChanged } from './listCache.ts';
import { personalDataArea } from '../privacy/personalData.ts';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

/**
 * The address her Pledge signatures are hers by: only one she holds (provenEmailOf), since an LMS can make an account
 * under anyone's address, and that account must not export, nor its erasure erase, a signer's signatures.
 */
async function emailOf(userId: unknown): Promise<string | null> {
  const user = await UserModel.findById(userId, { email: 1, emailUnverified: 1 }).lean();
  const email = provenEmailOf(user ? { email: user.email, emailUnverified: user.emailUnverified === true } : undefined);
  // After the account's own erasure her address is a placeholder: nothing of hers is found by it.
  return email && !email.endsWith('@erased.invalid') ? email : null;
}

/**
 * The Pledge: signatures made with her account's email, with the progress updates posted on them. Erasure keeps each
 * confirmed signature (the Pledge's counts stay the same) but removes her: the email becomes a placeholder, an
 * individual's name becomes "Former member" and leaves the public list, an organisation's contact name goes, the
 * emailed links stop working, and the Pledge's audit entries of what she did read "Former member". It runs before
 * the account's own erasure replaces her email.
 */
export const pledgePersonalData = personalDataArea({
  area: 'pledge',
  columns: {
    signatures: [
      'kind',
      'name',
      'organisationType',
      'role',
      'contactName',
      'email',
      'region',
      'country',
      'showName',
      'status',
      'confirmedAt',
      'commitments',
      'progressUpdates',
    ],
  },
  async exportFor(userId) {
    const email = await emailOf(userId);
    const signatures = email ? await PledgeSignatureModel.find({ email }).lean() : [];
    // The progress updates she posted as the signature's contact are her words too.
    const updates = signatures.length
      ? await PledgeProgressUpdateModel.find({ signatureId: { $in: signatures.map((s) => s._id) } })
          .sort({ postedAt: 1 })
          .lean()
      : [];
    const options = await PledgeCommitmentOptionModel.find({ _id: { $in: updates.map((u) => u.optionId) } })
      .select({ title: 1 })
      .lean();
    const titleOf = new Map(options.map((o) => [String(o._id), o.title]));
    return {
      signatures: signatures.map((s) => ({
        kind: s.kind,
        name: s.name,
        organisationType: s.organisationType ?? null,
        role: s.role ?? null,
        contactName: s.contactName ?? null,
        email: s.email,
        region: s.region,
        country: s.country,
        showName: s.showName,
        status: s.status,
        confirmedAt: iso(s.confirmedAt),
        commitments: s.commitments.map((c) => ({ optionId: String(c.optionId), addedAt: iso(c.addedAt) })),
        progressUpdates: updates
          .filter((u) => String(u.signatureId) === String(s._id))
          .map((u) => ({
            commitment: titleOf.get(String(u.optionId)) ?? null,
            body: u.body,
            postedAt: iso(u.postedAt),
          })),
      })),
    };
  },
  async eraseFor(userId) {
    // What she did as a signed-in contact or admin (linked a board, hid a signature) stays in the Pledge's audit, by
    // her id, without her name: the entries are kept for good, and their label is what the admin pages show.
    await PledgeAuditEntryModel.updateMany(
      { actorId: userId, actorLabel: { $ne: formerMemberName } },
      { $set: { actorLabel: formerMemberName } },
    );
    const email = await emailOf(userId);
    if (!email) return;
    for (const s of await PledgeSignatureModel.find({ email }).lean()) {
      const placeholder = `erased-${String(s._id)}@erased.invalid`;
      const individual = s.kind === 'individual';
      await PledgeSignatureModel.updateOne(
        { _id: s._id },
        {
          $set: {
            email: placeholder,
            signKey: `erased:${String(s._id)}`,
            pendingChanges: null,
            ...(individual ? { name: formerMemberName, nameKey: 'former member', showName: false, listed: false } : {}),
          },
          $unset: { contactName: 1, ...(individual ? { role: 1 } : {}) },
        },
      );
      await PledgeLinkModel.deleteMany({ signatureId: s._id });
    }
    // Her name leaves the public list at once, on every process: its cached pages are rebuilt (listCache.ts).
    await listChanged();
  },
});
