import { expect } from 'chai';
import supertest from 'supertest';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/**
 * The API's list of an open network's posts reads her membership row only when the network's copy of its leads names
 * her (listPosts, readingAccess): hidden posts must still reach only current leads and admins, whatever the copy says.
 */
describe('networks: who sees hidden posts in an open network’s list', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let lead: TestUser;
  let member: TestUser;
  let admin: TestUser;
  const listed = async (user: TestUser, networkId: string) =>
    (
      await supertest(app)
        .get(`/api/v1/networks/${networkId}/posts`)
        .set('Authorization', `Bearer ${await tokenFor(user)}`)
        .expect(200)
    ).body.items.map((p: { title: string; hidden: boolean }) => `${p.title}${p.hidden ? ' (hidden)' : ''}`);

  beforeEach(async () => {
    app = testApp();
    lead = await buildUser();
    member = await buildUser();
    admin = await buildUser({ roles: ['admin'] });
  });

  async function networkWithHiddenPost(): Promise<string> {
    const network = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const ids: string[] = [];
    for (const title of ['Kept', 'Hidden'])
      ids.push(
        (
          await supertest(app)
            .post(`/api/v1/networks/${network.id}/posts`)
            .set('Authorization', `Bearer ${await tokenFor(member)}`)
            .send({ kind: 'story', title, body: 'A story.' })
            .expect(201)
        ).body.id,
      );
    await supertest(app)
      .patch(`/api/v1/posts/${ids[1]}`)
      .set('Authorization', `Bearer ${await tokenFor(lead)}`)
      .send({ hidden: true, reason: 'Names a pupil' })
      .expect(200);
    return network.id;
  }

  it('a member, an outsider and a lead or admin each see what they should', async () => {
    const networkId = await networkWithHiddenPost();
    const outsider = await buildUser();
    expect(await listed(member, networkId)).to.deep.equal(['Kept']);
    expect(await listed(outsider, networkId)).to.deep.equal(['Kept']);
    expect(await listed(lead, networkId)).to.deep.equal(['Hidden (hidden)', 'Kept']);
    expect(await listed(admin, networkId)).to.deep.equal(['Hidden (hidden)', 'Kept']);
  });

  it('a lead stepped down whom the copy of the leads still names (a process stopped before it) sees no hidden post', async () => {
    const networkId = await networkWithHiddenPost();
    const copy = (await NetworkModel.findById(networkId).lean())!.leads;
    expect(copy?.map((l) => String(l.userId))).to.deep.equal([lead.id]);
    // Her row says member; the copy was not written again (as after a stop between the two writes).
    await NetworkMembershipModel.updateOne({ networkId, userId: lead.id }, { $set: { role: 'member' } });
    expect(await listed(lead, networkId)).to.deep.equal(['Kept']);
  });
});
