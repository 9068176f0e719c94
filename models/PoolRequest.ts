import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';
import { topics } from '../server/vocabulary.ts';
import { poolModes, poolOffers } from './PoolProfile.ts';

/**
 * A school's, board's or organisation's request for a speaker, facilitator or researcher, made on the public form.
 * `unconfirmed` until the contact follows the emailed link (only the link's SHA-256 is stored); then `open` for
 * admins to triage, `offered` once offered to a member, and `accepted` (one member, by a conditional update) or
 * `closed` (no one could take it).
 */
export const poolRequestStatuses = ['unconfirmed', 'open', 'offered', 'accepted', 'closed'] as const;

const poolRequestSchema = new Schema(
  {
    offer: { type: String, enum: poolOffers, required: true },
    topic: { type: String, enum: topics, required: true },
    organisation: { type: String, required: true, maxlength: 200 },
    contactName: { type: String, required: true, maxlength: 120 },
    contactEmail: { type: String, required: true, lowercase: true, maxlength: 320 },
    /** YYYY-MM-DD, when the organisation has a date in mind. */
    date: { type: String },
    mode: { type: String, enum: poolModes, required: true },
    message: { type: String, required: true, maxlength: 2000 },
    status: { type: String, enum: poolRequestStatuses, required: true, default: 'unconfirmed' },
    confirmTokenHash: { type: String, required: true },
    confirmExpiresAt: { type: Date, required: true },
    confirmedAt: { type: Date },
    acceptedOfferId: { type: Schema.Types.ObjectId, ref: 'PoolOffer' },
    acceptedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    closedReason: { type: String },
    decidedAt: { type: Date },
    /**
     * Set by an accept's claim and unset once it is carried through (her offer accepted, the others withdrawn, the
     * organisation emailed): one still set minutes later was left by a process that stopped between the steps, and
     * the pool's sweep finishes it (services/pool/pool.ts, acceptsFinished).
     */
    settling: { type: Boolean },
    /** While an accept's email to the organisation is being queued: the lease of the finish queueing it. */
    mailingUntil: { type: Date },
    /** Unique: the public form sent twice (a double-click, a retry) stores one request (server/submissions.ts). */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
poolRequestSchema.plugin(keyedSubmissions);
poolRequestSchema.index({ confirmTokenHash: 1 }, { unique: true });
poolRequestSchema.index({ status: 1, createdAt: -1 });
poolRequestSchema.index({ settling: 1 });

export type PoolRequest = InferSchemaType<typeof poolRequestSchema> & { _id: Types.ObjectId };
export const PoolRequestModel = model('PoolRequest', poolRequestSchema);
