import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { researcherMayReach } from '../../server/policies/research.ts';
import { unsubscribePath } from '../../server/services/reminders/unsubscribe.ts';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { requestResetLink } from '../support/passwordReset.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { concrete, routeTable } from '../support/routeTable.ts';

/** What a researcher may reach: research aggregates, the export and its dictionary, survey designs, her account. */
const expectedAllowed = [
  'GET /',
  'GET /healthz',
  'GET /login',
  'POST /login',
  'POST /logout',
  'GET /research',
  'GET /research/data-dictionary',
  'GET /research/export.csv',
  'GET /surveys',
  'POST /surveys',
  'GET /surveys/new',
  'GET /account/research',
  'POST /account/research',
  'POST /account/research/context',
  'GET /account/notifications',
  'POST /account/notifications',
  'GET /api/v1/research/impact',
  'GET /api/v1/research/export.csv',
  'GET /api/v1/surveys',
  'POST /api/v1/surveys',
  'GET /api/v1/programmes',
  'GET /api/v1/openapi.json',
  'GET /api/v1/me',
  'GET /api/v1/me/research-consent',
  'PUT /api/v1/me/research-consent',
  'GET /api/v1/me/pool-profile',
  'PUT /api/v1/me/pool-profile',
  'GET /api/v1/me/notifications',
  'POST /api/v1/auth/tokens',
  'GET /api/v1/auth/tokens',
  'DELETE /api/v1/auth/tokens/:id',
  'GET /pool/profile',
  'POST /pool/profile',
  // Offers made to her from the pool, and the email links that stop her own notifications.
  'POST /api/v1/pool/offers/:id/accept',
  'POST /api/v1/pool/offers/:id/decline',
  'GET /unsubscribe/:userId/:kind/:signature',
  'POST /unsubscribe/:userId/:kind/:signature',
  // Public pages (open to anyone signed out): the Pledge and its links, the pool's request form, checking a certificate.
  'GET /pledge',
  'GET /pledge/sign/:kind',
  'POST /pledge/sign/:kind',
  'GET /pledge/thanks',
  'GET /pledge/confirm/:token',
  'POST /pledge/confirm/:token',
  'GET /pledge/signatories',
  'GET /pledge/organisations/:id',
  'GET /pledge/organisations/:id/badge.svg',
  'GET /pledge/manage',
  'POST /pledge/manage',
  'GET /pledge/manage/:token',
  'POST /pledge/manage/finish',
  'POST /pledge/manage/:token',
  'GET /pledge/signatures/:id/manage',
  'POST /pledge/signatures/:id/commitments',
  'POST /pledge/signatures/:id/delete',
  'POST /pledge/signatures/:id/readiness',
  'POST /pledge/signatures/:id/show-name',
  'POST /pledge/signatures/:id/updates',
  'GET /api/v1/pledge/signatures',
  'POST /api/v1/pledge/signatures',
  'GET /pool/request',
  'POST /pool/request',
  'GET /pool/request/thanks',
  'GET /pool/requests/confirm/:token',
  'POST /pool/requests/confirm/:token',
  // The API's public request (API.md: "public"), as the form is.
  'POST /api/v1/pool/requests',
  'GET /certificates/verify',
  'GET /certificates/verify/:code',
  'GET /api/v1/certificates/verify/:code',
  // Her own account (issue 13): security, sessions, two-step sign-in, her data, erasure; the routes mounted before the
  // boundary (OwnAccountRouters), with signing in, "Stay signed in" and the emailed links about her account.
  'GET /login/two-step',
  'POST /login/two-step',
  'GET /session/keep-alive',
  'GET /password-reset',
  'POST /password-reset',
  'GET /password-reset/:token',
  'POST /password-reset/:token',
  'GET /invitations/:token',
  'POST /invitations/:token',
  'GET /account-deleted',
  'POST /account/sessions/:id/end',
  'GET /account/email/confirm/:token',
  'POST /account/email/confirm/:token',
  'GET /account',
  'POST /account',
  'GET /account/security',
  'GET /account/two-step',
  'POST /account/two-step',
  'POST /account/two-step/off',
  'POST /account/password',
  'POST /account/email',
  'POST /account/sessions/end-others',
  'GET /account/data',
  'GET /account/data/export',
  'GET /account/data/export.zip',
  'GET /account/delete',
  'POST /account/delete',
  'PATCH /api/v1/me',
  'DELETE /api/v1/me',
  'GET /api/v1/me/export',
  'POST /api/v1/me/password',
  'GET /api/v1/me/sessions',
  'DELETE /api/v1/me/sessions',
  'DELETE /api/v1/me/sessions/:id',
  'POST /api/v1/me/mfa',
  'POST /api/v1/me/mfa/confirm',
  'DELETE /api/v1/me/mfa',
];

describe('research: researchers see nothing personal (the whole route table)', () => {
  useTestDatabase();
  let app: Express;
  let researcher: TestUser;

  before(async () => {
    app = testApp();
    researcher = await buildUser({ roles: ['researcher', 'participant'] });
  });

  it('every route outside her own account and the research allow-list answers 403 (or 404) to a researcher', async function () {
    this.timeout(120_000);
    const table = routeTable(app);
    expect(table.length).to.be.greaterThan(150);
    const auth = `Bearer ${await tokenFor(researcher)}`;
    const agent = await signIn(app, researcher.email, testPassword);
    const csrf = await csrfOf(agent, '/account/research');
    const allowed: string[] = [];
    const leaks: string[] = [];
    for (const route of table) {
      const url = concrete(route.path);
      if (route.ownAccount || researcherMayReach(route.method, url)) {
        allowed.push(`${route.method} ${route.path}`);
        continue;
      }
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const res = route.path.startsWith('/api/')
        ? await supertest(app)[method](url).set('Authorization', auth).send({})
        : await agent[method](url).set('X-CSRF-Token', csrf).send({});
      if (![403, 404].includes(res.status)) leaks.push(`${route.method} ${route.path} → ${res.status}`);
    }
    expect(leaks, 'routes a researcher reached').to.deep.equal([]);
    // Her own account and the allow-list are only these routes: a new route in either is noticed here.
    expect([...new Set(allowed)].sort()).to.deep.equal(
      expectedAllowed.filter((r) => table.some((t) => `${t.method} ${t.path}` === r)).sort(),
    );
  });

  it('a researcher downloads her own data in both forms her "Your data" page offers (JSON and the zip of CSV files)', async () => {
    const agent = await signIn(app, researcher.email, testPassword);
    const page = await agent.get('/account/data').expect(200);
    expect(page.text).to.include('href="/account/data/export"').and.to.include('href="/account/data/export.zip"');
    await agent.get('/account/data/export').expect(200).expect('Content-Type', /json/);
    await agent.get('/account/data/export.zip').expect(200).expect('Content-Type', /zip/);
  });

  it('a researcher reaches her allowed research operations (200) and the public ones, and an admin is not held to the boundary', async () => {
    await supertest(app)
      .get('/api/v1/research/impact')
      .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
      .expect(200);
    // A public operation is hers as anyone's (API.md: "public"), with her token as without one.
    await supertest(app)
      .post('/api/v1/pool/requests')
      .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
      .send({
        offer: 'speaker',
        topic: 'interviews',
        organisation: 'Riverside Primary',
        contactName: 'Rae Researcher',
        contactEmail: researcher.email,
        mode: 'online',
        message: 'A talk on what our study found.',
      })
      .expect(202);
    const admin = await buildUser({ roles: ['admin', 'researcher'] });
    await supertest(app)
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .expect(200);
  });

  describe('her own account, used as anyone uses it', () => {
    let me: TestUser;
    let agent: Awaited<ReturnType<typeof signIn>>;
    beforeEach(async () => {
      me = await buildUser({ roles: ['researcher'] });
      agent = await signIn(app, me.email, testPassword);
    });

    it('"Stay signed in" on the timeout warning keeps her session (204, as for anyone; it was a 403 the page ignored)', async () => {
      await agent.get('/session/keep-alive').expect(204);
    });

    it('she ends one of her other sessions from /account/security, and that browser is signed out', async () => {
      const elsewhere = await signIn(app, me.email, testPassword);
      const page = await agent.get('/account/security').expect(200);
      const end = /action="(\/account\/sessions\/[0-9a-f]+\/end)"/.exec(page.text)![1]!;
      await agent
        .post(end)
        .type('form')
        .send({ _csrf: csrfFrom(page.text) })
        .expect(303);
      await elsewhere.get('/session/keep-alive').expect(401);
      await agent.get('/session/keep-alive').expect(204);
    });

    it('she confirms a new email address with the emailed link while signed in', async () => {
      const newEmail = `moved-${me.id}@example.org`;
      await agent
        .post('/account/email')
        .type('form')
        .send({ newEmail, password: testPassword, _csrf: await csrfOf(agent, '/account/security') })
        .expect(303);
      const sent = await OutboxMessageModel.findOne({ to: newEmail, subject: /Confirm/ }).lean();
      const link = /http:\/\/pathways\.test(\/account\/email\/confirm\/[A-Za-z0-9_-]+)/.exec(sent!.text)![1]!;
      const page = await agent.get(link).expect(200);
      await agent
        .post(link)
        .type('form')
        .send({ _csrf: csrfFrom(page.text) })
        .expect(303);
      expect((await UserModel.findById(me.id).lean())!.email).to.equal(newEmail);
    });

    it('she opens a password-reset link and an invitation link in the browser she is signed in with', async () => {
      const { link } = await requestResetLink(app, me.email);
      await agent.get(link).expect(200);
      const admin = await buildUser({ roles: ['admin'] });
      const invited = `invited-${me.id}@example.org`;
      await supertest(app)
        .post('/api/v1/users')
        .set('Authorization', `Bearer ${await tokenFor(admin)}`)
        .send({ email: invited, name: 'Ines Invited', roles: ['participant'] })
        .expect(201);
      const invitation = await OutboxMessageModel.findOne({ to: invited }).lean();
      await agent.get(/http:\/\/pathways\.test(\/invitations\/[A-Za-z0-9_-]+)/.exec(invitation!.text)![1]!).expect(200);
    });

    it('she reaches her two-step, API token and notification settings, her data and an unsubscribe link of hers', async () => {
      for (const page of [
        '/account',
        '/account/security',
        '/account/two-step',
        '/account/notifications',
        '/account/data',
      ])
        await agent.get(page).expect(200);
      await agent.get('/account/data/export').expect(200);
      await agent.get(unsubscribePath(me.id, 'session-reminder')).expect(200);
      const auth = `Bearer ${await tokenFor(me)}`;
      for (const path of ['/api/v1/me', '/api/v1/me/sessions', '/api/v1/auth/tokens', '/api/v1/me/notifications'])
        await supertest(app).get(path).set('Authorization', auth).expect(200);
      await supertest(app).get('/api/v1/me/export').set('Authorization', auth).expect(200);
      await supertest(app).post('/api/v1/me/mfa').set('Authorization', auth).expect(201);
    });

    it('the boundary still refuses her what is not hers (people, cohorts, the directory, other APIs about people)', async () => {
      for (const page of ['/directory', '/cohorts', '/admin', '/mentorships', '/account-unknown'])
        expect((await agent.get(page)).status, page).to.be.oneOf([403, 404]);
      await agent.get('/directory').expect(403);
      const auth = `Bearer ${await tokenFor(me)}`;
      for (const path of ['/api/v1/users', '/api/v1/me/mentorships', '/api/v1/me/progress', '/api/v1/cohorts'])
        await supertest(app).get(path).set('Authorization', auth).expect(403);
    });
  });
});
