import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { topics } from '../server/vocabulary.ts';

export const poolOffers = ['speaker', 'facilitator', 'researcher'] as const;
export type PoolOfferKind = (typeof poolOffers)[number];
export const poolModes = ['online', 'in-person'] as const;

/** What a person offers the pool (API.md: PUT /api/v1/me/pool-profile). One per person; listed only when visible. */
const poolProfileSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    offers: { type: [String], enum: poolOffers, default: [] },
    topics: { type: [String], enum: topics, default: [] },
    bio: { type: String, default: '', maxlength: 1000 },
    regions: { type: [String], default: [] },
    languages: { type: [String], default: [] },
    modes: { type: [String], enum: poolModes, default: [] },
    visible: { type: Boolean, default: false },
  },
  { timestamps: true },
);
poolProfileSchema.index({ userId: 1 }, { unique: true });
poolProfileSchema.index({ visible: 1, offers: 1 });

export type PoolProfile = InferSchemaType<typeof poolProfileSchema> & { _id: Types.ObjectId };
export const PoolProfileModel = model('PoolProfile', poolProfileSchema);
