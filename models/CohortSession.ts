import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';
import { attendanceStatuses } from './AttendanceRecord.ts';

/**
 * One mark of a session's register: a copy of one of its attendance records (models/AttendanceRecord.ts), which stay
 * the truth.
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

/** A live session of a cohort (a workshop, a webinar). Named CohortSession to keep "session" for web sessions. */
const cohortSessionSchema = new Schema(
  {
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    title: { type: String, required: true, trim: true },
    /** UTC instant; entered as wall-clock time in the cohort's zone. */
    startsAt: { type: Date, required: true },
    durationMinutes: { type: Number, required: true, min: 5, max: 24 * 60 },
    mode: { type: String, enum: ['online', 'in-person'], required: true },
    joinUrl: { type: String },
    location: { type: String },
    status: { type: String, enum: ['scheduled', 'cancelled'], required: true, default: 'scheduled' },
    /** iCalendar SEQUENCE: bumped on every change so calendar apps update the event. */
    sequence: { type: Number, required: true, default: 0 },
    /** What changed and when (reschedules, cancellation), newest last. */
    history: {
      type: [
        {
          at: Date,
          byUserId: Schema.Types.ObjectId,
          change: String,
          previousStartsAt: Date,
          previousDurationMinutes: Number,
          // Where it was before this change (a change notice tells a new place, and knows when it is back).
          previousMode: String,
          previousJoinUrl: String,
          previousLocation: String,
          _id: false,
        },
      ],
      default: [],
    },
    /**
     * Set before its first mark is written (a register saved, a check-in), on condition that the session is still at the
     * time those checks read; a move to a time still to come is written only while it is unset. Of a first mark and a
     * move sent at the same moment (on two processes), one conditional write fails: a session is never moved ahead of
     * its marks (services/cohorts/sessions.ts, markedFromNowOn). Never unset.
     */
    marked: { type: Boolean },
    /**
     * When a change (a move, an edit, the cancellation) was written whose reactions (its participants' change or
     * cancellation notices, reminders moved) have not all run yet: set in the change's own write, unset once they have,
     * over the `sequence` that change wrote. One still set minutes later was left by a process that stopped between
     * the two; a sweep runs the reactions again (services/cohorts/sessions.ts, sessionChangesAnnounced).
     */
    announcePendingSince: { type: Date },
    /** Self check-in: a short code the facilitator shows while the session runs. */
    checkInCode: { type: String },
    /** Unique: the form sent twice (a double-click, an API retry with its key) schedules one session (server/submissions.ts). */
    submissionKey: submissionKeyPath,
    /**
     * The session's register: a copy of its attendance records, kept in the session so that the register page reads
     * the session and its marks in one read, and a cohort's attendance report its held sessions and their marks in
     * one (README "Derived records"). Absent until first written. Read only when asked for (`select: false`): the
     * other readers of sessions never carry a register. Written only by server/services/cohorts/sessionRegisters.ts,
     * over `registerVersion`; never touches `updatedAt`.
     */
    registerMarks: { type: [markSchema], default: undefined, select: false },
    /** Moves on with every write of the session's attendance records, before `registerMarks` is written again. */
    registerVersion: { type: Number, select: false },
  },
  {
    timestamps: true,
  },
);
cohortSessionSchema.plugin(keyedSubmissions);
cohortSessionSchema.index({ cohortId: 1, startsAt: 1 });
cohortSessionSchema.index({ startsAt: 1, status: 1 });
cohortSessionSchema.index({ announcePendingSince: 1 });

export type CohortSession = InferSchemaType<typeof cohortSessionSchema> & { _id: Types.ObjectId };
export type SessionMark = InferSchemaType<typeof markSchema>;
export const CohortSessionModel = model('CohortSession', cohortSessionSchema);
