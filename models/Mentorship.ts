import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * A mentorship, made when a mentor accepts a request. `requestId` is unique (one mentorship per accepted request,
 * however many accepts race) and `activeKey` is `<mentorId>:<menteeId>` while active (one active mentorship per
 * pair), rewritten to `<mentorId>:<menteeId>:<id>` when it closes. The mentor's place is counted on her profile
 * (`freePlaces`, taken with one conditional `$inc`), not here.
 */
export const mentorshipStatuses = ['active', 'closed'] as const;
export const meetingFrequencies = ['weekly', 'fortnightly', 'monthly'] as const;
export type MeetingFrequency = (typeof meetingFrequencies)[number];

const mentorshipSchema = new Schema(
  {
    requestId: { type: Schema.Types.ObjectId, ref: 'MentoringRequest', required: true },
    mentorId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    menteeId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    status: { type: String, enum: mentorshipStatuses, required: true, default: 'active' },
    activeKey: { type: String, required: true },
    startedAt: { type: Date, required: true },
    /** When the request was sent: days to a match = startedAt − requestedAt. */
    requestedAt: { type: Date, required: true },
    agreement: {
      type: new Schema(
        {
          goals: { type: [String], default: [] },
          meetingFrequency: { type: String, enum: meetingFrequencies },
          /** YYYY-MM-DD. */
          endsOn: { type: String },
          updatedAt: { type: Date },
          updatedBy: { type: Schema.Types.ObjectId, ref: 'User' },
        },
        { _id: false },
      ),
      default: null,
    },
    /** Moves on with every save of the agreement, written only over the version its editor read (server/versions.ts). */
    agreementVersion: { type: Number, default: 0 },
    /** The latest meeting held (the rhythm reminder counts from it, or from the start). */
    lastMeetingAt: { type: Date, default: null },
    closedAt: { type: Date },
    /**
     * Set by the accept that makes it, unset once both people have been told and its reminders planned
     * (requests.ts, tellMentorshipBegan): an accept whose process stopped in between is finished by the mentoring sweep.
     */
    beginning: { type: Boolean },
    /**
     * Set by the write that closes it, unset once what follows a close is done (its place back, reminders stopped, the
     * outcomes prompt planned): a close whose process stopped in between is finished by the mentoring sweep.
     */
    settling: { type: Boolean },
    closedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    closeReason: { type: String },
    /** The mentee's, 1–5; seen by admins only (server/services/mentoring/ratings.ts). */
    rating: { type: Number, min: 1, max: 5 },
    /** For the programme team, by whoever closed it; seen by admins only. */
    feedback: { type: String },
  },
  { timestamps: true },
);
mentorshipSchema.index({ requestId: 1 }, { unique: true });
mentorshipSchema.index({ activeKey: 1 }, { unique: true });
mentorshipSchema.index({ mentorId: 1, status: 1 });
mentorshipSchema.index({ menteeId: 1, status: 1 });
mentorshipSchema.index({ status: 1 });
// The admin overview's ratings read the rated mentorships only, and its feedback the latest closes first.
mentorshipSchema.index({ rating: 1 });
mentorshipSchema.index({ status: 1, closedAt: 1 });
// The closes still settling (a few at most): the sweep finds them without reading every closed mentorship.
mentorshipSchema.index({ settling: 1 });
mentorshipSchema.index({ beginning: 1 });

export type Mentorship = InferSchemaType<typeof mentorshipSchema> & { _id: Types.ObjectId; createdAt: Date };

/** `activeKey` while the pair's mentorship is active: unique, so a pair has one active mentorship at a time. */
export const activeKeyOf = (mentorId: unknown, menteeId: unknown) => `${String(mentorId)}:${String(menteeId)}`;
/** `activeKey` once it is closed: its own, which frees the pair's key for a mentorship after it. */
export const closedKeyOf = (m: Pick<Mentorship, '_id' | 'mentorId' | 'menteeId'>) =>
  `${activeKeyOf(m.mentorId, m.menteeId)}:${String(m._id)}`;
export const MentorshipModel = model('Mentorship', mentorshipSchema);
