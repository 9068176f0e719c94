import { expect } from 'chai';
import supertest from 'supertest';
import { UserModel } from '../../models/User.ts';
import { timezone } from '../../server/http/validate.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';

describe('server: a time zone given anywhere is stored as the zone database spells it', () => {
  useTestDatabase();

  it('spells a zone in any case as the database does, and refuses abbreviations and made-up places', () => {
    expect(timezone.parse('europe/paris')).to.equal('Europe/Paris');
    expect(timezone.parse(' America/Toronto ')).to.equal('America/Toronto');
    expect(timezone.parse('UTC')).to.equal('UTC');
    for (const bad of ['EST', 'Europe/Atlantis', '', '+05:30'])
      expect(timezone.safeParse(bad).success, bad).to.equal(false);
  });

  it('an admin setting "europe/paris" on someone stores Europe/Paris, which her own account page can select', async () => {
    const app = testApp();
    const admin = await buildUser({ roles: ['admin'] });
    const her = await buildUser();
    await supertest(app)
      .patch(`/api/v1/users/${her.id}`)
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .send({ timezone: 'europe/paris' })
      .expect(200);
    expect((await UserModel.findById(her.id).lean())!.timezone).to.equal('Europe/Paris');
  });
});
