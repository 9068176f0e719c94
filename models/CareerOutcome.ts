import { Schema, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/**
 * A step in a woman's career that she records herself (API.md: POST /api/v1/me/outcomes). Mentoring shows them to
 * her and to admins in aggregate; research counts them (with consent) within 12 months of an enrolment.
 */
export const outcomeKinds = ['applied', 'interviewed', 'appointed', 'salary-negotiated', 'promoted'] as const;
export type OutcomeKind = (typeof outcomeKinds)[number];

const careerOutcomeSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    kind: { type: String, enum: outcomeKinds, required: true },
    /** The day it happened, as she gives it (YYYY-MM-DD). */
    on: { type: String, required: true },
    detail: { type: String, default: '' },
    /** Unique: a repeated submission stores nothing new (server/submissions.ts); one of its own otherwise. */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
careerOutcomeSchema.plugin(keyedSubmissions);
careerOutcomeSchema.index({ userId: 1, on: -1 });
careerOutcomeSchema.index({ kind: 1, on: -1 });

export type CareerOutcome = InferSchemaType<typeof careerOutcomeSchema>;
export const CareerOutcomeModel = model('CareerOutcome', careerOutcomeSchema);
