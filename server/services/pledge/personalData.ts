import { PledgeLinkModel } from '../../../models/PledgeLink.ts';
import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';
import { UserModel } from '../../../models/User.ts';
import { formerMemberName } from '../learning/personalData.ts';
import type { PersonalDataArea } from '../privacy/personalData.ts';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

async function emailOf(userId: unknown): Promise<string | null> {
  const user = await UserModel.findById(userId, { email: 1 }).lean();
  // After the account's own erasure her address is a placeholder: nothing of hers is found by it.
  return user && !user.email.endsWith('@erased.invalid') ? user.email : null;
}

/**
 * The Pledge: signatures made with her account's email. Erasure keeps each confirmed signature (the Pledge's counts
 * stay the same) but removes her: the email becomes a placeholder, an individual's name becomes "Former member" and
 * leaves the public list, an organisation's contact name goes, and the emailed links stop working. It runs before
 * the account's own erasure replaces her email.
 */
export const pledgePersonalData: PersonalDataArea = {
  area: 'pledge',
  async exportFor(userId) {
    const email = await emailOf(userId);
    const signatures = email ? await PledgeSignatureModel.find({ email }).lean() : [];
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
      })),
    };
  },
  async eraseFor(userId) {
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
  },
};
