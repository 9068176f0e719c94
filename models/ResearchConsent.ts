import { createHash } from 'node:crypto';
import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * One change of a person's research consent (API.md: PUT /api/v1/me/research-consent). Never updated: every change
 * is a new record, so figures can ask whether she consented at the moment a record was made, and her history can be
 * shown to her and exported. No record means no consent (off by default).
 *
 * A change's `_id` is fixed by her history before it (consentChangeId): two changes written at once over the same
 * history, say a double click, have the same `_id`, and the unique `_id` keeps one. No other key is needed, so records
 * written before this rule (with ordinary ids) stay as they are.
 */
const researchConsentSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    consented: { type: Boolean, required: true },
    /** The version of the consent text she saw (server/services/research/consentText.ts). */
    textVersion: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { timestamps: false },
);
// Her latest change is read with `_id` breaking ties (consentState): in the index, that is one index entry read.
researchConsentSchema.index({ userId: 1, at: 1, _id: 1 });

/** The `_id` of her change that follows `earlier` changes (0 for her first): the same in every process. */
export function consentChangeId(userId: string | Types.ObjectId, earlier: number): Types.ObjectId {
  const digest = createHash('sha256')
    .update(`research-consent:${String(userId)}:${earlier}`)
    .digest('hex');
  return new Types.ObjectId(digest.slice(0, 24));
}

export type ResearchConsent = InferSchemaType<typeof researchConsentSchema> & { _id: Types.ObjectId };
export const ResearchConsentModel = model('ResearchConsent', researchConsentSchema);
