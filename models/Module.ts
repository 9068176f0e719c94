import { Schema, Types, model, type InferSchemaType } from 'mongoose';

export const completionTypes = ['view', 'reflection', 'quiz'] as const;
export type CompletionType = (typeof completionTypes)[number];

const questionSchema = new Schema(
  {
    prompt: { type: String, required: true },
    choices: { type: [String], required: true },
    /** Indexes of the correct choices; more than one makes it a multiple-choice question. Never sent to a learner before she passes. */
    correct: { type: [Number], required: true },
  },
  { _id: false },
);

const moduleSchema = new Schema(
  {
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    title: { type: String, required: true, trim: true },
    /** Markdown, with HTML outside the safe list removed on save. */
    body: { type: String, required: true, default: '' },
    estimatedMinutes: { type: Number, required: true, min: 1, max: 1000 },
    resources: { type: [{ title: String, url: String, _id: false }], default: [] },
    prerequisites: { type: [Schema.Types.ObjectId], ref: 'Module', default: [] },
    completion: {
      type: { type: String, enum: completionTypes, required: true },
      passMark: { type: Number, min: 0, max: 100 },
      /** Reflection modules: the fewest words the author accepts (0 means any non-empty reflection). */
      minWords: { type: Number, min: 0, max: 500 },
      questions: { type: [questionSchema], default: undefined },
    },
    /** Order within the programme (ascending). */
    position: { type: Number, required: true, default: 0 },
    /** Archived modules keep their completions but no longer count towards progress. */
    archived: { type: Boolean, required: true, default: false },
    /** Bumped by every edit of the module's content: an edit is written only over the version it read. */
    version: { type: Number, default: 0 },
  },
  { timestamps: true },
);
moduleSchema.index({ programmeId: 1, archived: 1, position: 1 });

export type Module = InferSchemaType<typeof moduleSchema> & { _id: Types.ObjectId };
export const ModuleModel = model('Module', moduleSchema);
