import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/** The three programme tracks of the framework, fixed in code. */
export const tracks = ['governing-board', 'aspiring-leader', 'new-head'] as const;
export type Track = (typeof tracks)[number];

export const programmeStatuses = ['draft', 'published', 'archived'] as const;

/** Certificate validity by track: UK boards renew recruitment training every two to three years. */
export const defaultValidityMonths: Record<Track, number | null> = {
  'governing-board': 36,
  'aspiring-leader': null,
  'new-head': null,
};

const programmeSchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    track: { type: String, enum: tracks, required: true },
    summary: { type: String, required: true, trim: true },
    status: { type: String, enum: programmeStatuses, required: true, default: 'draft' },
    /** Months a certificate stays valid; null means it does not expire. */
    certificateValidityMonths: { type: Number, default: null, min: 1, max: 120 },
    /** Moves on with every settings save, written only over the version its editor read (server/versions.ts). */
    version: { type: Number, default: 0 },
    /** Unique: the form sent twice (a double-click, an API retry with its key) makes one programme (server/submissions.ts). */
    submissionKey: submissionKeyPath,
  },
  { timestamps: true },
);
programmeSchema.plugin(keyedSubmissions);
programmeSchema.index({ track: 1, status: 1 });

export type Programme = InferSchemaType<typeof programmeSchema> & { _id: Types.ObjectId };
export const ProgrammeModel = model('Programme', programmeSchema);
