import { expect } from 'chai';
import supertest from 'supertest';
import { demoDisabledPerson, demoInvitedPerson } from '../../server/demo/accountStatuses.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { UserModel } from '../../models/User.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';

export function accountsDemo(): void {
  describe('accounts: demo data', () => {
    it('no demo account holds researcher beside another role (the research boundary would 403 the rest of her navigation)', async () => {
      const researchers = await UserModel.find({ roles: 'researcher' }).lean();
      expect(researchers.map((u) => u.email)).to.include('researcher@pathways.test');
      expect(
        researchers.filter((u) => u.roles.length !== 1).map((u) => `${u.email}: ${u.roles.join(', ')}`),
      ).to.deep.equal([]);
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
}
