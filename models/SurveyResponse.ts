import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { surveyMoments } from './Survey.ts';

/**
 * One person's answers to one survey: unique on (surveyId, userId), so she answers once however often she posts,
 * from however many processes. Programme and moment are copied so research figures read answers by programme.
 */
const surveyResponseSchema = new Schema(
  {
    surveyId: { type: Schema.Types.ObjectId, ref: 'Survey', required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    moment: { type: String, enum: surveyMoments, required: true },
    /** questionId → 1..5 (likert5), the chosen text (choice) or her words (text; never exported). */
    answers: { type: Schema.Types.Mixed, required: true },
    answeredAt: { type: Date, required: true },
  },
  { timestamps: false, minimize: false },
);
surveyResponseSchema.index({ surveyId: 1, userId: 1 }, { unique: true });
surveyResponseSchema.index({ programmeId: 1, moment: 1 });
surveyResponseSchema.index({ userId: 1 });

export type SurveyResponse = InferSchemaType<typeof surveyResponseSchema> & { _id: Types.ObjectId };
export const SurveyResponseModel = model('SurveyResponse', surveyResponseSchema);
