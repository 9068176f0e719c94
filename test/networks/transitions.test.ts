import { expect } from 'chai';
import supertest from 'supertest';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/** Membership states over time: removed, asked again, withdrew, asked again. */
describe('networks: a removal outlives a request withdrawn', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  const bearer = async (u: TestUser) => `Bearer ${await tokenFor(u)}`;

  before(() => {
    app = testApp();
  });

  it('a member a lead removed from an open network, who asks again and withdraws her request, can still only ask (not join with one click)', async () => {
    const lead = await buildUser();
    const rita = await buildUser({ name: 'Removed Rita' });
    const open = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [rita] });
    await supertest(app)
      .delete(`/api/v1/networks/${open.id}/members/${rita.id}`)
      .set('Authorization', await bearer(lead))
      .expect(204);
    const join = () =>
      bearer(rita).then((auth) =>
        supertest(app).post(`/api/v1/networks/${open.id}/members`).set('Authorization', auth).send({}).expect(201),
      );
    expect((await join()).body).to.deep.equal({ status: 'requested' });
    await supertest(app)
      .delete(`/api/v1/networks/${open.id}/members/me`)
      .set('Authorization', await bearer(rita))
      .expect(204);
    expect((await join()).body).to.deep.equal({ status: 'requested' });
    expect(await NetworkMembershipModel.findOne({ networkId: open.id, userId: rita.id }).lean()).to.include({
      status: 'requested',
      leftBy: 'lead',
    });
  });

  it('a lead who declines a request from a page read before another lead approved it is told so (409): the new member is not removed', async () => {
    const lina = await buildUser({ name: 'Lead Lina' });
    const ana = await buildUser({ name: 'Lead Ana' });
    const amal = await buildUser({ name: 'Asker Amal' });
    const net = await buildNetwork({ joining: 'approval' }, { leads: [lina, ana] });
    await supertest(app)
      .post(`/api/v1/networks/${net.id}/members`)
      .set('Authorization', await bearer(amal))
      .send({})
      .expect(201);
    const agent = await signIn(app, lina.email, testPassword);
    const page = await agent.get(`/networks/${net.id}`).expect(200);
    const decline = `/networks/${net.id}/members/${amal.id}/remove`;
    expect(page.text).to.include('<input type="hidden" name="seen" value="requested">');
    await supertest(app)
      .post(`/api/v1/networks/${net.id}/members/${amal.id}/approve`)
      .set('Authorization', await bearer(ana))
      .expect(204);
    const _csrf = csrfFrom(page.text);
    // Asked first (her dialog said "decline"), or already confirmed: either way nothing changes.
    for (const confirmed of ['', 'yes']) {
      const refused = await agent.post(decline).type('form').send({ _csrf, confirmed, seen: 'requested' }).expect(409);
      expect(refused.text).to.include('Her request was approved meanwhile');
    }
    expect(await NetworkMembershipModel.findOne({ networkId: net.id, userId: amal.id }).lean()).to.include({
      status: 'member',
    });
    expect((await NetworkModel.findById(net.id).lean())!.memberCount).to.equal(3);
  });
});
