import { randomUUID } from 'node:crypto';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import type { TestUser } from './factories.ts';

/** A network with these people as current members (the first `leads` of them as leads), written as rows directly. */
export async function buildNetwork(
  people: TestUser[],
  options: { leads?: TestUser[]; joining?: 'open' | 'approval'; name?: string } = {},
): Promise<{ id: string; name: string }> {
  const name = options.name ?? `Network ${randomUUID().slice(0, 8)}`;
  const network = await NetworkModel.create({
    name,
    nameKey: name.toLowerCase(),
    kind: 'interest',
    joining: options.joining ?? 'open',
    memberCount: people.length,
  });
  const leads = new Set((options.leads ?? []).map((l) => l.id));
  await NetworkMembershipModel.insertMany(
    people.map((p) => ({
      networkId: network._id,
      userId: p.id,
      status: 'member',
      role: leads.has(p.id) ? 'lead' : 'member',
      joinedAt: new Date(),
    })),
  );
  return { id: String(network._id), name };
}
