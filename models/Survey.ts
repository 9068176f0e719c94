import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/** The moments of a participant's own enrolment at which she is invited to a survey. */
export const surveyMoments = ['start', 'end', 'followup-6m', 'followup-12m'] as const;
/** Each moment in words, as the survey form, the surveys list and the dashboard say it. */
export const surveyMomentLabels: Record<(typeof surveyMoments)[number], string> = {
  start: 'At the start',
  end: 'At the end',
  'followup-6m': '6 months after the end',
  'followup-12m': '12 months after the end',
};
export type SurveyMoment = (typeof surveyMoments)[number];
export const questionTypes = ['likert5', 'choice', 'text'] as const;
export type QuestionType = (typeof questionTypes)[number];

const questionSchema = new Schema(
  {
    /** Stable across the surveys of one programme, so start and end answers to "confidence" can be compared. */
    id: { type: String, required: true },
    prompt: { type: String, required: true },
    type: { type: String, enum: questionTypes, required: true },
    choices: { type: [String], default: undefined },
  },
  { _id: false },
);

/** A short survey of one programme at one moment (API.md: POST /api/v1/surveys). Never edited once answered. */
const surveySchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    moment: { type: String, enum: surveyMoments, required: true },
    questions: { type: [questionSchema], required: true },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** Unique: the survey form sent twice (a double-click, an API retry with its key) makes one survey, invited once. */
    submissionKey: submissionKeyPath,
  },
  { timestamps: true },
);
surveySchema.plugin(keyedSubmissions);
surveySchema.index({ programmeId: 1, moment: 1 });

export type Survey = InferSchemaType<typeof surveySchema> & { _id: Types.ObjectId };
export const SurveyModel = model('Survey', surveySchema);
