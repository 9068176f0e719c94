import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * An accepted launch and what it told us: the context (course), resource link, the grade-book line item and the
 * roster URL, the custom parameters. Grades go to the line items of a learner's launches; a roster sync reads the
 * memberships URL of a cohort's last launch. A launch waiting for her to link her existing account, or for an
 * instructor's deep-linking choice, is found by its random `secret`.
 */
const ltiLaunchSchema = new Schema(
  {
    platformId: { type: Schema.Types.ObjectId, ref: 'LtiPlatform', required: true },
    sub: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User' },
    messageType: { type: String, enum: ['LtiResourceLinkRequest', 'LtiDeepLinkingRequest'], required: true },
    deploymentId: { type: String, required: true },
    roles: { type: [String], default: [] },
    name: { type: String },
    email: { type: String },
    contextId: { type: String },
    contextTitle: { type: String },
    resourceLinkId: { type: String },
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort' },
    custom: { type: Schema.Types.Mixed },
    /** AGS: the line item and whether the score scope was granted. */
    lineItemUrl: { type: String },
    canPostScores: { type: Boolean, default: false },
    /** NRPS. */
    membershipsUrl: { type: String },
    /** Deep linking. */
    deepLinkReturnUrl: { type: String },
    deepLinkData: { type: String },
    /** What the platform takes back (its deep_linking_settings): false = one item only; the content item types. */
    deepLinkAcceptMultiple: { type: Boolean },
    deepLinkAcceptTypes: { type: [String], default: undefined },
    /** SHA-256 of the secret that names a pending launch (account link or deep-linking picker). */
    secretHash: { type: String },
    secretExpiresAt: { type: Date },
    launchedAt: { type: Date, required: true },
  },
  { timestamps: true },
);
ltiLaunchSchema.index({ userId: 1, cohortId: 1 });
ltiLaunchSchema.index({ cohortId: 1, launchedAt: -1 });
ltiLaunchSchema.index({ secretHash: 1 });

export type LtiLaunch = InferSchemaType<typeof ltiLaunchSchema> & { _id: Types.ObjectId };
export const LtiLaunchModel = model('LtiLaunch', ltiLaunchSchema, 'lti_launches');
