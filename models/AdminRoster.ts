import { Schema, Types, model } from 'mongoose';

/**
 * The one document that decides "never remove the last active admin". It lists the ids of the active admins and their
 * count; an admin is taken off only by a conditional update of this single document (`count > 1` and her id listed →
 * pull her, count − 1), which MongoDB (and our patched FerretDB) applies atomically. Of two requests that would each
 * remove one of the last two admins, exactly one matches: the other sees count 1 and answers 409. The user document
 * is written after the roster, so a crash in between leaves the roster short of an admin (a later removal may be
 * refused, never wrongly allowed). Everything that makes an active admin adds her (`noteActiveAdmin`, also called from
 * the User model's save hooks); everything that takes one away goes through `releaseActiveAdmin`
 * (server/services/accounts/adminRoster.ts).
 */
const adminRosterSchema = new Schema(
  {
    _id: { type: String, required: true },
    ids: { type: [Schema.Types.ObjectId], default: [] },
    count: { type: Number, required: true, default: 0 },
  },
  { versionKey: false },
);

export const adminRosterId = 'active-admins';
export const AdminRosterModel = model('AdminRoster', adminRosterSchema);

/**
 * Adds an active admin to the roster (no-op when she is listed or when the roster does not exist yet: it is then
 * built from the users on first use). `ids: { $ne }` in the filter keeps `count` equal to the list's length.
 */
export async function noteActiveAdmin(userId: Types.ObjectId | string): Promise<void> {
  const id = new Types.ObjectId(String(userId));
  await AdminRosterModel.updateOne(
    { _id: adminRosterId, ids: { $ne: id } },
    { $addToSet: { ids: id }, $inc: { count: 1 } },
  );
}
