import { Schema, model } from 'mongoose';

/**
 * The use of something that may be used once, such as an emailed link. Its `_id` names what was used
 * ('one-time-token:<id>', 'pledge-link:<id>'): inserting the document is the use, and the primary key makes "the first
 * one wins" atomic on FerretDB and MongoDB alike, where a conditional update (`usedAt: null` → now) is not atomic on
 * FerretDB 1.x. Removed by the maintenance job once what it guards has expired.
 */
const singleUseSchema = new Schema(
  {
    _id: { type: String, required: true },
    usedAt: { type: Date, required: true },
    /** When what it guards stops working anyway; after that the record only takes space. */
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export const SingleUseModel = model('SingleUse', singleUseSchema);
