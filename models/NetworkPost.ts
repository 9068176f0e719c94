import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

export const postKinds = ['story', 'question', 'announcement'] as const;
export type PostKind = (typeof postKinds)[number];

/**
 * A story, question or (leads only) announcement in one network. Hiding is a flag, never a delete: members stop
 * seeing it at once, leads and admins still see it marked with the reason. `authorId` is null once the author's
 * personal data was erased (the post then reads "Former member" and its text is removed).
 */
const postSchema = new Schema(
  {
    networkId: { type: Schema.Types.ObjectId, ref: 'Network', required: true },
    authorId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    /**
     * The author's name as her account has it, kept here so that a list of posts needs no read of the accounts
     * (server/services/networks/authorNames.ts: a measured choice, README "Derived records"). `authorVersion` is the
     * account's `version` the name was copied at: a copy is only ever replaced by one of a later version, so two
     * renames at once, or a rename beside a new post, leave the newest name whichever write lands last.
     */
    authorName: { type: String },
    authorVersion: { type: Number },
    kind: { type: String, enum: postKinds, required: true },
    title: { type: String, required: true, maxlength: 200 },
    /** Markdown, sanitised on save (server/services/learning/markdown.ts) and again on render. */
    body: { type: String, required: true, maxlength: 20_000 },
    /** Kept with one `$inc` per reply; repaired by the `networks:recount-replies` job (recountReplies). */
    replyCount: { type: Number, default: 0 },
    hidden: { type: Boolean, default: false },
    hiddenReason: { type: String },
    hiddenBy: { type: Schema.Types.ObjectId, ref: 'User' },
    hiddenAt: { type: Date },
    erased: { type: Boolean, default: false },
    /** Unique: a repeated submission stores nothing new (server/submissions.ts); one of its own otherwise. */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
postSchema.plugin(keyedSubmissions);
/** A network's posts, newest first (keyset pages on _id). */
postSchema.index({ networkId: 1, _id: -1 });
postSchema.index({ authorId: 1 });

export type NetworkPost = InferSchemaType<typeof postSchema> & { _id: Types.ObjectId };
export const NetworkPostModel = model('NetworkPost', postSchema);
