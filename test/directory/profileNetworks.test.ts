import { expect } from 'chai';
import supertest from 'supertest';
import { Types } from 'mongoose';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import {
  directoryFollowsAllMemberships,
  networkLeavesProfile,
} from '../../server/services/directory/profileNetworks.ts';
import { updateNetwork } from '../../server/services/networks/networks.ts';
import { networksPersonalData } from '../../server/services/networks/personalData.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildNetwork, listInDirectory } from '../support/directoryFactories.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

/**
 * The directory finds "networks" profiles through each profile's copy of her networks (profileNetworks.ts): joining,
 * leaving and being removed must move her in and out of co-members' lists at once, a stop between the copy's write and
 * her row's must never show her to more people than her rows allow, and the repair must heal what a stop left.
 */
describe('directory: a profile’s networks follow her memberships', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let olivia: TestUser;
  let maya: TestUser;
  let lead: TestUser;
  let tokens: Map<string, string>;
  const token = async (user: TestUser) => {
    if (!tokens.has(user.id)) tokens.set(user.id, await tokenFor(user));
    return tokens.get(user.id)!;
  };
  const listedTo = async (viewer: TestUser): Promise<string[]> => {
    const res = await supertest(app)
      .get('/api/v1/directory?limit=200')
      .set('Authorization', `Bearer ${await token(viewer)}`)
      .expect(200);
    return res.body.items.map((p: { userId: string }) => p.userId);
  };
  const join = async (user: TestUser, networkId: string) =>
    supertest(app)
      .post(`/api/v1/networks/${networkId}/members`)
      .set('Authorization', `Bearer ${await token(user)}`)
      .send({});
  const leave = async (user: TestUser, networkId: string) =>
    supertest(app)
      .delete(`/api/v1/networks/${networkId}/members/me`)
      .set('Authorization', `Bearer ${await token(user)}`);
  const rowsOf = async (user: TestUser) =>
    (await NetworkMembershipModel.find({ userId: user.id, status: 'member' }).lean()).map((r) => String(r.networkId));
  const copyOf = async (user: TestUser) =>
    ((await DirectoryProfileModel.findById(user.id).lean())?.networks ?? []).map((n) => String(n._id));

  beforeEach(async () => {
    app = testApp();
    tokens = new Map();
    olivia = await buildUser({ name: 'Olivia Owner' });
    maya = await buildUser({ name: 'Maya Member' });
    lead = await buildUser({ name: 'Lena Lead' });
    await supertest(app)
      .put('/api/v1/me/directory-profile')
      .set('Authorization', `Bearer ${await token(olivia)}`)
      .send({
        visibility: 'networks',
        headline: 'Deputy head',
        role: 'Deputy head',
        phase: 'secondary',
        country: 'GB',
        region: 'Leeds',
        topics: ['interviews'],
        openTo: ['peer-support'],
      })
      .expect(200);
  });

  it('joining shows her to the network’s members at once; leaving or being removed hides her at once', async () => {
    const network = await buildNetwork([maya, lead], { leads: [lead] });
    expect(await listedTo(maya)).to.not.include(olivia.id);
    expect((await join(olivia, network.id)).status).to.equal(201);
    expect(await listedTo(maya)).to.include(olivia.id);
    expect((await leave(olivia, network.id)).status).to.be.oneOf([200, 204]);
    expect(await listedTo(maya)).to.not.include(olivia.id);

    expect((await join(olivia, network.id)).status).to.equal(201);
    expect(await listedTo(maya)).to.include(olivia.id);
    await supertest(app)
      .delete(`/api/v1/networks/${network.id}/members/${olivia.id}`)
      .set('Authorization', `Bearer ${await token(lead)}`)
      .expect((res) => expect(res.status).to.be.oneOf([200, 204]));
    expect(await listedTo(maya)).to.not.include(olivia.id);
    expect(await copyOf(olivia)).to.deep.equal([]);
  });

  it('a profile saved after she joined carries her networks', async () => {
    const network = await buildNetwork([maya, lead, olivia], { leads: [lead] });
    await DirectoryProfileModel.deleteOne({ _id: olivia.id });
    await supertest(app)
      .put('/api/v1/me/directory-profile')
      .set('Authorization', `Bearer ${await token(olivia)}`)
      .send({
        visibility: 'networks',
        headline: 'Head of school',
        role: 'Head',
        phase: 'primary',
        country: 'GB',
        region: 'York',
        topics: [],
        openTo: [],
      })
      .expect(200);
    expect(await copyOf(olivia)).to.deep.equal([network.id]);
    expect(await listedTo(maya)).to.include(olivia.id);
  });

  it('a leave refused (she is the last lead) leaves her listed to the network as her row says', async () => {
    const network = await buildNetwork([olivia, maya], { leads: [olivia] });
    expect(await listedTo(maya)).to.include(olivia.id);
    expect((await leave(olivia, network.id)).status).to.equal(409);
    expect(await copyOf(olivia)).to.deep.equal([network.id]);
    expect(await listedTo(maya)).to.include(olivia.id);
  });

  it('a process stopping between the copy and her row shows her to nobody new, and the repair heals both ways', async () => {
    const network = await buildNetwork([maya, lead, olivia], { leads: [lead] });
    expect(await listedTo(maya)).to.include(olivia.id);
    // Stopped after taking the network out of her copy, before her row's write: hidden from the network meanwhile.
    await networkLeavesProfile(olivia.id, network.id);
    expect(await listedTo(maya)).to.not.include(olivia.id);
    expect(await directoryFollowsAllMemberships()).to.equal(1);
    expect(await listedTo(maya)).to.include(olivia.id);

    // Stopped after a join's row, before its copy: not yet listed to the new network; the repair lists her.
    const other = await buildNetwork([lead], { leads: [lead] });
    await NetworkMembershipModel.create({ networkId: other.id, userId: olivia.id, status: 'member', role: 'member' });
    expect(await listedTo(lead)).to.include(olivia.id); // through the first network
    await NetworkMembershipModel.deleteOne({ networkId: network.id, userId: lead.id });
    expect(await listedTo(lead)).to.not.include(olivia.id);
    expect(await directoryFollowsAllMemberships()).to.equal(1);
    expect(await listedTo(lead)).to.include(olivia.id);
    expect(await directoryFollowsAllMemberships(), 'nothing left to write').to.equal(0);
  });

  it('her page reads her own networks from her profile’s copy: one that lags shows her fewer people, never more', async () => {
    const network = await buildNetwork([olivia, maya, lead], { leads: [lead] });
    await DirectoryProfileModel.updateOne(
      { _id: maya.id },
      { $set: { visibility: 'networks', name: maya.name } },
      { upsert: true },
    );
    expect(await directoryFollowsAllMemberships()).to.equal(1); // Maya's profile, written without the app
    const web = await signIn(app, olivia.email, testPassword);
    const page = async () => (await web.get('/directory').expect(200)).text;
    expect(await page()).to.include('Maya Member');
    await networkLeavesProfile(olivia.id, network.id);
    const lagging = await page();
    expect(lagging).to.not.include('Maya Member');
    expect(lagging).to.not.include(network.name);
    await directoryFollowsAllMemberships();
    expect(await page()).to.include('Maya Member');
  });

  it('her page lists her networks by name from her copy, and a network renamed is listed by its new name at once', async () => {
    const network = await buildNetwork([olivia, lead], { leads: [lead], name: 'Returners North' });
    const web = await signIn(app, olivia.email, testPassword);
    const page = async () => (await web.get('/directory').expect(200)).text;
    expect(await page()).to.include('Returners North');
    const admin = await buildUser({ roles: ['admin'] });
    await updateNetwork({
      actor: { id: admin.id, name: admin.name, roles: admin.roles } as unknown as Express.User,
      networkId: network.id,
      name: 'Returners after a break',
      kind: 'interest',
      description: 'Back after a career break.',
      joining: 'open',
    });
    const renamed = await page();
    expect(renamed).to.include('Returners after a break');
    expect(renamed).to.not.include('Returners North');
    // A rename whose copies a stopped process did not write: the repair names it anew.
    await NetworkModel.updateOne({ _id: network.id }, { $set: { name: 'Returners everywhere' } });
    expect(await directoryFollowsAllMemberships()).to.equal(1);
    expect(await page()).to.include('Returners everywhere');
  });

  it('a request approved while she withdraws it (another process) ends as a membership her copy does not hold', async () => {
    const network = await buildNetwork([maya, lead], { leads: [lead], joining: 'approval' });
    expect((await join(olivia, network.id)).status).to.equal(201); // asks
    // Her withdrawal reads her row (a request), then a lead approves her before its write lands.
    const held = holdNextCall(NetworkMembershipModel, 'findOne', { lean: true });
    try {
      const leaving = leave(olivia, network.id);
      await held.reached;
      held.restore();
      await supertest(app)
        .post(`/api/v1/networks/${network.id}/members/${olivia.id}/approve`)
        .set('Authorization', `Bearer ${await token(lead)}`)
        .expect((res) => expect(res.status).to.be.oneOf([200, 204]));
      expect(await copyOf(olivia)).to.deep.equal([network.id]);
      held.release();
      expect((await leaving).status).to.be.oneOf([200, 204]);
    } finally {
      held.release();
      held.restore();
    }
    expect(await rowsOf(olivia)).to.deep.equal([]);
    expect(await copyOf(olivia)).to.deep.equal([]);
    expect(await listedTo(maya)).to.not.include(olivia.id);
  });

  it('erasing her takes her networks out of her profile before her rows go', async () => {
    await buildNetwork([olivia, maya, lead], { leads: [lead] });
    expect(await listedTo(maya)).to.include(olivia.id);
    await networksPersonalData.eraseFor(new Types.ObjectId(olivia.id));
    expect(await copyOf(olivia)).to.deep.equal([]);
    expect(await listedTo(maya)).to.not.include(olivia.id);
  });

  it('taking a network out of a profile written before the copy existed works and moves its version on', async () => {
    await DirectoryProfileModel.updateOne({ _id: olivia.id }, { $unset: { networks: 1, networksVersion: 1 } });
    await networkLeavesProfile(olivia.id, new Types.ObjectId());
    const profile = (await DirectoryProfileModel.findById(olivia.id).lean())!;
    expect(profile.networksVersion).to.equal(1);
    expect(profile.networks ?? []).to.deep.equal([]);
  });

  it('joins and leaves sent at once, on several networks, leave her copy equal to her rows', async () => {
    const leaving = await Promise.all(Array.from({ length: 4 }, () => buildNetwork([lead, olivia], { leads: [lead] })));
    const joining = await Promise.all(Array.from({ length: 5 }, () => buildNetwork([lead], { leads: [lead] })));
    const answers = await Promise.all([
      ...joining.map((n) => join(olivia, n.id)),
      ...leaving.map((n) => leave(olivia, n.id)),
    ]);
    expect(answers.every((res) => res.status < 300)).to.equal(true);
    const rows = await rowsOf(olivia);
    expect(rows).to.have.members(joining.map((n) => n.id));
    expect(await copyOf(olivia)).to.have.members(rows);
  });
});

describe('directory: the search page shows 20 people a page', () => {
  useTestDatabase();

  it('lists 20, links to the next 20, and the API keeps its 50', async () => {
    const app = testApp();
    const viewer = await buildUser({ name: 'Vera Viewer' });
    const people = await Promise.all(Array.from({ length: 45 }, (_, i) => buildUser({ name: `Person ${i}` })));
    await listInDirectory(...people);
    const web = await signIn(app, viewer.email, testPassword);
    const cards = (html: string) => html.match(/href="\/directory\/people\//g)?.length ?? 0;
    const first = (await web.get('/directory').expect(200)).text;
    expect(cards(first)).to.equal(20);
    const next = /href="\/directory\?([^"]+)">Next people/.exec(first)?.[1];
    expect(next).to.be.a('string');
    expect(cards((await web.get(`/directory?${next!.replaceAll('&amp;', '&')}`).expect(200)).text)).to.equal(20);
    expect(cards((await web.get('/directory?limit=50').expect(200)).text)).to.equal(45);
    const api = await supertest(app)
      .get('/api/v1/directory')
      .set('Authorization', `Bearer ${await tokenFor(viewer)}`)
      .expect(200);
    expect(api.body.items).to.have.length(45);
  });
});
