import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * Who a platform's user is in Pathways: (`platformId`, `sub`) → user, unique. People are matched by this and
 * nothing else; the email a platform asserts never links an account by itself.
 */
const ltiAccountSchema = new Schema(
  {
    platformId: { type: Schema.Types.ObjectId, ref: 'LtiPlatform', required: true },
    issuer: { type: String, required: true },
    sub: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);
ltiAccountSchema.index({ platformId: 1, sub: 1 }, { unique: true });
ltiAccountSchema.index({ userId: 1 });

export type LtiAccount = InferSchemaType<typeof ltiAccountSchema> & { _id: Types.ObjectId };
export const LtiAccountModel = model('LtiAccount', ltiAccountSchema, 'lti_accounts');
