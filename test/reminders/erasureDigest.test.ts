import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentoringFactories.ts';

describe('erasure: her name leaves the daily digests other people were sent', () => {
  useTestDatabase();

  it('a mentor who reads a daily digest: the outbox copy of the digest that carried her request names her no more', async () => {
    const app = testApp();
    const name = 'Dorothea Digestly';
    const her = await buildMentee({}, { name });
    const mentor = await buildMentor();
    await UserModel.updateOne({ _id: mentor.id }, { $set: { emailDigest: 'daily' } });
    const admin = await buildUser({ roles: ['admin'] });
    await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set({ Authorization: `Bearer ${await tokenFor(her)}` })
      .send({ mentorId: mentor.id, message: 'Could we talk about interviews?' })
      .expect(201);
    const now = Date.now();
    expect((await runDueNotifications({ now: new Date(now) })).bundled).to.be.at.least(1);
    await runDueNotifications({ now: new Date(now + 26 * 60 * 60 * 1000) });
    const toMentor = async () => JSON.stringify(await OutboxMessageModel.find({ to: mentor.email }).lean());
    expect(await toMentor()).to.include(name);

    await supertest(app)
      .delete(`/api/v1/users/${her.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .expect(202);

    const after = await toMentor();
    expect(after).to.not.include(name);
    expect(after).to.include('Former member');
  });
});
