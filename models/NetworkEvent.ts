import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

export const eventModes = ['online', 'in-person'] as const;
export type EventMode = (typeof eventModes)[number];
export const eventStatuses = ['scheduled', 'cancelled'] as const;
export type EventStatus = (typeof eventStatuses)[number];

/** What an event was before one change (or its cancelling), and who made it: leads and members read it there. */
const eventChangeSchema = new Schema(
  {
    at: { type: Date, required: true },
    byUserId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    change: { type: String, enum: ['rescheduled', 'updated', 'cancelled'], required: true },
    previousTitle: String,
    previousStartsAt: Date,
    previousDurationMinutes: Number,
    previousMode: String,
    previousJoinUrl: String,
    previousLocation: String,
  },
  { _id: false },
);

/**
 * An event a network's leads hold, online (`joinUrl`) or in person (`location`). Stored in UTC; every page shows it
 * in the reader's own zone. `sequence` grows with each change, so calendar apps update the one event (same UID); it
 * is also the version a lead's change is made over (server/versions.ts).
 */
const networkEventSchema = new Schema(
  {
    networkId: { type: Schema.Types.ObjectId, ref: 'Network', required: true },
    title: { type: String, required: true, trim: true, maxlength: 160 },
    startsAt: { type: Date, required: true },
    durationMinutes: { type: Number, required: true, min: 15, max: 720 },
    mode: { type: String, enum: eventModes, required: true },
    joinUrl: { type: String, default: null },
    location: { type: String, default: null },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    sequence: { type: Number, default: 0 },
    /** A cancelled event stays (members are told, calendars get STATUS:CANCELLED) and takes no more answers. */
    status: { type: String, enum: eventStatuses, default: 'scheduled' },
    history: { type: [eventChangeSchema], default: [] },
    /**
     * When a change or the cancellation was written whose reactions (reminders moved, the change or cancellation
     * notices of the members going) have not all run yet: set in the change's own write, unset once they have, over
     * the `sequence` it wrote. Still set minutes later, its process stopped between the two, and a sweep runs them
     * again (services/networks/events.ts, eventChangesAnnounced).
     */
    announcePendingSince: { type: Date },
    /** Unique: a repeated submission stores nothing new (server/submissions.ts); one of its own otherwise. */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
networkEventSchema.plugin(keyedSubmissions);
/** A network's events by time. */
networkEventSchema.index({ networkId: 1, startsAt: 1 });
networkEventSchema.index({ announcePendingSince: 1 });

export type NetworkEvent = InferSchemaType<typeof networkEventSchema> & { _id: Types.ObjectId; updatedAt?: Date };
export const NetworkEventModel = model('NetworkEvent', networkEventSchema);
