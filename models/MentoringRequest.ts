import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * A mentee's request to one mentor (API.md: POST /api/v1/mentoring/requests). Two rules must hold across every app
 * process, and both rest on unique keys written with the insert (FerretDB has no partial indexes, and a unique key
 * that is always present behaves the same on MongoDB and FerretDB):
 * - `openKey` is `<menteeId>:<mentorId>` while the request is pending, so she holds at most one pending request to
 *   a mentor; answering, withdrawing or expiring it rewrites the key to `<menteeId>:<mentorId>:<requestId>`, which frees it.
 * - `slotKey` is `<menteeId>:<1..3>` while pending: her three pending places, like numbered seats; answering
 *   rewrites it to `done:<requestId>`. A fourth pending request finds every slot taken.
 */
export const requestStatuses = ['pending', 'accepted', 'declined', 'withdrawn', 'expired'] as const;
export type RequestStatus = (typeof requestStatuses)[number];
export const maxPendingRequests = 3;
/** A request unanswered this long expires (reminded to the mentor at half of it). */
export const requestExpiryDays = 14;
export const requestReminderDays = 7;

const mentoringRequestSchema = new Schema(
  {
    menteeId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    mentorId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    message: { type: String, default: '' },
    status: { type: String, enum: requestStatuses, required: true, default: 'pending' },
    openKey: { type: String, required: true },
    slotKey: { type: String, required: true },
    /** When she sent it (days to a match count from here); expiresAt is 14 days later. */
    sentAt: { type: Date, required: true },
    /** When it expires unanswered. */
    expiresAt: { type: Date, required: true },
    /** Who sent it: the mentee herself, or an admin sending an assignment on her behalf. */
    sentBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    answeredAt: { type: Date },
    /**
     * The accept that claimed it (a fresh id per attempt): the place that accept holds on the mentor's profile is
     * held under this id, so a repair or a second accept of the same request only ever gives back its own place.
     */
    acceptAttempt: { type: Schema.Types.ObjectId },
    declineReason: { type: String },
    mentorshipId: { type: Schema.Types.ObjectId, ref: 'Mentorship' },
  },
  { timestamps: true },
);
mentoringRequestSchema.index({ openKey: 1 }, { unique: true });
mentoringRequestSchema.index({ slotKey: 1 }, { unique: true });
mentoringRequestSchema.index({ mentorId: 1, status: 1 });
mentoringRequestSchema.index({ menteeId: 1, status: 1 });
mentoringRequestSchema.index({ status: 1, expiresAt: 1 });

export type MentoringRequest = InferSchemaType<typeof mentoringRequestSchema> & {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
};
export const MentoringRequestModel = model('MentoringRequest', mentoringRequestSchema);
