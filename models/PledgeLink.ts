import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Emailed links of the Pledge: 'confirm' (prove the email, 7 days) and 'manage' (the contact manages her
 * signature without an account, 24 hours). Single use: consuming is a conditional update on `usedAt: null`.
 * Only the SHA-256 of the secret is stored.
 */
export const pledgeLinkPurposes = ['confirm', 'manage'] as const;
const pledgeLinkSchema = new Schema(
  {
    purpose: { type: String, enum: pledgeLinkPurposes, required: true },
    signatureId: { type: Schema.Types.ObjectId, ref: 'PledgeSignature', required: true },
    tokenHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
    /** Set (with `usedAt`) when a newer confirmation link voided this one, so its page can say so. */
    replacedAt: { type: Date, default: null },
    /**
     * On a signature's one live confirmation link, the signature; taken off in the write that uses or replaces it.
     * Unique, so two signings at once cannot leave two live links (issuePledgeLink). Never null: a unique index
     * collides on nulls (and on MongoDB on a missing field, hence `sparse`; FerretDB ignores the option, and does not
     * index a missing field).
     */
    liveFor: { type: Schema.Types.ObjectId },
  },
  { timestamps: true },
);
pledgeLinkSchema.index({ tokenHash: 1 }, { unique: true });
pledgeLinkSchema.index({ signatureId: 1 });
pledgeLinkSchema.index({ liveFor: 1 }, { unique: true, sparse: true });
pledgeLinkSchema.index({ expiresAt: 1 });

export type PledgeLink = InferSchemaType<typeof pledgeLinkSchema>;
export const PledgeLinkModel = model('PledgeLink', pledgeLinkSchema);
