import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

export const eventModes = ['online', 'in-person'] as const;
export type EventMode = (typeof eventModes)[number];

/**
 * An event a network's leads hold, online (`joinUrl`) or in person (`location`). Stored in UTC; every page shows it
 * in the reader's own zone. `sequence` grows with each change so calendar apps update the one event (same UID).
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

export type NetworkEvent = InferSchemaType<typeof networkEventSchema> & { _id: Types.ObjectId; updatedAt?: Date };
export const NetworkEventModel = model('NetworkEvent', networkEventSchema);
