import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * One OIDC login in flight: the `state` we sent (the `_id`, random) and the `nonce` the id_token must carry. Used
 * once: the launch deletes it with findOneAndDelete, so of two posts of one state only one proceeds. The browser
 * holds a cookie naming this state; a post without it is refused. Expired rows are removed by the LTI clean-up job.
 */
const ltiLoginStateSchema = new Schema({
  _id: { type: String, required: true },
  nonce: { type: String, required: true },
  platformId: { type: Schema.Types.ObjectId, ref: 'LtiPlatform', required: true },
  targetLinkUri: { type: String },
  /** The platform's login request as a query string: a browser that blocked our cookie starts it again in a window. */
  loginQuery: { type: String },
  createdAt: { type: Date, required: true },
  expiresAt: { type: Date, required: true },
});
ltiLoginStateSchema.index({ expiresAt: 1 });

export type LtiLoginState = InferSchemaType<typeof ltiLoginStateSchema>;
export const LtiLoginStateModel = model('LtiLoginState', ltiLoginStateSchema, 'lti_login_states');
