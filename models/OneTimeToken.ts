import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Single-use links sent by email (password reset, invitation, confirming a new email address). Only the hash is
 * stored.
 * `usedAt` is set when consumed; consuming is a conditional update on `usedAt: null`.
 */
const oneTimeTokenSchema = new Schema(
  {
    purpose: { type: String, enum: ['password-reset', 'invitation', 'email-change'], required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    tokenHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
    /** email-change: the address that becomes hers when the link is followed. */
    newEmail: { type: String, lowercase: true, trim: true },
  },
  { timestamps: true },
);
oneTimeTokenSchema.index({ tokenHash: 1 }, { unique: true });
oneTimeTokenSchema.index({ expiresAt: 1 });

export type OneTimeToken = InferSchemaType<typeof oneTimeTokenSchema>;
export const OneTimeTokenModel = model('OneTimeToken', oneTimeTokenSchema);
