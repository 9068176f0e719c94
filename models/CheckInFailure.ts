import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * A wrong self check-in code, one row per failed attempt in a fixed time window, numbered 1..limit under a
 * unique index: like seats, taking attempt number n is an insert, so the limit holds under concurrent guesses
 * on FerretDB (whose $inc is not atomic). Rows a day old are removed by jobs/maintenance.ts (no TTL on FerretDB).
 */
const checkInFailureSchema = new Schema(
  {
    sessionId: { type: Schema.Types.ObjectId, ref: 'CohortSession', required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** Start of the fixed window (epoch ms, a multiple of the window length). */
    window: { type: Number, required: true },
    attempt: { type: Number, required: true, min: 1 },
  },
  { timestamps: true },
);
checkInFailureSchema.index({ sessionId: 1, userId: 1, window: 1, attempt: 1 }, { unique: true });

export type CheckInFailure = InferSchemaType<typeof checkInFailureSchema> & { _id: Types.ObjectId };
export const CheckInFailureModel = model('CheckInFailure', checkInFailureSchema);
