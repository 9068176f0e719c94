import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * A person's number in a cohort's waitlist, under a unique index on (cohortId, number): taking the next number is
 * an insert, so concurrent newcomers get distinct, gap-free numbers and her position (tickets before hers, plus
 * one) is exact when she is told it. The ticket is removed when she gets a place or leaves.
 */
const waitlistTicketSchema = new Schema(
  {
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    number: { type: Number, required: true, min: 1 },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);
waitlistTicketSchema.index({ cohortId: 1, number: 1 }, { unique: true });
waitlistTicketSchema.index({ cohortId: 1, userId: 1 }, { unique: true });

export type WaitlistTicket = InferSchemaType<typeof waitlistTicketSchema> & { _id: Types.ObjectId };
export const WaitlistTicketModel = model('WaitlistTicket', waitlistTicketSchema);
