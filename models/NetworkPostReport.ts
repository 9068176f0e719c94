import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * A reader's report of a post or of one of its replies, for the network's leads and the admins. One per reader and
 * post or reply (unique): reporting again updates the reason and notifies nobody twice.
 */
const reportSchema = new Schema(
  {
    postId: { type: Schema.Types.ObjectId, ref: 'NetworkPost', required: true },
    /** The reply reported, on the post `postId`; null (or absent, in reports made before replies could be) for the post. */
    replyId: { type: Schema.Types.ObjectId, ref: 'NetworkReply', default: null },
    networkId: { type: Schema.Types.ObjectId, ref: 'Network', required: true },
    /** Null once the reporter's personal data was erased (the report stays for the moderation record). */
    reporterId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    reason: { type: String, required: true, maxlength: 1000 },
  },
  { timestamps: true },
);
// A missing replyId is indexed as null: reports made before replies could be reported are the post's own.
reportSchema.index({ postId: 1, replyId: 1, reporterId: 1 }, { unique: true });
// A network's reports, newest first, a page at a time (the moderation list).
reportSchema.index({ networkId: 1, _id: -1 });
reportSchema.index({ reporterId: 1 });

export type NetworkPostReport = InferSchemaType<typeof reportSchema> & { _id: Types.ObjectId };
export const NetworkPostReportModel = model('NetworkPostReport', reportSchema);
