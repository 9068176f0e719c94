import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/** The three programme tracks of the framework, fixed in code. */
export const tracks = ['governing-board', 'aspiring-leader', 'new-head'] as const;
export type Track = (typeof tracks)[number];

export const programmeStatuses = ['draft', 'published', 'archived'] as const;

/** One module as lists show it (server/services/learning/outline.ts): never its body, resources or quiz. */
const outlineEntrySchema = new Schema(
  {
    /** The module's own id. */
    _id: { type: Schema.Types.ObjectId, ref: 'Module', required: true },
    title: { type: String, required: true },
    estimatedMinutes: { type: Number, required: true },
    prerequisites: { type: [Schema.Types.ObjectId], ref: 'Module', default: [] },
    completionType: { type: String, required: true },
    archived: { type: Boolean, required: true },
  },
  { _id: false },
);

/** Certificate validity by track: UK boards renew recruitment training every two to three years. */
export const defaultValidityMonths: Record<Track, number | null> = {
  'governing-board': 36,
  'aspiring-leader': null,
  'new-head': null,
};

/** How long a programme's certificates stay valid, in months (null: they do not expire): its own, else its track's. */
export const certificateValidityOf = (p: { certificateValidityMonths?: number | null; track: Track }): number | null =>
  p.certificateValidityMonths ?? defaultValidityMonths[p.track];

const programmeSchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    track: { type: String, enum: tracks, required: true },
    summary: { type: String, required: true, trim: true },
    status: { type: String, enum: programmeStatuses, required: true, default: 'draft' },
    /**
     * Months a certificate stays valid; null means the track's default (certificateValidityOf: 36 months for governing
     * boards, no expiry for the other tracks), as the settings form's empty field says.
     */
    certificateValidityMonths: { type: Number, default: null, min: 1, max: 120 },
    /**
     * Marked by an admin: this governing-board programme is the unconscious-bias training interview panels must hold.
     * Readiness counts only such programmes, and panels are enrolled in one of them
     * (server/services/learning/panelTraining.ts). Absent only on programmes stored before the mark existed, until
     * the start-up step decides (markPanelTrainingOnUpgrade).
     */
    panelTraining: { type: Boolean, default: false },
    /** Moves on with every settings save, written only over the version its editor read (server/versions.ts). */
    version: { type: Number, default: 0 },
    /**
     * Moves on with every change of a module of the programme (added, edited, archived, restored, moved), before its
     * outline is written again (server/services/learning/outline.ts).
     */
    outlineVersion: { type: Number, default: 0 },
    /**
     * Its modules in order, current then archived, as a learner's home page lists them. Derived from the modules
     * (server/services/learning/outline.ts), so her home page reads no module: a measured choice (README "Derived
     * records"). Written only over the `outlineVersion` it was computed at, and every module change moves that on
     * before it writes the outline again: the outline a reader sees is never older than the last change that
     * completed. Progress, certificates and module pages read the modules themselves.
     */
    outline: { type: [outlineEntrySchema], default: undefined },
    /** Unique: the form sent twice (a double-click, an API retry with its key) makes one programme (server/submissions.ts). */
    submissionKey: submissionKeyPath,
  },
  { timestamps: true },
);
programmeSchema.plugin(keyedSubmissions);
programmeSchema.index({ track: 1, status: 1 });

export type Programme = InferSchemaType<typeof programmeSchema> & { _id: Types.ObjectId };
export const ProgrammeModel = model('Programme', programmeSchema);
