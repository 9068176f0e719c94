import { Types } from 'mongoose';
import { randomUUID } from 'node:crypto';
import supertest from 'supertest';
import { NetworkModel, type NetworkJoining, type NetworkKind } from '../../models/Network.ts';
import { admitMember, nameKeyOf } from '../../server/services/networks/index.ts';
import { buildUser, tokenFor, type TestUser } from './factories.ts';

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

/**
 * `askerName` asks to join an approval network led by `leadName`, through the API as she would: the lead now has a
 * join-request email to send ("… asks to join …").
 */
export async function askToJoinApprovalNetwork(
  app: Parameters<typeof supertest>[0],
  names: { askerName: string; leadName: string },
): Promise<{ asker: TestUser; lead: TestUser; network: { id: string; name: string } }> {
  const asker = await buildUser({ name: names.askerName });
  const lead = await buildUser({ name: names.leadName });
  const network = await buildNetwork({ joining: 'approval' }, { leads: [lead] });
  await supertest(app)
    .post(`/api/v1/networks/${network.id}/members`)
    .set('Authorization', `Bearer ${await tokenFor(asker)}`)
    .send({})
    .expect(201);
  return { asker, lead, network };
}
