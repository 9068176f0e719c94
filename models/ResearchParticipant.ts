import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { phases } from '../server/vocabulary.ts';

/**
 * What a consenting person tells research about her context (optional): country, region and school phase. Only
 * the anonymised export reads it, coarsened so that no row is unique (server/services/research/anonymise.ts).
 */
const researchParticipantSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** ISO 3166-1 alpha-2, or '' when she did not say. */
    country: { type: String, default: '' },
    region: { type: String, default: '', maxlength: 100 },
    phase: { type: String, enum: [...phases, ''], default: '' },
  },
  { timestamps: true },
);
researchParticipantSchema.index({ userId: 1 }, { unique: true });

export type ResearchParticipant = InferSchemaType<typeof researchParticipantSchema> & { _id: Types.ObjectId };
export const ResearchParticipantModel = model('ResearchParticipant', researchParticipantSchema);
