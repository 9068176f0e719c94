import { Types } from 'mongoose';
import { NetworkModel } from '../../../models/Network.ts';
import { NetworkMembershipModel } from '../../../models/NetworkMembership.ts';
import { writeCopyOverVersion } from '../../derivedCopies.ts';
import { activeLeadsOf } from './membership.ts';

/**
 * The leads a network's page names ("Led by …"), kept on the network (`Network.leads`) so the page reads neither the
 * membership rows nor the accounts for them. Measured (README "Derived records"): those two reads and the names
 * were a third of the page's cost, and the page missed its share of `/healthz` without this copy.
 *
 * Correct with several processes, on the version `leadsVersion` that every change of who leads moves on:
 * - whoever changes a lead's row, a lead's account status or a lead's name writes that first, then moves the version
 *   on and writes the list again (leadsChanged in ./members.ts);
 * - the list is computed after reading the version, and written only over that version: a list computed before a
 *   change that completed meanwhile matches nothing and is computed again, so the list stored is never older than
 *   the last change whose writer has returned;
 * - writing it again from the rows is idempotent, so the hourly repair (showAllLeads) heals a list left behind by a
 *   process that stopped between a change and its list.
 */
type Id = Types.ObjectId | string;

const asId = (id: Id): Types.ObjectId => (typeof id === 'string' ? new Types.ObjectId(id) : id);

/** The leads whose account is live, with their names, in the order the page shows them. */
async function liveLeads(networkId: Types.ObjectId): Promise<{ userId: Types.ObjectId; name: string }[]> {
  return (await activeLeadsOf(networkId))
    .map((u) => ({ userId: u._id, name: u.name }))
    .sort((a, b) => a.name.localeCompare(b.name) || String(a.userId).localeCompare(String(b.userId)));
}

/** Writes the network's list of leads again from its rows, over the version it was computed at. */
export async function showLeads(networkId: Id): Promise<void> {
  const id = asId(networkId);
  await writeCopyOverVersion({
    // A network stored before leadsVersion has none: null matches the missing field.
    readVersion: async () => {
      const network = await NetworkModel.findById(id).select({ leadsVersion: 1 }).lean();
      return network ? (network.leadsVersion ?? null) : undefined;
    },
    compute: () => liveLeads(id),
    writeOver: async (version, leads) =>
      // A copy, not an edit: the network's own updatedAt stays.
      (await NetworkModel.updateOne({ _id: id, leadsVersion: version }, { $set: { leads } }, { timestamps: false }))
        .matchedCount === 1,
  });
}

/** Every network's list of leads from its rows (the hourly `networks:recount-members` job, and at start). */
export async function showAllLeads(): Promise<void> {
  for (const network of await NetworkModel.find().select({ _id: 1 }).lean()) await showLeads(network._id);
}

/** The networks she currently leads (her rows as they are, whatever her account's status). */
export async function ledNetworkIds(userId: Id): Promise<Types.ObjectId[]> {
  const rows = await NetworkMembershipModel.find({ userId: asId(userId), role: 'lead', status: 'member' })
    .select({ networkId: 1 })
    .lean();
  return rows.map((r) => r.networkId);
}
