import { Schema, Types, model } from 'mongoose';

/**
 * Read models of learning progress, keyed by _id so every page reads them with one primary-key lookup.
 * FerretDB 1.x (SQLite) pushes down only `_id` equality: any other filter, indexed or not, scans the whole
 * collection (measured: 2.5 s for 15,000 completions on the shared test machine). Completion, Enrolment and
 * Certificate stay the source of truth; these documents are derived from them (server/services/learning/records.ts)
 * and can be rebuilt from them at any time.
 */
const learnerEnrolmentSchema = new Schema(
  {
    cohortId: { type: Schema.Types.ObjectId, required: true },
    programmeId: { type: Schema.Types.ObjectId, required: true },
    cohortName: { type: String, default: '' },
    enrolledAt: { type: Date },
    /** Module ids completed in this cohort (archived ones included; progress filters to current modules). */
    completed: { type: [Schema.Types.ObjectId], default: [] },
    lastActivityAt: { type: Date, default: null },
    certificateId: { type: Schema.Types.ObjectId, default: null },
    certificateExpiresAt: { type: Date, default: null },
  },
  { _id: false },
);

/** One per person (_id = her user id): her active enrolments and what she completed in each. */
const learnerRecordSchema = new Schema({ enrolments: { type: [learnerEnrolmentSchema], default: [] }, rebuiltAt: { type: Date } });
export type LearnerEnrolment = {
  cohortId: Types.ObjectId; programmeId: Types.ObjectId; cohortName: string; enrolledAt?: Date | null; completed: Types.ObjectId[];
  lastActivityAt: Date | null; certificateId: Types.ObjectId | null; certificateExpiresAt: Date | null;
};
/** The lean shape (plain arrays, not mongoose document arrays). */
export type LearnerRecord = { _id: Types.ObjectId; enrolments: LearnerEnrolment[]; rebuiltAt?: Date };
export const LearnerRecordModel = model('LearnerRecord', learnerRecordSchema);

/** One per cohort (_id = the cohort's id): its active participants' progress and the reflections shared with its facilitators. */
const cohortRecordSchema = new Schema({
  programmeId: { type: Schema.Types.ObjectId, required: true },
  members: {
    type: [{ userId: { type: Schema.Types.ObjectId, required: true }, name: String, completed: { type: [Schema.Types.ObjectId], default: [] }, lastActivityAt: { type: Date, default: null }, _id: false }],
    default: [],
  },
  sharedReflections: {
    type: [{ completionId: Schema.Types.ObjectId, userId: Schema.Types.ObjectId, moduleId: Schema.Types.ObjectId, reflection: String, completedAt: Date, _id: false }],
    default: [],
  },
  rebuiltAt: { type: Date },
});
export type CohortMember = { userId: Types.ObjectId; name: string; completed: Types.ObjectId[]; lastActivityAt: Date | null };
export type SharedReflection = { completionId: Types.ObjectId; userId: Types.ObjectId; moduleId: Types.ObjectId; reflection: string; completedAt: Date };
export type CohortRecord = { _id: Types.ObjectId; programmeId: Types.ObjectId; members: CohortMember[]; sharedReflections: SharedReflection[]; rebuiltAt?: Date };
export const CohortRecordModel = model('CohortRecord', cohortRecordSchema);
