import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * Her answer to an event: one row per (event, person), `_id` `<eventId>:<userId>`, so answering again (or twice at
 * once) updates the same row. Reminders go to those `going`; her calendar feed lists the events she is going to.
 */
const eventRsvpSchema = new Schema(
  {
    _id: { type: String, required: true },
    eventId: { type: Schema.Types.ObjectId, ref: 'NetworkEvent', required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    going: { type: Boolean, required: true },
  },
  { timestamps: true },
);
eventRsvpSchema.index({ eventId: 1, going: 1 });
eventRsvpSchema.index({ userId: 1, going: 1 });

export type EventRsvp = InferSchemaType<typeof eventRsvpSchema> & { _id: string; eventId: Types.ObjectId };
export const EventRsvpModel = model('EventRsvp', eventRsvpSchema);
