import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { directoryFollowsMemberships } from '../../server/services/directory/profileNetworks.ts';
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
  // Their directory profiles' copy of their networks, as joining through the app writes it.
  for (const p of people) await directoryFollowsMemberships(p.id);
  return { id: String(network._id), name };
}

/**
 * Every page of `GET /api/v1/directory?limit=…{query}` as `token` sees it, following the cursor to the end: the ids
 * listed, in order. Each page but the last must be full.
 */
export async function walkDirectory(app: Express, token: string, query: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 500; pages++) {
    const res: supertest.Response = await supertest(app)
      .get(`/api/v1/directory?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(res.body.items.length).to.be.at.most(limit);
    ids.push(...res.body.items.map((p: { userId: string }) => p.userId));
    cursor = res.body.nextCursor;
    if (!cursor) return ids;
    expect(res.body.items).to.have.length(limit);
  }
  throw new Error('the cursor never ended');
}

/**
 * Lists these people in the directory, shown to everyone signed in: someone another has come across, and so may block
 * (server/services/directory/blocks.ts blocks only people she has come across).
 */
export async function listInDirectory(...people: { id: string; name: string }[]): Promise<void> {
  for (const person of people)
    await DirectoryProfileModel.updateOne(
      { _id: person.id },
      { $set: { visibility: 'everyone', name: person.name } },
      { upsert: true },
    );
}
