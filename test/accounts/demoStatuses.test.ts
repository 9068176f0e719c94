import { expect } from 'chai';
import supertest from 'supertest';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoDisabledPerson, demoInvitedPerson } from '../../server/demo/accountStatuses.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';

describe('accounts: demo data', () => {
  useTestDatabase();
  before(async function () {
    this.timeout(120_000);
    await seedDemoDataIfEmpty();
  });

  it('the admin sees a disabled person and an invited one among the people, and the disabled one cannot sign in', async () => {
    const app = testApp();
    const admin = await signIn(app, 'admin@pathways.test', demoPassword);
    // The demo has more people than a page holds: she finds them as an admin would, by searching.
    const disabled = await admin.get('/admin/users').query({ q: 'Bronwen' }).expect(200);
    expect(disabled.text)
      .to.include(demoDisabledPerson.name)
      .and.match(/Bronwen Hale<\/a><\/td><td>[^<]+<\/td><td>[^<]+<\/td><td>[^<]+<\/td><td>disabled/);
    const invited = await admin.get('/admin/users').query({ q: 'Keira' }).expect(200);
    expect(invited.text)
      .to.include(demoInvitedPerson.name)
      .and.match(/Keira Walsh<\/a><\/td><td>[^<]+<\/td><td>[^<]+<\/td><td>[^<]+<\/td><td>invited/);
    const agent = supertest.agent(app);
    const page = await agent.get('/login');
    await agent
      .post('/login')
      .type('form')
      .send({ email: demoDisabledPerson.email, password: demoPassword, _csrf: csrfFrom(page.text) })
      .expect(401);
  });
});
