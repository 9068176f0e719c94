import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * One row per occupied place in a cohort, numbered 1..capacity, under a unique index on (cohortId, number).
 * Taking a place is an insert, so two people can never hold the same place, even at the same instant, on
 * FerretDB (whose updates are not atomic) and MongoDB alike. A separate collection because MongoDB would
 * count waitlisted enrolments without a seat number as duplicates (FerretDB cannot do partial indexes).
 */
const seatSchema = new Schema(
  {
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    number: { type: Number, required: true, min: 1 },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);
seatSchema.index({ cohortId: 1, number: 1 }, { unique: true });
seatSchema.index({ cohortId: 1, userId: 1 }, { unique: true });

export type Seat = InferSchemaType<typeof seatSchema> & { _id: Types.ObjectId };
export const SeatModel = model('Seat', seatSchema);
