import { expect } from 'chai';
import supertest from 'supertest';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildNetwork } from '../support/directoryFactories.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

describe('networks: find a time, for leads through the API and the page', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let lead: TestUser;
  let member: TestUser;
  let network: { id: string };

  before(async () => {
    app = testApp();
    lead = await buildUser({ timezone: 'Europe/London', name: 'Lena Lead' });
    member = await buildUser({ timezone: 'Australia/Sydney' });
    const others = await Promise.all(
      ['America/Toronto', 'Asia/Dubai', 'Asia/Kuala_Lumpur'].map((timezone) => buildUser({ timezone })),
    );
    network = await buildNetwork([lead, member, ...others], { leads: [lead] });
  });

  it('when a lead asks, it answers the ranking of the members’ own zones, best first', async () => {
    const res = await supertest(app)
      .get(`/api/v1/networks/${network.id}/meeting-times?durationMinutes=60&from=2027-01-13&days=1`)
      .set('Authorization', `Bearer ${await tokenFor(lead)}`)
      .expect(200);
    expect(res.body.items).to.have.length(24);
    expect(res.body.items[0]).to.deep.equal({
      startsAt: '2027-01-13T08:00:00.000Z',
      inWakingHours: 4,
      members: 5,
      share: 0.8,
    });
  });

  it('when a member who is not a lead asks, it answers 403', async () => {
    const res = await supertest(app)
      .get(`/api/v1/networks/${network.id}/meeting-times?durationMinutes=60&from=2027-01-13&days=1`)
      .set('Authorization', `Bearer ${await tokenFor(member)}`)
      .expect(403);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
  });

  it('when the range is out of bounds, it answers 422 naming each field', async () => {
    const res = await supertest(app)
      .get(`/api/v1/networks/${network.id}/meeting-times?durationMinutes=5&from=2027-02-30&days=15`)
      .set('Authorization', `Bearer ${await tokenFor(lead)}`)
      .expect(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).to.deep.equal([
      'days',
      'durationMinutes',
      'from',
    ]);
  });

  it('when a number is not written as plain digits (a list, hex, an exponent), it answers 422 naming the field', async () => {
    const auth = `Bearer ${await tokenFor(lead)}`;
    for (const [query, field] of [
      ['durationMinutes[]=60&from=2027-01-13&days=1', 'durationMinutes'],
      ['durationMinutes=0x3c&from=2027-01-13&days=1', 'durationMinutes'],
      ['durationMinutes=60&from=2027-01-13&days=1e1', 'days'],
      ['durationMinutes=60&from=2027-01-13&days=', 'days'],
    ]) {
      const res = await supertest(app)
        .get(`/api/v1/networks/${network.id}/meeting-times?${query}`)
        .set('Authorization', auth);
      expect(res.status, query).to.equal(422);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        query,
      ).to.deep.equal([field]);
    }
  });

  it('for an unknown network, it answers 404', async () => {
    await supertest(app)
      .get('/api/v1/networks/0123456789abcdef01234567/meeting-times?durationMinutes=60&from=2027-01-13&days=1')
      .set('Authorization', `Bearer ${await tokenFor(lead)}`)
      .expect(404);
  });

  it('the page shows the best times in the lead’s own zone, named, as a table and a labelled heat map', async () => {
    const agent = await signIn(app, lead.email, testPassword);
    const res = await agent
      .get(`/networks/${network.id}/find-a-time?durationMinutes=60&from=2027-01-13&days=2`)
      .expect(200);
    expect(res.text).to.include('Wednesday 13 January 2027, 08:00 GMT (Europe/London)');
    expect(res.text).to.include('4 of 5');
    expect(res.text).to.match(/<svg class="heat-map" role="img" aria-labelledby="heat-title heat-desc"/);
    const bad = await agent
      .get(`/networks/${network.id}/find-a-time?durationMinutes=abc&from=2027-01-13&days=2`)
      .expect(422);
    expect(bad.text).to.include('There is a problem');
  });

  it('asked for today, it ranks only the starts still ahead; a first day over in every zone is refused at `from` (422)', async () => {
    const auth = `Bearer ${await tokenFor(lead)}`;
    const asked = new Date();
    const today = asked.toISOString().slice(0, 10);
    const res = await supertest(app)
      .get(`/api/v1/networks/${network.id}/meeting-times?durationMinutes=60&from=${today}&days=2`)
      .set('Authorization', auth)
      .expect(200);
    const earliest = Math.min(...res.body.items.map((i: { startsAt: string }) => new Date(i.startsAt).getTime()));
    // The first start still ahead, and none before it.
    expect(earliest)
      .to.be.above(asked.getTime())
      .and.at.most(asked.getTime() + 3_600_000);

    const over = await supertest(app)
      .get(`/api/v1/networks/${network.id}/meeting-times?durationMinutes=60&from=2025-01-06&days=1`)
      .set('Authorization', auth)
      .expect(422);
    expect(over.body.errors).to.deep.equal([
      { path: 'from', message: 'must be today or later: that day is over in every time zone' },
    ]);

    const agent = await signIn(app, lead.email, testPassword);
    const page = await agent.get(`/networks/${network.id}/find-a-time?durationMinutes=60&from=2025-01-06&days=1`);
    expect(page.status).to.equal(422);
    expect(page.text).to.include('must be today or later: that day is over in every time zone');
    expect(page.text).to.include('start times already past are left out');
  });

  it('a member whose account an admin disabled is not counted: members agrees with the network’s member count', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const lina = await buildUser({ timezone: 'Europe/London' });
    const absent = await buildUser({ timezone: 'Pacific/Auckland' });
    const net = await buildNetwork([lina, absent], { leads: [lina] });
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: absent.id,
      changes: { status: 'disabled' },
    });
    const auth = `Bearer ${await tokenFor(lina)}`;
    const res = await supertest(app)
      .get(`/api/v1/networks/${net.id}/meeting-times?durationMinutes=60&from=2027-01-13&days=1`)
      .set('Authorization', auth)
      .expect(200);
    const listed = await supertest(app).get('/api/v1/networks?limit=100').set('Authorization', auth).expect(200);
    const memberCount = listed.body.items.find((n: { id: string }) => n.id === net.id).memberCount;
    expect(memberCount).to.equal(1);
    expect(res.body.items[0]).to.include({ members: 1, inWakingHours: 1, share: 1 });
  });
});
