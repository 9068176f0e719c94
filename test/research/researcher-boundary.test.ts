import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { researcherMayReach } from '../../server/policies/research.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
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
  'GET /certificates/verify',
  'GET /certificates/verify/:code',
  'GET /api/v1/certificates/verify/:code',
  // Her own account (issue 13): security, sessions, two-step sign-in, her data, erasure.
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

  it('every route outside the research and own-account allow-list answers 403 (or 404) to a researcher', async function () {
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
      if (researcherMayReach(route.method, url)) {
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
    // The allow-list matches only these routes: a new route that matches it is noticed here.
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

  it('a researcher reaches her allowed research operations (200), and an admin is not held to the boundary', async () => {
    await supertest(app)
      .get('/api/v1/research/impact')
      .set('Authorization', `Bearer ${await tokenFor(researcher)}`)
      .expect(200);
    const admin = await buildUser({ roles: ['admin', 'researcher'] });
    await supertest(app)
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .expect(200);
  });
});
