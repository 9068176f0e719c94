import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/** A group of participants taking one programme together, run by named facilitators, in one time zone. */
const cohortSchema = new Schema(
  {
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    name: { type: String, required: true, trim: true },
    capacity: { type: Number, required: true, min: 1, max: 10_000 },
    /** IANA zone in which session times are entered and the cohort's page shows them. */
    timezone: { type: String, required: true },
    /** Calendar dates (YYYY-MM-DD) in the cohort's zone. */
    startsOn: { type: String, required: true },
    endsOn: { type: String, required: true },
    facilitatorIds: { type: [Schema.Types.ObjectId], ref: 'User', default: [] },
    /** Participants may enrol themselves while this is on. */
    selfEnrolment: { type: Boolean, default: false },
    /** A self-paced cohort the system keeps open (e.g. governing-board training for interview panels). */
    selfPaced: { type: Boolean, default: false },
    /** Optional pacing: a due date per module (YYYY-MM-DD, in the cohort's zone). */
    moduleDueDates: {
      type: [{ moduleId: { type: Schema.Types.ObjectId, ref: 'Module' }, dueOn: String, _id: false }],
      default: [],
    },
    /** Attendance rate under which a participant is flagged (percent), after at least 3 sessions. */
    attendanceThreshold: { type: Number, default: 75, min: 0, max: 100 },
    /** Minutes after a session's start when a self check-in counts as late. */
    lateAfterMinutes: { type: Number, default: 10, min: 0, max: 240 },
    /** Session reminders, as exact durations before the start, in minutes (default 24 h and 1 h). */
    reminderOffsetsMinutes: { type: [Number], default: [1440, 60] },
    /** Moves on with every settings save, which is written only over the version its form read (server/versions.ts). */
    version: { type: Number, default: 0 },
    /** Unique: the "New cohort" form sent twice (a double-click, an API retry with its key) makes one cohort. */
    submissionKey: submissionKeyPath,
  },
  { timestamps: true },
);
cohortSchema.plugin(keyedSubmissions);
cohortSchema.index({ programmeId: 1, startsOn: 1 });
cohortSchema.index({ facilitatorIds: 1 });

export type Cohort = InferSchemaType<typeof cohortSchema> & { _id: Types.ObjectId };
export const CohortModel = model('Cohort', cohortSchema);
