import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Single-use links sent by email (password reset, invitation). Only the hash is stored.
 * `usedAt` is set when consumed; consuming is a conditional update on `usedAt: null`.
 */
const oneTimeTokenSchema = new Schema(
  {
    purpose: { type: String, enum: ['password-reset', 'invitation'], required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    tokenHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
oneTimeTokenSchema.index({ tokenHash: 1 }, { unique: true });
oneTimeTokenSchema.index({ expiresAt: 1 });

export type OneTimeToken = InferSchemaType<typeof oneTimeTokenSchema>;
export const OneTimeTokenModel = model('OneTimeToken', oneTimeTokenSchema);
