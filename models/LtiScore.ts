import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * The latest score owed to one line item for one learner (`_id` = hash of platform, line item and user): a durable
 * outbox of one row per (user, line item). A progress change overwrites the score (unless a newer reading is stored:
 * `ticket`) and bumps `seq`; the sender claims the row with a conditional update (lease), posts the score it read,
 * and marks it sent only if `seq` is unchanged, so only the latest score is ever pending and nothing older is sent
 * after something newer.
 */
const ltiScoreSchema = new Schema(
  {
    _id: { type: String, required: true },
    platformId: { type: Schema.Types.ObjectId, ref: 'LtiPlatform', required: true },
    lineItemUrl: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    sub: { type: String, required: true },
    scoreGiven: { type: Number, required: true },
    scoreMaximum: { type: Number, required: true },
    activityProgress: { type: String, enum: ['InProgress', 'Completed'], required: true },
    timestamp: { type: Date, required: true },
    seq: { type: Number, required: true, default: 0 },
    /**
     * Taken (`$inc`) by each completion before it reads her progress; `scoreTicket` is the ticket under which the
     * stored score was read. A score is written only over one read under an earlier ticket (services/lti/scores.ts).
     */
    ticket: { type: Number, default: 0 },
    scoreTicket: { type: Number, default: 0 },
    sentSeq: { type: Number, default: 0 },
    /** 'pending' while seq > sentSeq; 'sent'; 'failed' after the last attempt (a newer score makes it pending again). */
    state: { type: String, enum: ['pending', 'sent', 'failed'], required: true },
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    leaseUntil: { type: Date },
    lastError: { type: String },
    sentAt: { type: Date },
  },
  { timestamps: true },
);
ltiScoreSchema.index({ state: 1, nextAttemptAt: 1 });
ltiScoreSchema.index({ userId: 1 });

export type LtiScore = InferSchemaType<typeof ltiScoreSchema>;
export const LtiScoreModel = model('LtiScore', ltiScoreSchema, 'lti_scores');
