import { expect } from 'chai';
import supertest from 'supertest';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { canSeeProfile } from '../../server/services/directory/visibility.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildNetwork } from '../support/directoryFactories.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';

type Agent = { get: (path: string) => supertest.Test; put: (path: string) => supertest.Test };

describe('directory: who sees a profile at each visibility, never an email', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let olivia: TestUser;
  let maya: TestUser;
  let nora: TestUser;
  let network: { id: string };
  const as = async (user: TestUser): Promise<Agent> => {
    const token = await tokenFor(user);
    return {
      get: (path) => supertest(app).get(path).set('Authorization', `Bearer ${token}`),
      put: (path) => supertest(app).put(path).set('Authorization', `Bearer ${token}`),
    };
  };
  const profile = (visibility: string) => ({
    visibility,
    headline: 'Deputy head applying for headship',
    role: 'Deputy head',
    phase: 'secondary',
    country: 'GB',
    region: 'Yorkshire',
    topics: ['applying-for-headship', 'flexible-working'],
    openTo: ['peer-support'],
  });
  const listed = async (viewer: TestUser, query = '') => {
    const res = await (await as(viewer)).get(`/api/v1/directory${query}`).expect(200);
    expect(JSON.stringify(res.body)).to.not.include(olivia.email);
    return res.body.items.map((p: { userId: string }) => p.userId) as string[];
  };
  const single = async (viewer: TestUser) => (await as(viewer)).get(`/api/v1/directory/${olivia.id}`);

  before(async () => {
    app = testApp();
    olivia = await buildUser({ name: 'Olivia Owner' });
    maya = await buildUser({ name: 'Maya Member' });
    nora = await buildUser({ name: 'Nora Nonmember' });
    network = await buildNetwork([olivia, maya]);
    // Nora belongs to a network, just not Olivia's.
    await buildNetwork([nora]);
  });

  it('when hidden, only she sees herself (with her visibility); a co-member and a non-member do not', async () => {
    const own = await (await as(olivia)).put('/api/v1/me/directory-profile').send(profile('hidden')).expect(200);
    expect(own.body).to.include({
      visibility: 'hidden',
      self: true,
      name: 'Olivia Owner',
      countryName: 'United Kingdom',
    });
    expect(await listed(olivia)).to.include(olivia.id);
    expect(await listed(maya)).to.not.include(olivia.id);
    expect(await listed(nora)).to.not.include(olivia.id);
    expect((await single(olivia)).status).to.equal(200);
    expect((await single(maya)).status).to.equal(404);
    expect((await single(nora)).status).to.equal(404);
  });

  it('when visible to her networks, a co-member sees her, a non-member does not, and she still sees herself', async () => {
    await (await as(olivia)).put('/api/v1/me/directory-profile').send(profile('networks')).expect(200);
    expect(await listed(olivia)).to.include(olivia.id);
    expect(await listed(maya)).to.include(olivia.id);
    expect(await listed(nora)).to.not.include(olivia.id);
    const seen = await single(maya);
    expect(seen.status).to.equal(200);
    expect(seen.body).to.not.have.property('visibility');
    expect(seen.body).to.not.have.property('email');
    expect((await single(nora)).status).to.equal(404);
  });

  it('when visible to everyone, any signed-in person sees her', async () => {
    await (await as(olivia)).put('/api/v1/me/directory-profile').send(profile('everyone')).expect(200);
    expect(await listed(olivia)).to.include(olivia.id);
    expect(await listed(maya)).to.include(olivia.id);
    expect(await listed(nora)).to.include(olivia.id);
    expect((await single(nora)).status).to.equal(200);
  });

  it('every profile carries id (the same in the list, the single read and her save), with userId beside it', async () => {
    const saved = await (await as(olivia)).put('/api/v1/me/directory-profile').send(profile('everyone')).expect(200);
    expect(saved.body).to.include({ id: olivia.id, userId: olivia.id });
    const list = await (await as(maya)).get('/api/v1/directory').expect(200);
    const hers = list.body.items.find((p: { userId: string }) => p.userId === olivia.id);
    expect(hers).to.include({ id: saved.body.id, userId: olivia.id });
    for (const item of list.body.items) expect(item.id, JSON.stringify(item)).to.be.a('string');
    expect((await single(maya)).body).to.include({ id: saved.body.id, userId: olivia.id });
  });

  it('when a co-member is removed from the network, she stops seeing a networks-only profile at once', async () => {
    await (await as(olivia)).put('/api/v1/me/directory-profile').send(profile('networks')).expect(200);
    expect(await listed(maya)).to.include(olivia.id);
    await NetworkMembershipModel.updateOne({ networkId: network.id, userId: maya.id }, { $set: { status: 'removed' } });
    expect(await listed(maya)).to.not.include(olivia.id);
    expect((await single(maya)).status).to.equal(404);
    await NetworkMembershipModel.updateOne({ networkId: network.id, userId: maya.id }, { $set: { status: 'member' } });
  });

  it('filters by topic, country, network and text, and answers 403 for a network she is not in', async () => {
    await (await as(olivia)).put('/api/v1/me/directory-profile').send(profile('everyone')).expect(200);
    expect(await listed(maya, '?topic=flexible-working')).to.include(olivia.id);
    expect(await listed(maya, '?topic=interviews')).to.not.include(olivia.id);
    expect(await listed(maya, '?country=gb')).to.include(olivia.id);
    expect(await listed(maya, '?country=CA')).to.not.include(olivia.id);
    expect(await listed(maya, `?network=${network.id}`)).to.include(olivia.id);
    expect(await listed(maya, '?q=YORKSHIRE')).to.include(olivia.id);
    expect(await listed(maya, '?q=.*')).to.not.include(olivia.id);
    await (await as(nora)).get(`/api/v1/directory?network=${network.id}`).expect(403);
  });

  it('pages with a cursor, each person once', async () => {
    for (const u of [maya, nora])
      await (await as(u)).put('/api/v1/me/directory-profile').send(profile('everyone')).expect(200);
    const first = await (await as(nora)).get('/api/v1/directory?limit=2').expect(200);
    expect(first.body.items).to.have.length(2);
    const second = await (await as(nora)).get(`/api/v1/directory?limit=2&cursor=${first.body.nextCursor}`).expect(200);
    const all = [...first.body.items, ...second.body.items].map((p: { userId: string }) => p.userId);
    expect(new Set(all).size).to.equal(all.length);
    expect(all).to.include.members([olivia.id, maya.id, nora.id]);
  });

  it('answers 422 naming each bad field, and writes nothing', async () => {
    const fresh = await buildUser();
    const res = await (
      await as(fresh)
    )
      .put('/api/v1/me/directory-profile')
      .send({ ...profile('public'), country: 'XX', topics: ['knitting'], email: 'x@example.org' })
      .expect(422);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).to.include.members(['visibility', 'country', 'topics.0', '(body)']);
    expect(
      (await (await as(fresh)).get('/api/v1/directory').expect(200)).body.items.map(
        (p: { userId: string }) => p.userId,
      ),
    ).to.not.include(fresh.id);
  });

  it('a researcher is refused the directory (403)', async () => {
    const researcher = await buildUser({ roles: ['researcher'] });
    await (await as(researcher)).get('/api/v1/directory').expect(403);
  });

  it('the rule itself: herself always; a block hides even an everyone profile', () => {
    const base = { viewerId: 'a', ownerId: 'b', sharesNetwork: true, blocked: false } as const;
    expect(canSeeProfile({ ...base, visibility: 'hidden' })).to.equal(false);
    expect(canSeeProfile({ ...base, visibility: 'networks' })).to.equal(true);
    expect(canSeeProfile({ ...base, visibility: 'networks', sharesNetwork: false })).to.equal(false);
    expect(canSeeProfile({ ...base, visibility: 'everyone', blocked: true })).to.equal(false);
    expect(canSeeProfile({ ...base, ownerId: 'a', visibility: 'hidden', blocked: true })).to.equal(true);
  });
});
