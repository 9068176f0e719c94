import { Schema, model, type InferSchemaType } from 'mongoose';
import { attendanceStatuses } from './AttendanceRecord.ts';

/**
 * A session's register as its pages show it: a copy of the session's attendance records (models/AttendanceRecord.ts),
 * one document per session (`_id` is the session's), so the register page reads one document instead of a row per
 * person and a cohort's attendance report one per session instead of one per person and session. A measured choice
 * (README "Derived records"). The records stay the truth: every writer writes them first, then moves `version` on and
 * writes the copy again over the version it read (server/services/cohorts/sessionRegisters.ts).
 */
const markSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    status: { type: String, enum: attendanceStatuses, required: true },
    note: { type: String, default: '' },
    markedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    markedAt: { type: Date, required: true },
    /**
     * The record's `firstMarkedAt`. Absent in a copy written before it existed, until the repair writes the copy
     * again; readers then take `markedAt`.
     */
    firstMarkedAt: { type: Date },
    source: { type: String, enum: ['register', 'check-in'], required: true },
  },
  { _id: false },
);

const sessionRegisterSchema = new Schema(
  {
    /** The session's id. */
    _id: { type: Schema.Types.ObjectId, ref: 'CohortSession', required: true },
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    /** Moves on with every write of the session's records, before `marks` is written again. */
    version: { type: Number, default: 0 },
    /** The session's records as of `version`; absent until first written. */
    marks: { type: [markSchema], default: undefined },
  },
  { timestamps: false, versionKey: false },
);
sessionRegisterSchema.index({ cohortId: 1 });

export type SessionRegister = InferSchemaType<typeof sessionRegisterSchema>;
export type SessionMark = InferSchemaType<typeof markSchema>;
export const SessionRegisterModel = model('SessionRegister', sessionRegisterSchema);
