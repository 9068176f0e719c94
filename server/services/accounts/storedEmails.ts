import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { canonicalEmail } from '../../emailAddresses.ts';

/**
 * Addresses an earlier version could have stored in another form than `canonicalEmail` gives: those with a letter
 * beyond printable ASCII (a CSV import kept a Unicode domain as pasted, possibly not in NFC), a punycode label, or a
 * root dot. Every other stored address (plain ASCII, lower-cased) is already canonical, so only these are read.
 */
const maybeOtherForm = { $regex: '[^ -~]|xn--|\\.$' };

export type StoredEmailRepair = {
  /** Documents whose address was rewritten to its canonical form. */
  repaired: number;
  /**
   * Documents left as they are because another account (or signature) already holds the canonical form: ids only,
   * as logs never quote an address.
   */
  clashes: { collection: 'users' | 'pledgesignatures'; id: string; canonicalHeldBy: string | undefined }[];
};

/**
 * Rewrites stored addresses to their canonical form, so "ana@xn--caf-dma.fr" signs in as "ana@café.fr" does.
 * Run at every start: idempotent (a canonical address is left alone), and safe with several processes starting at
 * once, as each rewrite is conditional on the address it read. When the canonical form is already another account's
 * (one person with two accounts, made before addresses had one form), nothing is merged: both are reported, for an
 * admin to decide which to keep.
 */
export async function repairStoredEmails(): Promise<StoredEmailRepair> {
  const result: StoredEmailRepair = { repaired: 0, clashes: [] };
  for (const user of await UserModel.find({ email: maybeOtherForm }, { email: 1 }).lean()) {
    const email = canonicalEmail(user.email);
    if (email === user.email) continue;
    try {
      const { modifiedCount } = await UserModel.updateOne({ _id: user._id, email: user.email }, { $set: { email } });
      result.repaired += modifiedCount;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const holder = await UserModel.findOne({ email }, { _id: 1 }).lean();
      result.clashes.push({
        collection: 'users',
        id: String(user._id),
        canonicalHeldBy: holder ? String(holder._id) : undefined,
      });
    }
  }
  for (const signature of await PledgeSignatureModel.find({ email: maybeOtherForm }, { email: 1, signKey: 1 }).lean()) {
    const email = canonicalEmail(signature.email);
    if (email === signature.email) continue;
    // The key starts with the address as it was stored (signKeyOf); the rest (kind, organisation name) is kept.
    const signKey = signature.signKey.startsWith(`${signature.email}|`)
      ? `${email}${signature.signKey.slice(signature.email.length)}`
      : signature.signKey;
    try {
      const { modifiedCount } = await PledgeSignatureModel.updateOne(
        { _id: signature._id, email: signature.email },
        { $set: { email, signKey } },
      );
      result.repaired += modifiedCount;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const holder = await PledgeSignatureModel.findOne({ signKey }, { _id: 1 }).lean();
      result.clashes.push({
        collection: 'pledgesignatures',
        id: String(signature._id),
        canonicalHeldBy: holder ? String(holder._id) : undefined,
      });
    }
  }
  return result;
}
