import { Types } from 'mongoose';
import { DirectoryProfileModel } from '../../../models/DirectoryProfile.ts';
import { NetworkModel } from '../../../models/Network.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { writeCopyOverVersion } from '../../derivedCopies.ts';
import { isObjectId } from '../../ids.ts';
import { networksOf } from '../networks/membership.ts';

/**
 * Her networks on her directory profile (`networks`, each id with its name): a copy of her membership rows
 * with `status: member`, so that the directory finds every profile a reader may see with one indexed query
 * ("everyone", or "networks" and sharing one of her networks) instead of walking her networks' members page by page,
 * and lists her networks by name without reading them (README, The people directory). A derived copy written as
 * server/derivedCopies.ts says, over `networksVersion`:
 * - joining (or being approved): her row is written first, then the copy (directoryFollowsMemberships);
 * - leaving (or being removed): the network is taken out of the copy first (networkLeavesProfile), then her row is
 *   written, then the copy is written again from the rows. A process that stops in between leaves her seen by fewer
 *   people than her rows allow, never by more;
 * - a network renamed: the copies of its members are written again (directoryFollowsNetworkName);
 * - every hour (and at start) directoryFollowsAllMemberships writes again every copy that differs from the rows or
 *   the networks' names.
 */

type Id = Types.ObjectId | string;
type NetworkNamed = { _id: Types.ObjectId; name: string };

/** The same networks with the same names, in any order. */
const sameNetworks = (a: readonly NetworkNamed[], b: readonly NetworkNamed[]): boolean => {
  if (a.length !== b.length) return false;
  const of = new Map(a.map((n) => [String(n._id), n.name]));
  return b.every((n) => of.get(String(n._id)) === n.name);
};

const byName = (a: NetworkNamed, b: NetworkNamed) => a.name.localeCompare(b.name);

/** These networks with their names, by name (the order her page lists them in). */
async function named(networkIds: readonly Types.ObjectId[]): Promise<NetworkNamed[]> {
  if (!networkIds.length) return [];
  const networks = await NetworkModel.find({ _id: { $in: networkIds } }, { name: 1 }).lean();
  return networks.map((n) => ({ _id: n._id, name: n.name })).sort(byName);
}

/** Writes her profile's copy of her networks from her membership rows as they are now (nothing if she has no profile). */
export async function directoryFollowsMemberships(userId: Id): Promise<void> {
  if (!isObjectId(String(userId))) return;
  const _id = new Types.ObjectId(String(userId));
  await writeCopyOverVersion({
    readVersion: async () => {
      const profile = await DirectoryProfileModel.findById(_id, { networksVersion: 1 }).lean();
      return profile ? (profile.networksVersion ?? null) : undefined;
    },
    compute: async () => named(await networksOf(_id)),
    writeOver: async (version, networks) => {
      const written = await DirectoryProfileModel.updateOne(
        { _id, networksVersion: version },
        { $set: { networks, networksVersion: (version ?? 0) + 1 } },
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
    {
      $pull: {
        networks: { _id: new Types.ObjectId(String(networkId)) },
      },
      $inc: { networksVersion: 1 },
    },
  );
}

/** Empties her profile's copy of her networks (her rows are about to go: erasure), moving the version on. */
export async function profileForgetsNetworks(userId: Id): Promise<void> {
  await DirectoryProfileModel.updateOne(
    { _id: new Types.ObjectId(String(userId)) },
    { $set: { networks: [] }, $inc: { networksVersion: 1 } },
  );
}

/** Profiles whose copy is checked and written at once by the repair (one read of rows, one bulk write). */
const repairBatch = 500;

/**
 * The repair (the hourly `networks:repair-copies` job, at start too, and after data is loaded in bulk): every profile
 * whose copy of her networks differs from her membership rows, or names a network by a former name, is written again,
 * each write conditional on the version read before the rows, so a join or leave landing meanwhile (which writes its
 * own copy) is never overwritten with the rows as this run read them. Returns how many profiles it wrote.
 */
export async function directoryFollowsAllMemberships(): Promise<number> {
  return copiesWrittenAgain({});
}

/**
 * A network was renamed (written first): its members' copies name it anew. A process that stops before leaves the
 * former name on their pages' list of networks until the hourly repair.
 */
export async function directoryFollowsNetworkName(networkId: Id): Promise<number> {
  return copiesWrittenAgain({ 'networks._id': new Types.ObjectId(String(networkId)) });
}

/** Writes again the copies of the profiles matching `filter` that differ from the rows and names, a batch at a time. */
async function copiesWrittenAgain(filter: Record<string, unknown>): Promise<number> {
  let written = 0;
  let after: Types.ObjectId | undefined;
  for (;;) {
    const profiles = await DirectoryProfileModel.find(after ? { ...filter, _id: { $gt: after } } : filter, {
      networks: 1,
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
    const networkIds = [...new Map(rows.map((r) => [String(r.networkId), r.networkId])).values()];
    const names = new Map((await named(networkIds)).map((n) => [String(n._id), n]));
    const networksByUser = new Map<string, NetworkNamed[]>();
    for (const row of rows) {
      const network = names.get(String(row.networkId));
      if (!network) continue; // the row of a network deleted meanwhile
      const list = networksByUser.get(String(row.userId)) ?? [];
      list.push(network);
      networksByUser.set(String(row.userId), list);
    }
    const writes = profiles.flatMap((profile) => {
      const networks = (networksByUser.get(String(profile._id)) ?? []).sort(byName);
      if (profile.networks && sameNetworks(profile.networks as NetworkNamed[], networks)) return [];
      const version = profile.networksVersion ?? null;
      return [
        {
          updateOne: {
            filter: { _id: profile._id, networksVersion: version },
            update: { $set: { networks, networksVersion: (version ?? 0) + 1 } },
          },
        },
      ];
    });
    if (writes.length) written += (await DirectoryProfileModel.bulkWrite(writes, { ordered: false })).modifiedCount;
  }
}
