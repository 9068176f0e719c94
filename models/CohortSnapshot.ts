import { Schema, model } from 'mongoose';

/**
 * Read models, one document per cohort (or person, or session) and kind, found by _id ('roster:<cohortId>',
 * 'schedule:<cohortId>', 'memberships:<userId>', 'marks:<sessionId>', 'attendance:<cohortId>').
 * FerretDB 1.x on SQLite answers only `{_id: value}` from an index (every other filter scans the collection in Go),
 * so the hot pages — a register, a report — read these by _id instead of filtering Enrolment and CohortSession.
 * Each is rebuilt from its source collection after every change there (server/services/snapshots.ts), and rebuilt
 * on first read when missing.
 */
const cohortSnapshotSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** The cohort (roster, schedule, attendance), the person (memberships) or the session (marks) it describes. */
    ownerId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: ['roster', 'schedule', 'memberships', 'marks', 'attendance'], required: true },
    /**
     * The items as one JSON string. FerretDB 1.x converts every value of a document on each read and write: a
     * roster of 30 people as objects cost 3.0 ms of its CPU per read, the same as one string 0.6 ms (measured).
     */
    payload: { type: String, required: true },
    builtAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export const CohortSnapshotModel = model('CohortSnapshot', cohortSnapshotSchema);
