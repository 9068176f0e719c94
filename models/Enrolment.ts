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
    /**
     * Set in the write that promotes her from the waitlist, unset once she has been told ("A place is yours") and her
     * reminders planned: one still set minutes later was left by a process that stopped in between, and a sweep
     * announces it again (services/cohorts/enrolment.ts, promotionsAnnounced).
     */
    announcePendingSince: { type: Date },
    /**
     * Moves on with every completion and certificate of hers in this cohort, before her progress below is written
     * again (server/services/learning/enrolmentProgress.ts).
     */
    progressVersion: { type: Number, default: 0 },
    /**
     * Her progress in this cohort as her home page shows it: the modules she completed here (archived ones included)
     * and her certificate. Derived from her completions and certificates (server/services/learning/enrolmentProgress.ts),
     * so that page reads neither: a measured choice (README "Derived records"). Written only over the
     * `progressVersion` it was computed at, and every completion and certificate moves that on before it writes
     * them again. Whether she may complete a module and whether she has earned her certificate are decided from
     * the completions themselves.
     */
    completedModuleIds: { type: [Schema.Types.ObjectId], ref: 'Module', default: undefined },
    certificate: {
      type: new Schema(
        {
          certificateId: { type: Schema.Types.ObjectId, ref: 'Certificate' },
          expiresAt: { type: Date, default: null },
        },
        { _id: false },
      ),
      default: undefined,
    },
    /**
     * When she last did something in this cohort's modules (a completion or a quiz attempt, passed or not), for her
     * facilitators' progress view. Part of her progress above: derived from the same sources, on the same version.
     */
    lastActivityAt: { type: Date, default: undefined },
    /**
     * Her name as her account has it, so that registers, attendance reports and progress views read no accounts (a
     * measured choice, README "Derived records"). Copied with the account's `version` it was taken at, and only ever
     * replaced by a later one (server/services/cohorts/participantNames.ts).
     */
    participantName: { type: String, default: undefined },
    participantNameVersion: { type: Number, default: undefined },
  },
  { timestamps: true },
);
enrolmentSchema.index({ cohortId: 1, userId: 1 }, { unique: true });
enrolmentSchema.index({ userId: 1, status: 1 });
enrolmentSchema.index({ cohortId: 1, status: 1, waitlistedAt: 1 });
enrolmentSchema.index({ programmeId: 1, userId: 1, status: 1 });
enrolmentSchema.index({ announcePendingSince: 1 });

export type Enrolment = InferSchemaType<typeof enrolmentSchema> & { _id: Types.ObjectId };
export const EnrolmentModel = model('Enrolment', enrolmentSchema);
