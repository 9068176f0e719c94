import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * Every attempt at a quiz module, passed or not (attempts are unlimited, and facilitators see how many it took).
 * Answers are kept as one subdocument per question: FerretDB 1.x stores no arrays directly inside arrays.
 */
const quizAttemptSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    moduleId: { type: Schema.Types.ObjectId, ref: 'Module', required: true },
    cohortId: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    answers: { type: [{ choices: { type: [Number], default: [] }, _id: false }], default: [] },
    score: { type: Number, required: true, min: 0, max: 100 },
    passed: { type: Boolean, required: true },
    attemptedAt: { type: Date, required: true },
  },
  { timestamps: false },
);
quizAttemptSchema.index({ userId: 1, moduleId: 1, attemptedAt: -1 });
quizAttemptSchema.index({ cohortId: 1, moduleId: 1 });

export type QuizAttempt = InferSchemaType<typeof quizAttemptSchema> & { _id: Types.ObjectId };
export const QuizAttemptModel = model('QuizAttempt', quizAttemptSchema);
