import { expect } from 'chai';
import supertest from 'supertest';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
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
});
