import { expect } from 'chai';
import supertest from 'supertest';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('networks: the leads an admin names over the leads she read are never silently replaced', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  const leadIdsOf = async (networkId: string) =>
    (await NetworkMembershipModel.find({ networkId, role: 'lead', status: 'member' }).lean())
      .map((m) => String(m.userId))
      .sort();

  it('two admins naming the leads over the same version: the second is a 409 and the first one’s leads stay; naming none replaces as before', async () => {
    const [first, second] = await Promise.all([buildUser({ roles: ['admin'] }), buildUser({ roles: ['admin'] })]);
    const [lina, maya, nour] = await Promise.all([buildUser(), buildUser(), buildUser()]);
    const net = await buildNetwork(
      { joining: 'open', name: 'Leads named twice' },
      { leads: [lina], members: [maya, nour] },
    );
    const api = supertest(app);
    const [firstToken, secondToken] = await Promise.all([tokenFor(first), tokenFor(second)]);
    const listed = async (token: string) =>
      (await api.get('/api/v1/networks').query({ q: 'Leads named twice' }).set(bearer(token)).expect(200)).body
        .items[0];
    const readByFirst = await listed(firstToken);
    const readBySecond = await listed(secondToken);
    expect(readByFirst.leadsVersion).to.be.a('number');
    // The first adds Maya beside Lina.
    await api
      .put(`/api/v1/networks/${net.id}/leads`)
      .set(bearer(firstToken))
      .send({ userIds: [lina.id, maya.id], leadsVersion: readByFirst.leadsVersion })
      .expect(204);
    // The second, over the leads she read (Lina alone), names Lina and Nour: Maya would be stepped down unseen.
    const stale = await api
      .put(`/api/v1/networks/${net.id}/leads`)
      .set(bearer(secondToken))
      .send({ userIds: [lina.id, nour.id], leadsVersion: readBySecond.leadsVersion })
      .expect(409);
    expect(stale.headers['content-type']).to.match(/application\/problem\+json/);
    expect(await leadIdsOf(net.id)).to.deep.equal([lina.id, maya.id].sort());
    // Over the version now shown, it is done.
    const now = await listed(secondToken);
    expect(now.leadsVersion).to.not.equal(readBySecond.leadsVersion);
    await api
      .put(`/api/v1/networks/${net.id}/leads`)
      .set(bearer(secondToken))
      .send({ userIds: [lina.id, nour.id], leadsVersion: now.leadsVersion })
      .expect(204);
    expect(await leadIdsOf(net.id)).to.deep.equal([lina.id, nour.id].sort());
    // A client that sends no version replaces the leads as before.
    await api
      .put(`/api/v1/networks/${net.id}/leads`)
      .set(bearer(firstToken))
      .send({ userIds: [maya.id] })
      .expect(204);
    expect(await leadIdsOf(net.id)).to.deep.equal([maya.id]);
  });

  it('two PUTs over the same leads version at the same moment: exactly one is done, the other is a 409, and the leads are the winner’s', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [lina, maya, nour] = await Promise.all([buildUser(), buildUser(), buildUser()]);
    const net = await buildNetwork(
      { joining: 'open', name: 'Leads at once' },
      { leads: [lina], members: [maya, nour] },
    );
    const api = supertest(app);
    const token = await tokenFor(admin);
    const read = (await api.get('/api/v1/networks').query({ q: 'Leads at once' }).set(bearer(token)).expect(200)).body
      .items[0].leadsVersion as number;
    const named = [[maya.id], [nour.id]];
    const answers = await Promise.all(
      named.map((userIds) =>
        api.put(`/api/v1/networks/${net.id}/leads`).set(bearer(token)).send({ userIds, leadsVersion: read }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).to.deep.equal([204, 409]);
    const winner = named[answers.findIndex((a) => a.status === 204)]!;
    expect(await leadIdsOf(net.id)).to.deep.equal(winner);
  });

  it('a lead made or removed on the web, or a lead leaving, moves the leads version on: a PUT over the leads read before is a 409', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [lina, maya, nour] = await Promise.all([buildUser(), buildUser(), buildUser()]);
    const net = await buildNetwork(
      { joining: 'open', name: 'Leads moved on the web' },
      { leads: [lina], members: [maya, nour] },
    );
    const api = supertest(app);
    const token = await tokenFor(admin);
    const versionNow = async () =>
      (await api.get('/api/v1/networks').query({ q: 'Leads moved on the web' }).set(bearer(token)).expect(200)).body
        .items[0].leadsVersion as number;
    const adminAgent = await signIn(app, admin.email, testPassword);
    const staleAfter = async (change: () => Promise<unknown>) => {
      const read = await versionNow();
      await change();
      await api
        .put(`/api/v1/networks/${net.id}/leads`)
        .set(bearer(token))
        .send({ userIds: [nour.id], leadsVersion: read })
        .expect(409);
    };
    // Made a lead from the network page.
    await staleAfter(async () =>
      adminAgent
        .post(`/networks/${net.id}/members/${maya.id}/lead`)
        .type('form')
        .send({ _csrf: await csrfOf(adminAgent, `/networks/${net.id}`) })
        .expect(303),
    );
    expect(await leadIdsOf(net.id)).to.deep.equal([lina.id, maya.id].sort());
    // Removed as lead from the network page.
    await staleAfter(async () =>
      adminAgent
        .post(`/networks/${net.id}/members/${maya.id}/step-down`)
        .type('form')
        .send({ _csrf: await csrfOf(adminAgent, `/networks/${net.id}`) })
        .expect(303),
    );
    // A lead leaving (another lead stays).
    await api
      .put(`/api/v1/networks/${net.id}/leads`)
      .set(bearer(token))
      .send({ userIds: [lina.id, maya.id], leadsVersion: await versionNow() })
      .expect(204);
    await staleAfter(async () =>
      api
        .delete(`/api/v1/networks/${net.id}/members/me`)
        .set(bearer(await tokenFor(maya)))
        .expect(204),
    );
    expect(await leadIdsOf(net.id)).to.deep.equal([lina.id]);
  });

  it('a lead whose account is erased no longer leads: the leads version moves on, so a PUT over the leads read before is a 409', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [lina, maya, nour] = await Promise.all([buildUser(), buildUser(), buildUser()]);
    const net = await buildNetwork(
      { joining: 'open', name: 'A lead erased' },
      { leads: [lina, maya], members: [nour] },
    );
    const api = supertest(app);
    const token = await tokenFor(admin);
    const read = (await api.get('/api/v1/networks').query({ q: 'A lead erased' }).set(bearer(token)).expect(200)).body
      .items[0].leadsVersion as number;
    await api.delete(`/api/v1/users/${maya.id}`).set(bearer(token)).expect(202);
    expect(await leadIdsOf(net.id)).to.deep.equal([lina.id]);
    await api
      .put(`/api/v1/networks/${net.id}/leads`)
      .set(bearer(token))
      .send({ userIds: [nour.id], leadsVersion: read })
      .expect(409);
    expect(await leadIdsOf(net.id)).to.deep.equal([lina.id]);
  });
});
