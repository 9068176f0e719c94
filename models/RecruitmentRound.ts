import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

export const genderCategories = ['women', 'men', 'other', 'preferNotToSay'] as const;
export type GenderCategory = (typeof genderCategories)[number];
export const recruitmentStages = ['applicants', 'shortlisted', 'appointed'] as const;
export type RecruitmentStage = (typeof recruitmentStages)[number];

const countsSchema = new Schema(
  {
    women: { type: Number, min: 0, max: 10_000 },
    men: { type: Number, min: 0, max: 10_000 },
    other: { type: Number, min: 0, max: 10_000 },
    preferNotToSay: { type: Number, min: 0, max: 10_000 },
  },
  { _id: false },
);

/** What the round looked like when it was closed: the governance file's record, never recomputed. */
const recordMemberSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    name: { type: String, required: true },
    boardRole: { type: String },
    status: { type: String, required: true },
    percent: { type: Number, required: true },
    certificateCode: { type: String },
    certificateIssuedAt: { type: Date },
    certificateExpiresAt: { type: Date },
    /** The certificate above was gained after the interview day: hers now, not on the day (status says how she stood). */
    certificateAfterInterview: { type: Boolean },
    /** expires-before-interview: by when she had to renew. */
    renewBy: { type: Date },
  },
  { _id: false },
);

/**
 * One headteacher vacancy of a board. Calendar dates are YYYY-MM-DD in the board's zone; readiness uses the
 * LAST interview date. Gender figures are counts only: no candidate is ever named here.
 */
const recruitmentRoundSchema = new Schema(
  {
    boardId: { type: Schema.Types.ObjectId, ref: 'Board', required: true },
    title: { type: String, required: true, trim: true },
    closingDate: { type: String },
    shortlistingDate: { type: String },
    interviewDates: {
      type: [String],
      required: true,
      validate: { validator: (v: string[]) => v.length >= 1, message: 'needs at least one interview date' },
    },
    panel: { type: [Schema.Types.ObjectId], ref: 'User', default: [] },
    status: { type: String, enum: ['open', 'closed'], required: true, default: 'open' },
    genderFigures: {
      applicants: { type: countsSchema, default: undefined },
      shortlisted: { type: countsSchema, default: undefined },
      appointed: { type: countsSchema, default: undefined },
    },
    closedAt: { type: Date },
    closedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    readinessRecord: {
      type: {
        ready: Boolean,
        interviewDate: String,
        timezone: String,
        /** The board's name and organisation at closing: renamed later, the record still reads as it closed. */
        boardName: String,
        organisation: String,
        members: [recordMemberSchema],
        /**
         * Grows with each rewrite of `members` after the close (an erasure naming someone "Former member"): a rewrite
         * computed from a read is written only over the revision read, so two erasures at once keep both names out.
         */
        rev: Number,
      },
      default: undefined,
    },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User' },
    /** Bumped by every change of details, panel or figures: a change computed from a read is written only at that version. */
    version: { type: Number, default: 0 },
    /** Unique: the form sent twice (a double-click, an API retry with its key) starts one round (server/submissions.ts). */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
recruitmentRoundSchema.plugin(keyedSubmissions);
recruitmentRoundSchema.index({ boardId: 1, createdAt: -1 });
recruitmentRoundSchema.index({ panel: 1, status: 1 });
// Open rounds by status (reminders, boards); closed ones by date for the impact dashboard's range.
recruitmentRoundSchema.index({ status: 1, closedAt: 1 });

export type RecruitmentRound = InferSchemaType<typeof recruitmentRoundSchema> & { _id: Types.ObjectId };
export const RecruitmentRoundModel = model('RecruitmentRound', recruitmentRoundSchema);
