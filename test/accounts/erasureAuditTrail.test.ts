import { expect } from 'chai';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { confirmEmailChange, requestEmailChange } from '../../server/services/accounts/credentials.ts';
import { recordAuditEvent } from '../../server/services/audit/events.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

describe('erasure: the audit trail keeps its events but no longer names her', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('her name and addresses leave every event at once (as actor, in details about her); ids, actions and a namesake stay', async () => {
    const admin = await buildUser({ roles: ['admin'], name: 'Agatha Admin' });
    const adminToken = await tokenFor(admin);
    const email = `philippa-${Date.now()}@example.org`;
    const created = await supertest(app)
      .post('/api/v1/users')
      .set(bearer(adminToken))
      .send({ email, name: 'Philippa Pseudonym', roles: ['participant'], password: testPassword })
      .expect(201);
    const herId = String(created.body.id);
    const namesake = await supertest(app)
      .post('/api/v1/users')
      .set(bearer(adminToken))
      .send({ email: `namesake-${email}`, name: 'Philippa Pseudonym', roles: ['participant'], password: testPassword })
      .expect(201);
    const her = { id: herId, email, name: 'Philippa Pseudonym', roles: ['participant' as const], timezone: '' };
    const herToken = await tokenFor(her);
    // She renames herself, then changes her address; an admin changes her zone.
    await supertest(app).patch('/api/v1/me').set(bearer(herToken)).send({ name: 'Philippa Renamed' }).expect(200);
    const newEmail = `new-${email}`;
    await requestEmailChange({ actor: { id: herId, name: 'Philippa Renamed' }, password: testPassword, newEmail });
    const link = (await OutboxMessageModel.findOne({ to: newEmail }).lean())!.text;
    await confirmEmailChange({ secret: /\/account\/email\/confirm\/(\S+)/.exec(link)![1]! });
    await supertest(app)
      .patch(`/api/v1/users/${herId}`)
      .set(bearer(adminToken))
      .send({ timezone: 'Europe/Paris' })
      .expect(200);

    const about = { $or: [{ actorId: herId }, { targetId: herId }] };
    const before = await AuditEventModel.find(about).sort({ _id: 1 }).lean();
    expect(JSON.stringify(before)).to.include('Philippa').and.include(email);

    await supertest(app).delete(`/api/v1/users/${herId}`).set(bearer(adminToken)).expect(202);

    const after = await AuditEventModel.find(about).sort({ _id: 1 }).lean();
    // Every event before the erasure is still there, with its ids, action, time and address.
    const shape = (e: (typeof before)[number]) => [String(e._id), e.action, String(e.actorId), e.targetId, e.at, e.ip];
    expect(after.slice(0, before.length).map(shape)).to.deep.equal(before.map(shape));
    expect(JSON.stringify(after)).to.not.include('Philippa').and.not.include(email).and.not.include(newEmail);
    expect(after.filter((e) => String(e.actorId) === herId).map((e) => e.actorName)).to.satisfy((names: string[]) =>
      names.every((n) => n === 'Former member'),
    );
    // The admin is still named as the admin; what changed in her account still reads.
    expect(after.filter((e) => String(e.actorId) === admin.id).every((e) => e.actorName === 'Agatha Admin')).to.equal(
      true,
    );
    expect(after.find((e) => e.action === 'user-created')!.detail).to.equal('Former member (participant)');
    expect(after.some((e) => e.detail === 'timezone: Europe/London → Europe/Paris')).to.equal(true);

    // The API and the admin's view of the trail read the same.
    const byApi = await supertest(app)
      .get(`/api/v1/audit-events?targetId=${herId}`)
      .set(bearer(adminToken))
      .expect(200);
    expect(byApi.body.items.length).to.be.at.least(5);
    expect(JSON.stringify(byApi.body)).to.not.include('Philippa').and.not.include(email);

    // A namesake's events are hers, and keep her name.
    const namesakeCreated = await AuditEventModel.findOne({
      action: 'user-created',
      targetId: namesake.body.id,
    }).lean();
    expect(namesakeCreated!.detail).to.equal('Philippa Pseudonym (participant)');

    // Erasing again changes no event.
    await supertest(app).delete(`/api/v1/users/${herId}`).set(bearer(adminToken)).expect(202);
    expect(await AuditEventModel.find(about).sort({ _id: 1 }).lean()).to.deep.equal(after);
  });

  it('a short name is taken out as a whole word only: "Ann" leaves her events, the "Annual leaders cohort" she joined stays', async () => {
    const admin = await buildUser({ roles: ['admin'], name: 'Agatha Admin' });
    const ana = await buildUser({ name: 'Ann' });
    await recordAuditEvent({
      action: 'enrolment-added',
      actor: { id: admin.id, name: admin.name },
      target: { type: 'user', id: ana.id },
      detail: 'Annual leaders cohort: active',
    });
    await recordAuditEvent({
      action: 'mfa-reset',
      actor: { id: admin.id, name: admin.name },
      target: { type: 'user', id: ana.id },
      detail: 'two-step sign-in of Ann turned off',
    });
    await supertest(app)
      .delete(`/api/v1/users/${ana.id}`)
      .set(bearer(await tokenFor(admin)))
      .expect(202);
    const details = (await AuditEventModel.find({ targetId: ana.id }).sort({ _id: 1 }).lean()).map((e) => e.detail);
    expect(details.slice(0, 2)).to.deep.equal([
      'Annual leaders cohort: active',
      'two-step sign-in of Former member turned off',
    ]);
  });
});
