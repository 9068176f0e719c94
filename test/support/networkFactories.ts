import { Types } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { NetworkModel, type NetworkJoining, type NetworkKind } from '../../models/Network.ts';
import { admitMember, nameKeyOf } from '../../server/services/networks/index.ts';
import type { TestUser } from './factories.ts';

/** A network with its leads and members already admitted (counted as the service counts them). */
export async function buildNetwork(
  overrides: Partial<{ name: string; kind: NetworkKind; joining: NetworkJoining; country: string }> = {},
  people: { leads?: TestUser[]; members?: TestUser[] } = {},
): Promise<{ id: string; name: string }> {
  const name = overrides.name ?? `Network ${randomUUID().slice(0, 8)}`;
  const network = await NetworkModel.create({
    name,
    nameKey: nameKeyOf(name),
    kind: overrides.kind ?? 'interest',
    joining: overrides.joining ?? 'open',
    description: 'A test network.',
    ...(overrides.country ? { country: overrides.country } : {}),
  });
  for (const lead of people.leads ?? [])
    await admitMember({ networkId: network._id, userId: new Types.ObjectId(lead.id), role: 'lead' });
  for (const member of people.members ?? [])
    await admitMember({ networkId: network._id, userId: new Types.ObjectId(member.id) });
  return { id: String(network._id), name };
}
