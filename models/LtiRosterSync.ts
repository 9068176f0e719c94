import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * The last roster sync of a cohort (`_id` = cohort id): when, and who is enrolled through the LMS but no longer on
 * its class list. They are not withdrawn automatically; the cohort's facilitators see them and decide.
 */
const ltiRosterSyncSchema = new Schema({
  _id: { type: String, required: true },
  syncedAt: { type: Date, required: true },
  added: { type: Number, default: 0 },
  kept: { type: Number, default: 0 },
  waitlisted: { type: Number, default: 0 },
  departed: {
    type: [{ userId: { type: Schema.Types.ObjectId, ref: 'User' }, name: String, _id: false }],
    default: [],
  },
});

export type LtiRosterSync = InferSchemaType<typeof ltiRosterSyncSchema>;
export const LtiRosterSyncModel = model('LtiRosterSync', ltiRosterSyncSchema, 'lti_roster_syncs');
