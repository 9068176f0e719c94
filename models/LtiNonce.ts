import { Schema, model } from 'mongoose';

/**
 * Nonces of accepted id_tokens, one row each: `_id` is `<platformId>:<nonce>`, so a replay is a duplicate insert,
 * refused by the `_id` index on every process. Kept past the token's expiry, then cleaned up (a replay after that is
 * refused by `exp`).
 */
const ltiNonceSchema = new Schema({
  _id: { type: String, required: true },
  expiresAt: { type: Date, required: true },
});
ltiNonceSchema.index({ expiresAt: 1 });

export const LtiNonceModel = model('LtiNonce', ltiNonceSchema, 'lti_nonces');
