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
    /**
     * The courses (deployment, context) whose class list named her as a learner (a sync): her grades go to the line
     * items of their links to the cohort, under this `sub`, though she never launched (services/lti/scores.ts).
     */
    classListCourses: {
      type: [
        { _id: false, deploymentId: { type: String, required: true }, contextId: { type: String, required: true } },
      ],
      default: undefined,
    },
  },
  { timestamps: true },
);
ltiAccountSchema.index({ platformId: 1, sub: 1 }, { unique: true });
ltiAccountSchema.index({ userId: 1 });

export type LtiAccount = InferSchemaType<typeof ltiAccountSchema> & { _id: Types.ObjectId };
export const LtiAccountModel = model('LtiAccount', ltiAccountSchema, 'lti_accounts');
