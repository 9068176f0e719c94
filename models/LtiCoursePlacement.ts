import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * A cohort placed in one LMS course: the platform, its deployment and the course (LTI context, whose id is unique
 * within a deployment). Written when someone who runs the cohort picks it in the deep-linking picker of that course.
 * A launch names its cohort in a custom parameter, which any instructor of any course can type; the launch is
 * honoured (learners enrolled, instructors made facilitators, grades sent, the class list synced) only from a course
 * the cohort was placed in. The unique index keeps one document when two placements arrive at once.
 */
const ltiCoursePlacementSchema = new Schema(
  {
    platformId: { type: Schema.Types.ObjectId, ref: 'LtiPlatform', required: true },
    deploymentId: { type: String, required: true },
    contextId: { type: String, required: true },
    contextTitle: { type: String },
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    placedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);
ltiCoursePlacementSchema.index({ platformId: 1, deploymentId: 1, contextId: 1, cohortId: 1 }, { unique: true });
ltiCoursePlacementSchema.index({ cohortId: 1 });

export type LtiCoursePlacement = InferSchemaType<typeof ltiCoursePlacementSchema> & { _id: Types.ObjectId };
export const LtiCoursePlacementModel = model('LtiCoursePlacement', ltiCoursePlacementSchema, 'lti_course_placements');
