import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { phases, topics } from '../server/vocabulary.ts';
import { availabilityWindowSchema } from './mentoringShared.ts';

/**
 * A woman's profile as a mentee (API.md: PUT /api/v1/me/mentee-profile), one per user: what she wants help with,
 * when she is free in her own zone, and her preferences. Never holds an email.
 */
const menteeProfileSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    goals: { type: [String], enum: topics, default: [] },
    phase: { type: String, enum: phases, required: true },
    schoolName: { type: String, default: '', trim: true },
    /** ISO 3166-1 alpha-2 code (server/countries.ts). */
    country: { type: String, required: true },
    region: { type: String, default: '', trim: true },
    /** IANA zone in which her availability is given and her suggestions are described. */
    timezone: { type: String, required: true },
    languages: { type: [String], default: [] },
    availability: { type: [availabilityWindowSchema], default: [] },
    preferences: {
      type: new Schema(
        {
          sameRegion: { type: Boolean, default: false },
          /** A language she would like to be mentored in ('' = no preference). */
          language: { type: String, default: '' },
        },
        { _id: false },
      ),
      default: () => ({}),
    },
    /** Bumped by every save: her MentorCandidates record is used only when ranked for this version. */
    matchVersion: { type: Number, default: 0 },
    /**
     * Whether she has ever blocked someone or been blocked: `false` tells her mentor suggestions that no mentor is kept
     * from her by a block, without reading blocks (the same mark as her directory profile's, written with it:
     * server/services/directory/blocks.ts); missing (a profile from before the field) reads the blocks.
     */
    inBlocks: { type: Boolean, default: undefined },
  },
  { timestamps: true },
);
menteeProfileSchema.index({ userId: 1 }, { unique: true });

export type MenteeProfile = InferSchemaType<typeof menteeProfileSchema> & { _id: Types.ObjectId };
export const MenteeProfileModel = model('MenteeProfile', menteeProfileSchema);
