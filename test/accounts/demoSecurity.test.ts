import { expect } from 'chai';
import { generate } from 'otplib';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { UserModel } from '../../models/User.ts';
import { demoTwoStep, seedAccounts } from '../../server/demo/accounts.ts';
import { demoPassword, seedPeople } from '../../server/demo/people.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';

describe('accounts: demo data', () => {
  useTestDatabase();

  it('one person signs in with two-step sign-in from the published key, and the admin has an audit trail to read', async () => {
    const people = await seedPeople();
    await seedAccounts({ people });
    const admin = people.get('admin@pathways.test')!;
    expect(await AuditEventModel.countDocuments({ actorId: admin })).to.be.at.least(5);
    expect(await AuditEventModel.distinct('action')).to.include.members([
      'sign-in',
      'sign-in-failed',
      'user-created',
      'mfa-enabled',
    ]);
    const hannah = await UserModel.findOne({ email: demoTwoStep.email }).lean();
    expect(hannah!.mfaEnabledAt).to.be.instanceOf(Date);
    const app = testApp();
    const missing = await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: demoTwoStep.email, password: demoPassword })
      .expect(401);
    expect(missing.body.mfaRequired).to.equal(true);
    await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: demoTwoStep.email, password: demoPassword, otp: await generate({ secret: demoTwoStep.secret }) })
      .expect(201);
    await supertest(app)
      .post('/api/v1/auth/tokens')
      .send({ email: demoTwoStep.email, password: demoPassword, otp: demoTwoStep.recoveryCodes[0] })
      .expect(201);
    const after = await UserModel.findOne({ email: demoTwoStep.email }).select('+mfaRecoveryCodes').lean();
    expect(after!.mfaRecoveryCodes).to.have.length(9);
  });
});
