import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { keyedSubmissions, submissionKeyPath } from '../server/submissions.ts';

/** A reply to a network post. Readable by whoever may read the post; `authorId` null after an erasure. */
const replySchema = new Schema(
  {
    postId: { type: Schema.Types.ObjectId, ref: 'NetworkPost', required: true },
    networkId: { type: Schema.Types.ObjectId, ref: 'Network', required: true },
    authorId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    /**
     * The author's name as her account has it, kept here so that a post's replies needs no read of the accounts
     * (server/services/networks/authorNames.ts: a measured choice, README "Derived records"). `authorVersion` is the
     * account's `version` the name was copied at: a copy is only ever replaced by one of a later version, so two
     * renames at once, or a rename beside a new post, leave the newest name whichever write lands last.
     */
    authorName: { type: String },
    authorVersion: { type: Number },
    /** Markdown, sanitised on save and on render. */
    body: { type: String, required: true, maxlength: 10_000 },
    erased: { type: Boolean, default: false },
    /**
     * Hidden by a lead or an admin (audited): readers see that a reply was hidden at its place, not its words or its
     * author; those who moderate see it all, with the reason.
     */
    hidden: { type: Boolean, default: false },
    hiddenReason: { type: String },
    hiddenBy: { type: Schema.Types.ObjectId, ref: 'User' },
    hiddenAt: { type: Date },
    /** Unique: a repeated submission stores nothing new (server/submissions.ts); one of its own otherwise. */
    submissionKey: submissionKeyPath,
  },
  {
    timestamps: true,
  },
);
replySchema.plugin(keyedSubmissions);
replySchema.index({ postId: 1, _id: 1 });
replySchema.index({ authorId: 1 });

export type NetworkReply = InferSchemaType<typeof replySchema> & { _id: Types.ObjectId };
export const NetworkReplyModel = model('NetworkReply', replySchema);
