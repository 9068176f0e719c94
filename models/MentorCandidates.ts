import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * A derived record, one per mentee: her best mentors as last ranked from the source profiles
 * (server/services/mentoring/candidates.ts), so that her suggestions read about 20 mentor profiles instead of scoring
 * every mentor on each request. Never shown as it is: at read time every hard rule, the score and the reasons are
 * computed again, live, on the candidates' current profiles. Rebuilt from the profiles at any time (deleting it loses
 * nothing). Why it exists, and why it is correct with several processes: README, Mentoring (derived record).
 */
const candidateSchema = new Schema(
  {
    /** The mentor's user id. */
    mentorId: { type: Schema.Types.ObjectId, required: true },
    /** Her profile's _id (the last tie-break of the ranking). */
    profileId: { type: Schema.Types.ObjectId, required: true },
    score: { type: Number, required: true },
    overlapMinutesPerWeek: { type: Number, required: true },
  },
  { _id: false },
);

const mentorCandidatesSchema = new Schema({
  /** The mentee's user id. */
  menteeId: { type: Schema.Types.ObjectId, required: true },
  /**
   * Bumped by every write; every write is conditional on the value it read (optimistic concurrency), so of two
   * refreshes at once one wins and the other reads again and recomputes: no write is ever lost or half applied.
   */
  rev: { type: Number, required: true, default: 0 },
  /** The `matchVersion` of her mentee profile that `candidates` were ranked for (-1: not ranked yet). */
  menteeVersion: { type: Number, required: true, default: -1 },
  /** When every mentor was last ranked for her (the record is not used once this is a day away from now). */
  computedAt: { type: Date, default: null },
  /** Best first, at most candidateLimit: exactly the best that many eligible mentors, as of their last refresh. */
  candidates: { type: [candidateSchema], default: [] },
  /** True when `candidates` holds every mentor eligible for her (fewer than candidateLimit were). */
  complete: { type: Boolean, required: true, default: false },
});
mentorCandidatesSchema.index({ menteeId: 1 }, { unique: true });

export type MentorCandidate = InferSchemaType<typeof candidateSchema>;
/** The record as read with lean(). */
export type MentorCandidates = Omit<InferSchemaType<typeof mentorCandidatesSchema>, 'candidates'> & {
  _id: Types.ObjectId;
  candidates: MentorCandidate[];
};
export const MentorCandidatesModel = model('MentorCandidates', mentorCandidatesSchema);
