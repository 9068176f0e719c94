import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * One person blocking another: `_id` is `<blockerId>:<blockedId>`, so blocking twice is one row and unblocking is
 * one delete by `_id`. A block works both ways for the directory (neither sees the other) and stops messages from
 * the blocked person.
 */
const directoryBlockSchema = new Schema(
  {
    _id: { type: String, required: true },
    blockerId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    blockedId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);
directoryBlockSchema.index({ blockerId: 1 });
directoryBlockSchema.index({ blockedId: 1 });

export type DirectoryBlock = InferSchemaType<typeof directoryBlockSchema> & { _id: string; blockerId: Types.ObjectId };
export const DirectoryBlockModel = model('DirectoryBlock', directoryBlockSchema);
