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
    /**
     * The two of them, blocker first: "everyone she blocked or who blocked her" is one read of the multikey index
     * `{people}` rather than one by `blockerId` and one by `blockedId` (the directory and mentor suggestions ask it on
     * every request). Filled on every write (below, and in blocks.ts), and at start for rows stored before it.
     */
    people: { type: [Schema.Types.ObjectId], ref: 'User', default: undefined },
  },
  {
    timestamps: true,
    // Built by connectDatabase after repairBeforeIndexes has filled `people` on rows stored before it, so no read
    // by `people` misses an older block.
    autoIndex: false,
    statics: {
      /** Fills `people` on rows stored before it; idempotent, and each write is the same whoever makes it. */
      async repairBeforeIndexes(): Promise<number> {
        const rows = await this.find({ people: { $exists: false } }, { blockerId: 1, blockedId: 1 }).lean();
        for (const row of rows)
          await this.updateOne({ _id: row._id }, { $set: { people: [row.blockerId, row.blockedId] } });
        return rows.length;
      },
    },
  },
);
directoryBlockSchema.pre('validate', function fillPeople() {
  if (!this.people?.length) this.people = [this.blockerId, this.blockedId] as unknown as typeof this.people;
});
directoryBlockSchema.index({ blockerId: 1 });
directoryBlockSchema.index({ blockedId: 1 });
directoryBlockSchema.index({ people: 1 });

export type DirectoryBlock = InferSchemaType<typeof directoryBlockSchema> & { _id: string; blockerId: Types.ObjectId };
export const DirectoryBlockModel = model('DirectoryBlock', directoryBlockSchema);
