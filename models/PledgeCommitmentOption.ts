import { Schema, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/**
 * A commitment an organisation can choose ("every headteacher interview panel completes bias training first").
 * Admins maintain the list; an option is retired (active: false) rather than deleted, because signatures and
 * progress updates keep pointing at it.
 */
const pledgeCommitmentOptionSchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    description: { type: String, trim: true, default: '' },
    position: { type: Number, required: true, default: 0 },
    active: { type: Boolean, required: true, default: true },
    /** Moves on with every edit, written only over the version its form read (server/versions.ts). */
    version: { type: Number, default: 0 },
    /** Unique: the form sent twice (a double-click, an API retry with its key) adds one option (server/submissions.ts). */
    submissionKey: submissionKeyPath,
  },
  { timestamps: true },
);
pledgeCommitmentOptionSchema.plugin(keyedSubmissions);
pledgeCommitmentOptionSchema.index({ active: 1, position: 1 });

export type PledgeCommitmentOption = InferSchemaType<typeof pledgeCommitmentOptionSchema>;
export const PledgeCommitmentOptionModel = model('PledgeCommitmentOption', pledgeCommitmentOptionSchema);
