import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { UserModel } from '../../models/User.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { sendEmail } from '../../server/mailer.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';
import { buildSignature } from '../support/pledgeFactories.ts';

/**
 * An LMS can make an account under anyone's address (its word, `emailUnverified`: models/User.ts). Until an emailed
 * link proves it, the address entitles that account to nothing of the address's real holder (server/policies/
 * accounts.ts provenEmailOf): not her Pledge signatures in its data export, nor, when it is erased, her signatures or
 * the mail sent to her address.
 */
describe('pledge: an address only an LMS vouched for', () => {
  useTestDatabase();

  it('an account made under a signer’s address by an LMS neither exports her signature nor erases it, nor her mail', async () => {
    const app = testApp();
    const victim = 'head@riverside.example';
    const signature = await buildSignature({ name: 'Riverside Primary', email: victim, status: 'pending' });
    await sendEmail({ to: victim, subject: 'Confirm your Pledge', text: 'Follow the link.' });
    const squatter = await buildUser({ email: victim });
    await UserModel.updateOne({ _id: squatter.id }, { $set: { emailUnverified: true } });

    const exported = await supertest(app)
      .get('/api/v1/me/export')
      .set('Authorization', `Bearer ${await tokenFor(squatter)}`)
      .expect(200);
    expect(exported.body.areas.pledge.signatures).to.deep.equal([]);

    const admin = await buildUser({ roles: ['admin'] });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: squatter.id, bySelf: false });
    expect((await PledgeSignatureModel.findById(signature.id).lean())!.email).to.equal(victim);
    expect(await OutboxMessageModel.countDocuments({ to: victim })).to.equal(1);
  });
});
