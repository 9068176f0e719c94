import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * A module completed by a learner in a cohort. The unique index makes completing twice count once
 * (the second insert is a duplicate and is ignored), on FerretDB and MongoDB alike.
 */
const completionSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    moduleId: { type: Schema.Types.ObjectId, ref: 'Module', required: true },
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    completedAt: { type: Date, required: true },
    /** Reflection modules: her text, private unless she shares it with her cohort's facilitators. */
    reflection: { type: String },
    reflectionShared: { type: Boolean, default: false },
    /** Quiz modules: the passing score (0–100). */
    score: { type: Number },
  },
  { timestamps: true },
);
completionSchema.index({ userId: 1, moduleId: 1, cohortId: 1 }, { unique: true });
completionSchema.index({ cohortId: 1, userId: 1 });
completionSchema.index({ userId: 1, programmeId: 1 });
// A cohort's shared reflections, newest first, read in order up to a page's limit (the progress view).
completionSchema.index({ cohortId: 1, reflectionShared: 1, completedAt: -1 });

export type Completion = InferSchemaType<typeof completionSchema> & { _id: Types.ObjectId };
export const CompletionModel = model('Completion', completionSchema);
