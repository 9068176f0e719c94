import { Types } from 'mongoose';
import { DirectoryProfileModel } from '../../../models/DirectoryProfile.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { writeCopyOverVersion } from '../../derivedCopies.ts';
import { isObjectId } from '../../ids.ts';
import { networksOf } from '../networks/membership.ts';

/**
 * Her networks on her directory profile (`networkIds`): a copy of her membership rows with `status: member`, so that
 * the directory finds every profile a reader may see with one indexed query ("everyone", or "networks" and sharing one
 * of her networks) instead of walking her networks' members page by page (README, The people directory). A derived
 * copy written as server/derivedCopies.ts says, over `networksVersion`:
 * - joining (or being approved): her row is written first, then the copy (directoryFollowsMemberships);
 * - leaving (or being removed): the network is taken out of the copy first (networkLeavesProfile), then her row is
 *   written, then the copy is written again from the rows. A process that stops in between leaves her seen by fewer
 *   people than her rows allow, never by more;
 * - every hour (and at start) directoryFollowsAllMemberships writes again every copy that differs from the rows.
 */

type Id = Types.ObjectId | string;

const sameIds = (a: readonly Types.ObjectId[], b: readonly Types.ObjectId[]): boolean => {
  if (a.length !== b.length) return false;
  const of = new Set(a.map(String));
  return b.every((id) => of.has(String(id)));
};

/** Writes her profile's copy of her networks from her membership rows as they are now (nothing if she has no profile). */
export async function directoryFollowsMemberships(userId: Id): Promise<void> {
  if (!isObjectId(String(userId))) return;
  const _id = new Types.ObjectId(String(userId));
  await writeCopyOverVersion({
    readVersion: async () => {
      const profile = await DirectoryProfileModel.findById(_id, { networksVersion: 1 }).lean();
      return profile ? (profile.networksVersion ?? null) : undefined;
    },
    compute: () => networksOf(_id),
    writeOver: async (version, networkIds) => {
      const written = await DirectoryProfileModel.updateOne(
        { _id, networksVersion: version },
        { $set: { networkIds, networksVersion: (version ?? 0) + 1 } },
      );
      return written.matchedCount === 1;
    },
  });
}

/**
 * Takes a network out of her profile's copy before her membership ends (and moves the version on, so a copy computed
 * from the rows before this write is not written over it). directoryFollowsMemberships after her row's write puts it
 * back if the membership did not end after all.
 */
export async function networkLeavesProfile(userId: Id, networkId: Id): Promise<void> {
  await DirectoryProfileModel.updateOne(
    { _id: new Types.ObjectId(String(userId)) },
    { $pull: { networkIds: new Types.ObjectId(String(networkId)) }, $inc: { networksVersion: 1 } },
  );
}

/** Profiles whose copy is checked and written at once by the repair (one read of rows, one bulk write). */
const repairBatch = 500;

/**
 * The repair (the hourly `networks:repair-copies` job, at start too, and after data is loaded in bulk): every profile
 * whose copy of her networks differs from her membership rows is written again, each write conditional on the version
 * read before the rows, so a join or leave landing meanwhile (which writes its own copy) is never overwritten with
 * the rows as this run read them. Returns how many profiles it wrote.
 */
export async function directoryFollowsAllMemberships(): Promise<number> {
  let written = 0;
  let after: Types.ObjectId | undefined;
  for (;;) {
    const profiles = await DirectoryProfileModel.find(after ? { _id: { $gt: after } } : {}, {
      networkIds: 1,
      networksVersion: 1,
    })
      .sort({ _id: 1 })
      .limit(repairBatch)
      .lean();
    if (!profiles.length) return written;
    after = profiles[profiles.length - 1]!._id;
    const rows = await NetworkMembershipModel.find(
      { userId: { $in: profiles.map((p) => p._id) }, status: 'member' },
      { _id: 0, userId: 1, networkId: 1 },
    ).lean();
    const networksByUser = new Map<string, Types.ObjectId[]>();
    for (const row of rows) {
      const list = networksByUser.get(String(row.userId)) ?? [];
      list.push(row.networkId);
      networksByUser.set(String(row.userId), list);
    }
    const writes = profiles.flatMap((profile) => {
      const networkIds = networksByUser.get(String(profile._id)) ?? [];
      if (profile.networkIds && sameIds(profile.networkIds, networkIds)) return [];
      const version = profile.networksVersion ?? null;
      return [
        {
          updateOne: {
            filter: { _id: profile._id, networksVersion: version },
            update: { $set: { networkIds, networksVersion: (version ?? 0) + 1 } },
          },
        },
      ];
    });
    if (writes.length) written += (await DirectoryProfileModel.bulkWrite(writes, { ordered: false })).modifiedCount;
  }
}
