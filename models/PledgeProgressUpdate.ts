import { Schema, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/** A short, dated progress report by an organisation on one of its commitments, shown on its public page. */
const pledgeProgressUpdateSchema = new Schema(
  {
    signatureId: { type: Schema.Types.ObjectId, ref: 'PledgeSignature', required: true },
    optionId: { type: Schema.Types.ObjectId, ref: 'PledgeCommitmentOption', required: true },
    body: { type: String, required: true, trim: true },
    postedAt: { type: Date, required: true },
    /** Unique: a repeated submission stores nothing new (server/submissions.ts); one of its own otherwise. */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
pledgeProgressUpdateSchema.plugin(keyedSubmissions);
pledgeProgressUpdateSchema.index({ signatureId: 1, postedAt: -1 });
pledgeProgressUpdateSchema.index({ optionId: 1 });

export type PledgeProgressUpdate = InferSchemaType<typeof pledgeProgressUpdateSchema>;
export const PledgeProgressUpdateModel = model('PledgeProgressUpdate', pledgeProgressUpdateSchema);
