import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * An LTI 1.3 platform (an LMS) registered by an admin: who it is (`issuer`), which client id it gave Pathways, where
 * its OIDC authorisation, token and key endpoints are, and which deployments of the tool it may launch.
 * One registration per (issuer, clientId); the issuer leads the index the login looks up.
 */
const ltiPlatformSchema = new Schema(
  {
    name: { type: String, required: true, trim: true },
    issuer: { type: String, required: true },
    clientId: { type: String, required: true },
    authLoginUrl: { type: String, required: true },
    authTokenUrl: { type: String, required: true },
    /**
     * The `aud` of the client assertion sent to the token endpoint, when the platform's authorisation server names
     * itself otherwise than by its token URL (IMS Security Framework 4.1.1; Brightspace wants
     * https://api.brightspace.com/auth/token). Absent: the token URL, which every other LMS takes.
     */
    authTokenAudience: { type: String },
    jwksUrl: { type: String, required: true },
    deploymentIds: { type: [String], default: [] },
    /**
     * The platform's JSON Web Key Set as last fetched (jose's remote JWKS cache: `uat` = when, `jwks`, and `url`, the
     * key set URL it came from), kept here so every process reads the same keys and a refetch by one serves all.
     */
    jwksCache: { type: Schema.Types.Mixed },
    /** Moves on with every correction, written only over the version its editor read (server/versions.ts). */
    version: { type: Number, default: 0 },
  },
  { timestamps: true },
);
ltiPlatformSchema.index({ issuer: 1, clientId: 1 }, { unique: true });

export type LtiPlatform = InferSchemaType<typeof ltiPlatformSchema> & { _id: Types.ObjectId };
export const LtiPlatformModel = model('LtiPlatform', ltiPlatformSchema, 'lti_platforms');
