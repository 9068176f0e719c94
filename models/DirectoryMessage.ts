import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/**
 * A message sent through the directory's "contact" button, or a reply to one. Pathways emails the recipient that a
 * message is waiting, with a link to read and answer it in Pathways; neither address is shown to the other until the
 * recipient replies: a reply's email carries the replier's address (she chose to answer), so the two can go on by
 * email. Reports go to admins (`reportedAt`, `reportReason`).
 */
const directoryMessageSchema = new Schema(
  {
    fromId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    toId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** The message this one answers. */
    inReplyTo: { type: Schema.Types.ObjectId, ref: 'DirectoryMessage', default: null },
    body: { type: String, required: true, maxlength: 4000 },
    /** Names as they were when sent, so a thread still reads after an erasure (then "Former member"). */
    fromName: { type: String, required: true },
    toName: { type: String, required: true },
    reportedAt: { type: Date, default: null },
    reportReason: { type: String, default: null },
    /** `reported` rows are what admins review (indexed: the admin list reads them by equality). */
    state: { type: String, enum: ['sent', 'reported'], default: 'sent' },
    /** Unique: a repeated submission stores nothing new (server/submissions.ts); one of its own otherwise. */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
directoryMessageSchema.plugin(keyedSubmissions);
directoryMessageSchema.index({ toId: 1, createdAt: -1 });
directoryMessageSchema.index({ fromId: 1, createdAt: -1 });
directoryMessageSchema.index({ state: 1 });

export type DirectoryMessage = InferSchemaType<typeof directoryMessageSchema> & { _id: Types.ObjectId };
export const DirectoryMessageModel = model('DirectoryMessage', directoryMessageSchema);
