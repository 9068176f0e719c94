import { expect } from 'chai';
import supertest from 'supertest';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';
import { useSmtpSink } from '../support/smtp.ts';

/** What a lead is sent stops when she stops leading. */
describe('networks: a former lead is not sent what goes to leads', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  const bearer = async (u: TestUser) => `Bearer ${await tokenFor(u)}`;

  before(() => {
    app = testApp();
  });
  const sink = useSmtpSink();

  it('a post reported in an approval network is not emailed to a lead who left before it was sent (its title is for its leads)', async () => {
    const stays = await buildUser({ name: 'Staying Sal' });
    const leaves = await buildUser({ name: 'Leaving Lou' });
    const member = await buildUser();
    const net = await buildNetwork({ joining: 'approval' }, { leads: [stays, leaves], members: [member] });
    const created = await supertest(app)
      .post(`/api/v1/networks/${net.id}/posts`)
      .set('Authorization', await bearer(member))
      .send({ kind: 'story', title: 'A private worry about my board', body: 'Only for this network.' })
      .expect(201);
    await supertest(app)
      .post(`/api/v1/posts/${created.body.id}/report`)
      .set('Authorization', await bearer(member))
      .send({ reason: 'Names a colleague' })
      .expect(201);
    await supertest(app)
      .delete(`/api/v1/networks/${net.id}/members/me`)
      .set('Authorization', await bearer(leaves))
      .expect(204);
    await runDueNotifications({ now: new Date(Date.now() + 1000) });
    const told = sink.received.filter((m) => m.subject === `A post was reported in ${net.name}`);
    expect(told.flatMap((m) => m.to)).to.deep.equal([stays.email]);
    expect(sink.received.filter((m) => m.to.includes(leaves.email))).to.have.length(0);
  });
});
