import { Schema, model } from 'mongoose';

/**
 * A snapshot (server/services/snapshots.ts) whose source is being changed: written before the change, deleted once the
 * snapshot has been rebuilt after it. A process that dies in between leaves the row behind, and the
 * `maintenance:repair-snapshots` job rebuilds that snapshot a minute later. One row per change (`_id`
 * '<kind>:<ownerId>:<random>'), so two overlapping changes never clear each other's row. The collection stays tiny,
 * so the job's scan of it costs nothing.
 */
const snapshotRepairSchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, enum: ['roster', 'schedule', 'memberships', 'marks', 'attendance'], required: true },
    ownerId: { type: Schema.Types.ObjectId, required: true },
    /** The cohort of a session's marks (their rebuild reads its roster). */
    cohortId: { type: Schema.Types.ObjectId },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export const SnapshotRepairModel = model('SnapshotRepair', snapshotRepairSchema);
