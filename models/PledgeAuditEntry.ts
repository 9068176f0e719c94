import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * What happened to a signature and why: hidden / shown again (with the admin's reason), deleted at the
 * signer's request (kept without any personal data: only kind and organisation type survive), board linked.
 */
export const pledgeAuditActions = ['hidden', 'unhidden', 'deleted', 'board-linked', 'board-unlinked'] as const;
const pledgeAuditEntrySchema = new Schema(
  {
    signatureId: { type: Schema.Types.ObjectId, required: true },
    action: { type: String, enum: pledgeAuditActions, required: true },
    reason: { type: String, default: '' },
    /** A user id, or null when the signer acted through her emailed link. */
    actorId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    actorLabel: { type: String, required: true },
    kind: { type: String },
    organisationType: { type: String },
    at: { type: Date, required: true },
  },
  { timestamps: false },
);
pledgeAuditEntrySchema.index({ signatureId: 1, at: -1 });
pledgeAuditEntrySchema.index({ at: -1 });

export type PledgeAuditEntry = InferSchemaType<typeof pledgeAuditEntrySchema>;
export const PledgeAuditEntryModel = model('PledgeAuditEntry', pledgeAuditEntrySchema);
