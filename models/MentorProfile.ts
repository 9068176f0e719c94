import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { phases, topics } from '../server/vocabulary.ts';
import { availabilityWindowSchema } from './mentoringShared.ts';

/**
 * A serving head's mentoring profile (API.md: PUT /api/v1/me/mentor-profile), one per user. Never holds an email:
 * a profile is shown to mentees, and the email stays on the User.
 */
const mentorProfileSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    phase: { type: String, enum: phases, required: true },
    yearsAsHead: { type: Number, required: true, min: 0, max: 60 },
    schoolName: { type: String, required: true, trim: true },
    /** ISO 3166-1 alpha-2 code (server/countries.ts). */
    country: { type: String, required: true },
    region: { type: String, default: '', trim: true },
    /** IANA zone in which her availability is given. */
    timezone: { type: String, required: true },
    languages: { type: [String], default: [] },
    expertise: { type: [String], enum: topics, default: [] },
    /** How many mentees she takes at once; 0 = not taking new mentees now (her current mentees stay). */
    capacity: { type: Number, required: true, min: 0, max: 10 },
    /**
     * capacity minus her active mentorships, kept so that taking a place is ONE atomic single-document write, correct
     * with several app processes and racing accepts:
     *   accept:          updateOne({ userId, freePlaces: { $gt: 0 } }, { $inc: { freePlaces: -1 }, $push: … }) — 0 → full
     *   close:           updateOne({ userId }, { $inc: { freePlaces: 1 } })
     *   capacity change: $inc freePlaces by (new capacity − old capacity) together with $set capacity in the same
     *                    update, conditional on the old capacity, so it never overwrites a concurrent accept.
     * It may be negative after a capacity cut below the active mentorships (she keeps them; nobody new gets in).
     * Never recompute it with a read-then-$set.
     */
    freePlaces: { type: Number, required: true, default: 0 },
    /**
     * The accepts (their `acceptAttempt` ids; a request's own id for accepts made before attempts had ids) that have
     * taken a place and not yet kept it for their mentorship: pushed in the same write as the accept's `$inc`, pulled
     * once the mentorship exists (or with the `$inc` that gives the place back). A process killed in between leaves
     * the id here, so the repair (finishInterruptedAccepts) knows to give that place back, once, with a write
     * conditional on the id still being held; an accept that was only slow finds its id gone and takes a place again
     * or undoes its mentorship (requests.ts).
     */
    placesHeldFor: { type: [Schema.Types.ObjectId], default: [] },
    /**
     * The closed mentorships whose place has come back, added in the same write as that `$inc`, which is conditional
     * on the id not being here: a close finished twice (by its own process and by the sweep, after a stop) gives the
     * place back once. Kept (an id a close), so a late second finish still finds it.
     */
    placesReturnedFor: { type: [Schema.Types.ObjectId], default: [] },
    availability: { type: [availabilityWindowSchema], default: [] },
    bio: { type: String, default: '', maxlength: 2000 },
    /**
     * Bumped with every change that can move her in mentees' rankings (a save, a place freed); with
     * `candidatesStale` set in the same write. The `mentoring:refresh-candidates` sweep applies her to every mentee's
     * MentorCandidates record, then clears the flag only if `matchVersion` is still the one it applied, so a change
     * made during a sweep is applied by the next one (never lost).
     */
    matchVersion: { type: Number, default: 0 },
    candidatesStale: { type: Boolean, default: false },
  },
  { timestamps: true },
);
mentorProfileSchema.index({ userId: 1 }, { unique: true });
/** The sweep reads the mentors whose change is not yet in the mentees' candidate records. */
mentorProfileSchema.index({ candidatesStale: 1 });
/** Suggestions and the assignment read the mentors who have a free place. */
mentorProfileSchema.index({ freePlaces: 1 });

export type MentorProfile = InferSchemaType<typeof mentorProfileSchema> & { _id: Types.ObjectId };
export const MentorProfileModel = model('MentorProfile', mentorProfileSchema);
