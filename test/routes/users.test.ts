import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

describe('users API and admin pages', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let adminAuth: { Authorization: string };
  before(async () => {
    app = testApp();
    adminAuth = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['admin'] }))}` };
  });

  it('an admin creates a user without a password, and the user is invited by email with a working link', async () => {
    const res = await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({
        email: '  Nia.Jones@Example.org ',
        name: ' Nia Jones ',
        roles: ['participant'],
        timezone: 'America/Toronto',
      })
      .expect(201);
    expect(res.body).to.include({
      email: 'nia.jones@example.org',
      name: 'Nia Jones',
      status: 'invited',
      timezone: 'America/Toronto',
    });
    expect(res.body).to.not.have.any.keys('_id', '__v', 'passwordHash');
    const invitation = await OutboxMessageModel.findOne({ to: 'nia.jones@example.org' }).lean();
    const link = /http:\/\/pathways\.test(\/invitations\/[A-Za-z0-9_-]+)/.exec(invitation!.text)![1]!;
    const agent = supertest.agent(app);
    const form = await agent.get(link).expect(200);
    await agent
      .post(link)
      .type('form')
      .send({ password: 'maple syrup mornings', confirm: 'maple syrup mornings', _csrf: csrfFrom(form.text) })
      .expect(303);
    expect((await agent.get('/api/v1/me').expect(200)).body.email).to.equal('nia.jones@example.org');
  });

  it('an email already used, in any case, is a 409', async () => {
    const existing = await buildUser();
    const res = await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: existing.email.toUpperCase(), name: 'Dup', roles: ['participant'] })
      .expect(409);
    expect(res.headers['content-type']).to.match(/problem\+json/);
  });

  it('unknown fields, bad roles and operator objects are 422 with field errors, and nothing is written', async () => {
    const unknown = await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: 'u1@example.org', name: 'U', roles: ['participant'], isAdmin: true })
      .expect(422);
    expect(unknown.body.errors[0].message).to.include('isAdmin');
    const operator = await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: { $ne: null }, name: 'U', roles: ['participant'] })
      .expect(422);
    expect(operator.body.errors.map((e: { path: string }) => e.path)).to.include('email');
    await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: 'u2@example.org', name: 'U', roles: ['queen'] })
      .expect(422);
    await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: 'u3@example.org', name: 'U', roles: ['participant'], password: 'password1234' })
      .expect(422);
    expect(
      await UserModel.countDocuments({ email: { $in: ['u1@example.org', 'u2@example.org', 'u3@example.org'] } }),
    ).to.equal(0);
  });

  it('operator payloads in the query are refused with 422, never run as a query', async () => {
    await supertest(app).get('/api/v1/users?q[$gt]=').set(adminAuth).expect(422);
    await supertest(app).get('/api/v1/users?role[$ne]=admin').set(adminAuth).expect(422);
  });

  it('malformed JSON is a 400 problem document', async () => {
    const res = await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .set('Content-Type', 'application/json')
      .send('{"email": ')
      .expect(400);
    expect(res.body).to.include({ status: 400, title: 'Malformed JSON' });
  });

  it('a participant cannot create users (403) and cannot list them (403)', async () => {
    const auth = { Authorization: `Bearer ${await tokenFor(await buildUser())}` };
    await supertest(app)
      .post('/api/v1/users')
      .set(auth)
      .send({ email: 'p@example.org', name: 'P', roles: ['admin'] })
      .expect(403);
    await supertest(app).get('/api/v1/users').set(auth).expect(403);
  });

  it('without authentication the API answers 401', async () => {
    await supertest(app).get('/api/v1/users').expect(401);
    await supertest(app).post('/api/v1/users').send({}).expect(401);
  });

  it('a facilitator searching users sees participants only, even when asking for admins', async () => {
    await buildUser({ roles: ['admin'], name: 'Zed Admin' });
    await buildUser({ roles: ['participant'], name: 'Zed Participant' });
    const auth = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['facilitator'] }))}` };
    const res = await supertest(app).get('/api/v1/users?q=zed').set(auth).expect(200);
    expect(res.body.items.map((u: { name: string }) => u.name)).to.deep.equal(['Zed Participant']);
    await supertest(app).get('/api/v1/users?role=admin').set(auth).expect(403);
  });

  it('a facilitator searches for a participant but is never handed everyone: no search, or one of under 3 characters, is a 422 on q', async () => {
    await buildUser({ roles: ['participant'], name: 'Yara Participant' });
    const auth = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['facilitator'] }))}` };
    for (const query of ['', '?q=', '?q=%20%20', '?q=ya', '?limit=50']) {
      const refused = await supertest(app).get(`/api/v1/users${query}`).set(auth).expect(422);
      expect(refused.headers['content-type']).to.match(/application\/problem\+json/);
      expect(JSON.stringify(refused.body)).to.include('at least 3 characters');
      expect(JSON.stringify(refused.body)).to.not.include('Yara');
    }
    const found = await supertest(app).get('/api/v1/users?q=yar').set(auth).expect(200);
    expect(found.body.items.map((u: { name: string }) => u.name)).to.deep.equal(['Yara Participant']);
    // Admins still list everyone.
    const all = await supertest(app).get('/api/v1/users').set(adminAuth).expect(200);
    expect(all.body.items.length).to.be.greaterThan(1);
  });

  it('lists page with a cursor', async () => {
    for (let i = 0; i < 3; i++) await buildUser({ name: `Pager ${i}` });
    const first = await supertest(app).get('/api/v1/users?q=Pager&limit=2').set(adminAuth).expect(200);
    expect(first.body.items).to.have.length(2);
    const second = await supertest(app)
      .get(`/api/v1/users?q=Pager&limit=2&cursor=${first.body.nextCursor}`)
      .set(adminAuth)
      .expect(200);
    expect(second.body.items).to.have.length(1);
    expect(second.body.nextCursor).to.equal(null);
    await supertest(app).get('/api/v1/users?cursor=garbage').set(adminAuth).expect(422);
  });

  it('the admin form shows field errors and keeps what was typed', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    const token = csrfFrom((await agent.get('/admin/users')).text);
    const res = await agent
      .post('/admin/users')
      .type('form')
      .send({ name: 'Kept Name', email: 'not-an-email', _csrf: token })
      .expect(422);
    expect(res.text).to.include('Kept Name');
    expect(res.text).to.include('must be an email address');
    expect(res.text).to.include('choose at least one role');
  });

  it('researcher beside another role is a 422 naming roles, on the API and on the admin form, and nothing is written', async () => {
    for (const roles of [
      ['participant', 'researcher'],
      ['researcher', 'facilitator'],
      ['admin', 'researcher'],
    ]) {
      const res = await supertest(app)
        .post('/api/v1/users')
        .set(adminAuth)
        .send({ email: 'mixed@example.org', name: 'Mixed Roles', roles, password: 'maple syrup mornings' })
        .expect(422);
      expect(res.headers['content-type']).to.match(/problem\+json/);
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['roles']);
      expect(res.body.errors[0].message).to.include('researcher').and.include('second account');
    }
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    const token = csrfFrom((await agent.get('/admin/users')).text);
    const page = await agent
      .post('/admin/users')
      .type('form')
      .send({ name: 'Kept Mixed', email: 'mixed@example.org', roles: ['participant', 'researcher'], _csrf: token })
      .expect(422);
    expect(page.text)
      .to.include('Kept Mixed')
      .and.include('value="mixed@example.org"')
      .and.include('id="field-roles-error"')
      .and.include('name="roles" value="participant" checked')
      .and.include('name="roles" value="researcher" checked')
      .and.include('second account');
    expect(await UserModel.countDocuments({ email: 'mixed@example.org' })).to.equal(0);
    // On its own the role is fine.
    await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: 'ruth@example.org', name: 'Ruth', roles: ['researcher'] })
      .expect(201);
  });

  it('a form sent back with errors says “Error:” in its title and shows its summary above the table of people', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const taken = await buildUser();
    const agent = await signIn(app, admin.email, testPassword);
    const list = await agent.get('/admin/users').expect(200);
    expect(list.text).to.include('<title>People · Pathways</title>');
    const res = await agent
      .post('/admin/users')
      .type('form')
      .send({ name: 'Dup Licate', email: taken.email, roles: 'participant', _csrf: csrfFrom(list.text) })
      .expect(422);
    expect(res.text).to.include('<title>Error: People · Pathways</title>');
    const summary = res.text.indexOf('class="error-summary"');
    expect(summary).to.be.greaterThan(-1);
    expect(summary).to.be.lessThan(res.text.indexOf('<table'));
    expect(res.text).to.include('An account with this email address already exists.');
  });

  it('a search longer than 100 characters is a 422 at the search field that keeps what she typed and lists nobody', async () => {
    const admin = await buildUser({ roles: ['admin'], name: 'Listed Admin' });
    await buildUser({ name: 'Someone Listed' });
    const agent = await signIn(app, admin.email, testPassword);
    const typed = 'ab'.repeat(61);
    const res = await agent.get('/admin/users').query({ q: typed }).expect(422);
    expect(res.text)
      .to.include(`value="${typed}"`)
      .and.include('id="field-q-error"')
      .and.include('aria-invalid="true"')
      .and.include('at most 100 characters')
      .and.include('<title>Error: People · Pathways</title>')
      .and.include('Nobody is listed until the search is corrected.');
    expect(res.text).to.not.include('Someone Listed');
    expect(res.text).to.not.include('/admin/users/' + admin.id);
    // A search of the allowed length still lists.
    const ok = await agent.get('/admin/users').query({ q: 'Someone' }).expect(200);
    expect(ok.text).to.include('Someone Listed');
  });

  it('the people list filtered by a role, and a search, keeps both on every next page; the form offers the role and shows the one chosen', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const people = (role: 'mentor' | 'participant', count: number) =>
      Array.from({ length: count }, (_, i) => ({
        email: `paged-${role}-${i}@example.org`,
        name: `Paged ${role} ${String(i).padStart(2, '0')}`,
        roles: [role],
        timezone: 'Europe/London',
        status: 'active',
      }));
    // Mixed, so that a page of everyone would hold participants too.
    await UserModel.insertMany([...people('mentor', 55), ...people('participant', 40)].sort(() => Math.random() - 0.5));
    const agent = await signIn(app, admin.email, testPassword);
    const names: string[] = [];
    let address: string | undefined = '/admin/users?q=Paged&role=mentor';
    let pages = 0;
    while (address) {
      const page: { text: string } = await agent.get(address).expect(200);
      pages += 1;
      expect(page.text).to.match(/<option value="mentor" selected>mentor<\/option>/);
      expect(page.text).to.include('value="Paged"');
      names.push(...[...page.text.matchAll(/>(Paged \w+ \d+)<\/a>/g)].map((m) => m[1]!));
      address = /<a href="([^"]+)">Next page<\/a>/.exec(page.text)?.[1]?.replaceAll('&amp;', '&');
      if (address) expect(address).to.match(/^\/admin\/users\?q=Paged&role=mentor&cursor=[\w-]+$/);
    }
    expect(pages).to.equal(2);
    expect(names.sort()).to.deep.equal(people('mentor', 55).map((p) => p.name));
    const refused = await agent.get('/admin/users').query({ role: 'wizard' }).expect(422);
    expect(refused.text)
      .to.include('id="field-role-error"')
      .and.include('Nobody is listed until the search is corrected.');
  });

  it('a participant who opens an admin page gets 403', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    await agent.get('/admin/users').expect(403);
    await agent.get('/admin/outbox').expect(403);
  });
});
