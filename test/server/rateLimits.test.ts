import { expect } from 'chai';
import supertest from 'supertest';
import { RateLimitHitModel } from '../../models/RateLimitHit.ts';
import { removeExpiredRecords } from '../../jobs/maintenance.ts';
import { countHit } from '../../server/services/rateLimits.ts';
import { csrfFrom, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

/** Two app instances on one database stand for two processes behind a load balancer. */
describe('rate limits across processes', () => {
  useTestDatabase();

  it('when an account fails sign-in on two app instances, the 11th attempt is refused on either with 429', async () => {
    const [one, two] = [testApp(), testApp()];
    const user = await buildUser();
    const agents = [supertest.agent(one), supertest.agent(two)];
    const tokens = await Promise.all(agents.map(async (a) => csrfFrom((await a.get('/login')).text)));
    for (let i = 0; i < 10; i++) {
      const n = i % 2;
      await agents[n]!.post('/login')
        .type('form')
        .send({ email: user.email, password: `wrong-password-${i}-xx`, _csrf: tokens[n] })
        .expect(401);
    }
    const limited = await agents[0]!
      .post('/login')
      .type('form')
      .send({ email: user.email, password: testPassword, _csrf: tokens[0] })
      .expect(429);
    expect(Number(limited.headers['retry-after'])).to.be.greaterThan(0);
    // The API door counts the same sign-in failures: API.md says it is limited like the login form.
    await supertest(two)
      .post('/api/v1/auth/tokens')
      .send({ email: user.email, password: testPassword })
      .expect(429)
      .expect('Content-Type', /application\/problem\+json/);
  });

  it('failed sign-ins count against her account however her address is written (case, a root dot, the domain in punycode or full-width letters): the 11th is refused', async () => {
    const app = testApp();
    const local = `ana-${Date.now()}`;
    await buildUser({ email: `${local}@café.fr` });
    const forms = [
      `${local}@café.fr`,
      `${local.toUpperCase()}@CAFÉ.FR`,
      `${local}@café.fr.`,
      `${local}@xn--caf-dma.fr`,
      `${local}@XN--CAF-DMA.FR.`,
      `${local}@ｃａｆé.fr`,
      `${local}@ｃafé.fr`,
      `${local}@cａfé.fr`,
      `${local}@caｆé.fr`,
      `${local}@café.ｆr`,
    ];
    const agent = supertest.agent(app);
    const csrf = csrfFrom((await agent.get('/login')).text);
    for (const [i, email] of forms.entries())
      await agent
        .post('/login')
        .type('form')
        .send({ email, password: `wrong-password-${i}-xx`, _csrf: csrf })
        .expect(401);
    await agent
      .post('/login')
      .type('form')
      .send({ email: `${local}@café.fr`, password: testPassword, _csrf: csrf })
      .expect(429);
  });

  it('when a visitor posts a public form on two app instances at once, they share one limit of 20', async () => {
    const apps = [testApp(), testApp()];
    const agents = apps.map((app) => supertest.agent(app));
    const tokens = await Promise.all(agents.map(async (a) => csrfFrom((await a.get('/password-reset')).text)));
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        agents[i % 2]!.post('/password-reset')
          .type('form')
          .send({ email: `nobody${i}@example.org`, _csrf: tokens[i % 2] })
          .then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 303)).to.have.length(20);
    expect(statuses.filter((s) => s === 429)).to.have.length(10);
  });

  it('twenty first hits of one key at once make one counter that says 20, each hit seeing its own total', async () => {
    const key = `test|${Date.now()}`;
    const counts = await Promise.all(Array.from({ length: 20 }, () => countHit({ key, windowMs: 60_000 })));
    expect(counts.map((c) => c.hits).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await RateLimitHitModel.countDocuments({ _id: { $regex: `^${key.replace('|', '\\|')}@` } })).to.equal(1);
  });

  it('the maintenance job deletes counters whose window has ended and keeps current ones', async () => {
    const now = new Date();
    await countHit({ key: 'ended', windowMs: 1000, now: new Date(now.getTime() - 5000) });
    await countHit({ key: 'current', windowMs: 3_600_000, now });
    await removeExpiredRecords(now);
    const left = (await RateLimitHitModel.find().lean()).map((c) => c._id);
    expect(left.some((id) => id.startsWith('ended@'))).to.equal(false);
    expect(left.some((id) => id.startsWith('current@'))).to.equal(true);
  });
});
