import { Types } from 'mongoose';
import { AdminRosterModel, adminRosterId, noteActiveAdmin } from '../../../models/AdminRoster.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError } from '../../errors.ts';

export { noteActiveAdmin };

const messages = {
  lastAdmin: 'This is the last active admin: make someone else an admin first, so Pathways is never left without one.',
};

const activeAdminIds = async (): Promise<Types.ObjectId[]> =>
  (await UserModel.find({ roles: 'admin', status: 'active' }, { _id: 1 }).lean()).map((u) => u._id);

/** Builds the roster from the users the first time it is needed; of two processes doing so, the unique _id keeps one. */
async function ensureRoster(): Promise<void> {
  if (await AdminRosterModel.exists({ _id: adminRosterId })) return;
  const ids = await activeAdminIds();
  try {
    await AdminRosterModel.create({ _id: adminRosterId, ids, count: ids.length });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/**
 * Takes an active admin off the roster before her roles or status change, or throws a 409 when she is the last one.
 * The decision is the single conditional update below (see models/AdminRoster.ts for why it holds with several
 * processes). Ids listed for users who are no longer active admins are dropped first; that can only make the roster
 * stricter. She is added first when missing (created by a path that did not note her); the conditional pull still
 * decides.
 */
export async function releaseActiveAdmin(userId: Types.ObjectId | string): Promise<void> {
  await ensureRoster();
  const id = new Types.ObjectId(String(userId));
  const roster = await AdminRosterModel.findById(adminRosterId).lean();
  const current = new Set((await activeAdminIds()).map(String));
  for (const listed of roster?.ids ?? []) {
    if (!current.has(String(listed)))
      await AdminRosterModel.updateOne(
        { _id: adminRosterId, ids: listed },
        { $pull: { ids: listed }, $inc: { count: -1 } },
      );
  }
  if (current.has(String(id))) await noteActiveAdmin(id);
  const released = await AdminRosterModel.findOneAndUpdate(
    { _id: adminRosterId, ids: id, count: { $gt: 1 } },
    { $pull: { ids: id }, $inc: { count: -1 } },
  );
  if (!released) throw new ConflictError(messages.lastAdmin);
}
