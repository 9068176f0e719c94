import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { csrfFrom, versionFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** The version a form was opened at (its hidden field). */

describe('a person’s details: an admin’s edit and her own edit never undo each other unseen', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('an admin saving the person form opened before she changed her own zone gets a 409 with her typing kept, saved only when sent again', async () => {
    const admin = await buildUser({ roles: ['admin'], name: 'Ada Admin' });
    const her = await buildUser({ roles: ['participant'], name: 'Grace Hopper', timezone: 'Europe/London' });
    const adminAgent = await signIn(app, admin.email, testPassword);
    const adminPage = await adminAgent.get(`/admin/users/${her.id}`).expect(200);
    // She moves to Toronto and says so on her account page.
    const herAgent = await signIn(app, her.email, testPassword);
    const account = await herAgent.get('/account').expect(200);
    await herAgent
      .post('/account')
      .type('form')
      .send({
        _csrf: csrfFrom(account.text),
        version: versionFrom(account.text),
        name: 'Grace Hopper',
        timezone: 'America/Toronto',
      })
      .expect(303);
    // The admin, from the page she opened before, corrects the spelling of her name: her form still says London.
    const mine = {
      _csrf: csrfFrom(adminPage.text),
      version: versionFrom(adminPage.text),
      name: 'Grace Brewster Hopper',
      timezone: 'Europe/London',
      roles: ['participant'],
    };
    const conflict = await adminAgent.post(`/admin/users/${her.id}`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('after you opened it');
    expect(conflict.text).to.include('value="Grace Brewster Hopper"');
    expect((await UserModel.findById(her.id).lean())!).to.include({
      name: 'Grace Hopper',
      timezone: 'America/Toronto',
    });
    // Sent again from that page, knowing, it is saved.
    await adminAgent
      .post(`/admin/users/${her.id}`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text) })
      .expect(303);
    expect((await UserModel.findById(her.id).lean())!).to.include({ name: 'Grace Brewster Hopper' });
  });

  it('her own details form opened before an admin renamed her is a 409 keeping her zone, and does not put the old name back', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const her = await buildUser({ roles: ['participant'], name: 'Mary Jackson', timezone: 'Europe/London' });
    const herAgent = await signIn(app, her.email, testPassword);
    const account = await herAgent.get('/account').expect(200);
    const adminAgent = await signIn(app, admin.email, testPassword);
    const adminPage = await adminAgent.get(`/admin/users/${her.id}`).expect(200);
    await adminAgent
      .post(`/admin/users/${her.id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(adminPage.text),
        version: versionFrom(adminPage.text),
        name: 'Mary Winston Jackson',
        timezone: 'Europe/London',
        roles: ['participant'],
      })
      .expect(303);
    const mine = {
      _csrf: csrfFrom(account.text),
      version: versionFrom(account.text),
      name: 'Mary Jackson',
      timezone: 'Asia/Kolkata',
    };
    const conflict = await herAgent.post('/account').type('form').send(mine).expect(409);
    expect(conflict.text).to.include('after you opened it');
    expect(conflict.text).to.match(/<option value="Asia\/Kolkata" selected>/);
    expect((await UserModel.findById(her.id).lean())!).to.include({
      name: 'Mary Winston Jackson',
      timezone: 'Europe/London',
    });
    await herAgent
      .post('/account')
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text) })
      .expect(303);
    expect((await UserModel.findById(her.id).lean())!).to.include({ timezone: 'Asia/Kolkata' });
  });

  it('her invitation page opened before an admin corrected her name is a 409 keeping her zone, with no password set; sent again it is saved', async () => {
    const adminToken = await tokenFor(await buildUser({ roles: ['admin'] }));
    const api = supertest(app);
    const created = await api
      .post('/api/v1/users')
      .set(bearer(adminToken))
      .send({ email: 'c3@example.org', name: 'c3', roles: ['participant'] })
      .expect(201);
    const mail = (await OutboxMessageModel.findOne({ to: 'c3@example.org' }).lean())!.text;
    const link = /http:\/\/pathways\.test(\/invitations\/[A-Za-z0-9_-]+)/.exec(mail)![1]!;
    const agent = supertest.agent(app);
    const form = await agent.get(link).expect(200);
    // The admin puts her name right while the page is open.
    await api
      .patch(`/api/v1/users/${created.body.id}`)
      .set(bearer(adminToken))
      .send({ name: 'Chiara Rossi' })
      .expect(200);
    const mine = {
      _csrf: csrfFrom(form.text),
      version: versionFrom(form.text),
      name: 'c3',
      timezone: 'Europe/Rome',
      password: 'olive groves at dawn',
      confirm: 'olive groves at dawn',
    };
    const conflict = await agent.post(link).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('after you opened it');
    expect(conflict.text).to.match(/<option value="Europe\/Rome" selected>/);
    expect(conflict.text).to.not.include('olive groves at dawn');
    const stored = (await UserModel.findById(created.body.id).lean())!;
    expect([stored.status, stored.name, stored.timezone]).to.deep.equal(['invited', 'Chiara Rossi', 'Europe/London']);
    // Sent again from that page, knowing, it is saved and she is signed in.
    await agent
      .post(link)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text), name: 'Chiara Rossi' })
      .expect(303);
    const me = await agent.get('/api/v1/me').expect(200);
    expect(me.body).to.include({ name: 'Chiara Rossi', timezone: 'Europe/Rome' });
  });

  it('the API: a PATCH naming the version it read is a 409 when the person changed since; one naming none is saved as before', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const her = await buildUser({ roles: ['participant'], name: 'Katherine Johnson', timezone: 'Europe/London' });
    const api = supertest(app);
    const adminToken = await tokenFor(admin);
    const herToken = await tokenFor(her);
    const listed = await api.get('/api/v1/users').query({ q: her.email }).set(bearer(adminToken)).expect(200);
    const read = { body: listed.body.items.find((u: { id: string }) => u.id === her.id) };
    const me = await api.get('/api/v1/me').set(bearer(herToken)).expect(200);
    expect(read.body.version).to.be.a('number');
    expect(me.body.version).to.equal(read.body.version);
    // She changes her zone over the version she read.
    const mine = await api
      .patch('/api/v1/me')
      .set(bearer(herToken))
      .send({ timezone: 'America/Chicago', version: me.body.version })
      .expect(200);
    expect(mine.body.version).to.not.equal(me.body.version);
    // The admin's rename over the version read before it: refused, nothing written.
    const stale = await api
      .patch(`/api/v1/users/${her.id}`)
      .set(bearer(adminToken))
      .send({ name: 'Katherine G. Johnson', timezone: 'Europe/London', version: read.body.version })
      .expect(409);
    expect(stale.headers['content-type']).to.match(/application\/problem\+json/);
    expect((await UserModel.findById(her.id).lean())!).to.include({
      name: 'Katherine Johnson',
      timezone: 'America/Chicago',
    });
    // Her own stale PATCH too.
    await api.patch('/api/v1/me').set(bearer(herToken)).send({ name: 'Kate', version: me.body.version }).expect(409);
    // Naming no version: the last write wins, as before.
    await api
      .patch(`/api/v1/users/${her.id}`)
      .set(bearer(adminToken))
      .send({ name: 'Katherine G. Johnson' })
      .expect(200);
    await api.patch('/api/v1/me').set(bearer(herToken)).send({ timezone: 'Europe/Paris' }).expect(200);
    expect((await UserModel.findById(her.id).lean())!).to.include({
      name: 'Katherine G. Johnson',
      timezone: 'Europe/Paris',
    });
  });
});
