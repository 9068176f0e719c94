import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * The tool's RS256 signing keys: one document (`_id: 'tool'`), created once by an upsert on `_id`, so two processes
 * starting at once keep one key (the `_id` index lets one insert win). Rotation pushes a new key and retires the
 * current one in one conditional update of this document; a retired key stays in the JWKS for a grace period so
 * platforms that cached it still verify what it signed.
 */
const toolKeySchema = new Schema(
  {
    kid: { type: String, required: true },
    /** Private JWK (RSA); never leaves the server. */
    privateJwk: { type: Schema.Types.Mixed, required: true },
    publicJwk: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    retiredAt: { type: Date },
  },
  { _id: false },
);

const ltiToolKeysSchema = new Schema(
  {
    _id: { type: String, required: true },
    currentKid: { type: String, required: true },
    keys: { type: [toolKeySchema], default: [] },
  },
  { timestamps: true },
);

export type LtiToolKeys = InferSchemaType<typeof ltiToolKeysSchema>;
export const LtiToolKeysModel = model('LtiToolKeys', ltiToolKeysSchema, 'lti_tool_keys');
