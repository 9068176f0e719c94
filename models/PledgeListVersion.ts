import { Schema, model } from 'mongoose';

/**
 * One small document that says when the public Pledge list last changed: every write that can change the list or
 * its counts (confirming, hiding or showing again, deleting, an individual showing her name) bumps `version` with an
 * atomic `$inc` after its own write. App processes cache list pages and counts under (epoch, version) and read this
 * document by `_id` on each request, so a change made through any process is seen by all of them at once.
 * `epoch` is random and set when the document is created, so a cache built before the document was lost (a database
 * emptied or restored) never matches again.
 */
const pledgeListVersionSchema = new Schema(
  {
    _id: { type: String, required: true },
    epoch: { type: String, required: true },
    version: { type: Number, required: true, default: 0 },
  },
  { versionKey: false },
);

export const PledgeListVersionModel = model('PledgeListVersion', pledgeListVersionSchema);
