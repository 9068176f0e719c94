import { Schema, Types, model, type InferSchemaType } from 'mongoose';

export const attendanceStatuses = ['present', 'late', 'excused', 'absent'] as const;
export type AttendanceStatus = (typeof attendanceStatuses)[number];

/**
 * One person's attendance at one session. Unique per (sessionId, userId): every record is written on its own
 * (an upsert keyed by that pair, which is also its _id "<sessionId>:<userId>"; a register's upserts travel in one
 * command), so two facilitators saving the same register at once lose no record. A register reads its session's records (sessionId leads the unique index), a
 * report its cohort's (cohortId leads the second index).
 */
export const attendanceRecordId = (sessionId: unknown, userId: unknown): string =>
  `${String(sessionId)}:${String(userId)}`;

const attendanceRecordSchema = new Schema(
  {
    _id: { type: String, required: true },
    sessionId: { type: Schema.Types.ObjectId, ref: 'CohortSession', required: true },
    /** Copied from the session so a cohort's report reads its records in one indexed query. */
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    status: { type: String, enum: attendanceStatuses, required: true },
    note: { type: String, default: '', maxlength: 500 },
    markedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    markedAt: { type: Date, required: true },
    /**
     * When she was first marked for the session, which a correction (a later `markedAt`) does not move: a mark made
     * in her earlier enrolment stays hers after she enrolled again (server/services/cohorts/attendance.ts). A record
     * stored before it existed was first marked at its `createdAt`.
     */
    firstMarkedAt: { type: Date },
    /** 'check-in' when she entered the session's code herself. */
    source: { type: String, enum: ['register', 'check-in'], required: true, default: 'register' },
  },
  { timestamps: true },
);
attendanceRecordSchema.index({ sessionId: 1, userId: 1 }, { unique: true });
attendanceRecordSchema.index({ cohortId: 1, sessionId: 1 });

export type AttendanceRecord = InferSchemaType<typeof attendanceRecordSchema> & { _id: Types.ObjectId };
export const AttendanceRecordModel = model('AttendanceRecord', attendanceRecordSchema);
