import { Schema, Types, model, type InferSchemaType } from 'mongoose';

export const enrolmentStatuses = ['active', 'waitlisted', 'withdrawn'] as const;

/**
 * A person's place in a cohort. Capacity is enforced by models/Seat.ts (a unique index), not by counting here.
 * One enrolment per person and cohort; withdrawing and re-joining update the same record.
 */
const enrolmentSchema = new Schema(
  {
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** Copied from the cohort so "is she enrolled in this programme" is one indexed query. */
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    status: { type: String, enum: enrolmentStatuses, required: true },
    /** Waitlist order: the time she joined the waitlist (earliest first). */
    waitlistedAt: { type: Date },
    enrolledAt: { type: Date },
    withdrawnAt: { type: Date },
  },
  { timestamps: true },
);
enrolmentSchema.index({ cohortId: 1, userId: 1 }, { unique: true });
enrolmentSchema.index({ userId: 1, status: 1 });
enrolmentSchema.index({ cohortId: 1, status: 1, waitlistedAt: 1 });
enrolmentSchema.index({ programmeId: 1, userId: 1, status: 1 });

export type Enrolment = InferSchemaType<typeof enrolmentSchema> & { _id: Types.ObjectId };
export const EnrolmentModel = model('Enrolment', enrolmentSchema);
