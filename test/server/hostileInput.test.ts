import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { concrete, routeTable, type Route } from '../support/routeTable.ts';

type Agent = ReturnType<typeof supertest.agent>;

/**
 * "No 500 for anything a user can type", over the whole route table: every route, as an admin (who reaches the most),
 * with what a careless or hostile user sends: ids that are not ids, query strings of the wrong type and shape, and
 * bodies with Mongo operators, arrays where strings belong and strings where numbers belong. Each answer must be a
 * refusal or an answer (never 5xx), and in the API a refusal is `application/problem+json`.
 */
const hostileQuery =
  '?limit=abc&cursor=%25zz%00&from=2026-02-31&to=yesterday&page=-1&q=%24where&status[$ne]=x&country=ZZZ&programmeId=1';

/**
 * A search with a NUL in it (`%00`), and nothing else that could be refused first: the text reaches the search, where
 * a regular expression holding the byte itself cannot be sent to the database.
 */
const searchWithNul = '?q=pri%00ya';

const hostileBody = {
  $where: 'sleep(1000)',
  name: { $gt: '' },
  email: ['a@example.org', 'b@example.org'],
  title: { $regex: '.*' },
  limit: 'many',
  capacity: '-1e400',
  startsAt: 'not a date',
  timezone: 'Mars/Olympus_Mons',
  status: { $ne: null },
  userIds: [{ $gt: '' }],
  password: { $exists: true },
};

/** Routes that would end this test's own sign-in or account, whatever they are sent: not swept. */
const endsTheSweep = new Set([
  'POST /logout',
  'POST /account/sessions/end-others',
  'DELETE /api/v1/me/sessions',
  'POST /account/delete',
  'DELETE /api/v1/me',
]);

type Sweep = { failures: string[]; statuses: Map<number, number> };

/**
 * Sends every route (but those in endsTheSweep) each bad input once: with `auth` on API routes and through `agent`
 * (its session and CSRF token) on web routes.
 */
async function sweep(app: Express, auth: string | undefined, agent: Agent, csrf: string): Promise<Sweep> {
  const table = routeTable(app).filter((r) => !endsTheSweep.has(`${r.method} ${r.path}`));
  expect(table.length).to.be.greaterThan(150);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const paramShapes: (() => string)[] = [
    () => 'not-an-id',
    () => 'x'.repeat(300),
    () => '%00%24ne',
    () => '000000000000000000000000',
  ];
  const send = async (route: Route, url: string, body: object | undefined) => {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const api = route.path.startsWith('/api/');
    let request = api ? supertest(app)[method](url).set('Accept', 'application/json') : agent[method](url);
    request = api ? (auth ? request.set('Authorization', auth) : request) : request.set('X-CSRF-Token', csrf);
    const res = await (body === undefined ? request : request.send(body));
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const problemJson = String(res.headers['content-type'] ?? '').startsWith('application/problem+json');
    if (res.status >= 500) failures.push(`${route.method} ${url.slice(0, 120)} → ${res.status}`);
    else if (api && res.status >= 400 && !problemJson)
      failures.push(`${route.method} ${url.slice(0, 120)} → ${res.status} as ${res.headers['content-type']}`);
  };
  // One route at a time; its bad inputs at once (as a careless client's retries would arrive), which also keeps the
  // sweep's time down.
  for (const route of table) {
    const withBody = route.method !== 'GET' && route.method !== 'HEAD';
    await Promise.all([
      ...paramShapes.map((shape) => send(route, concrete(route.path, shape), withBody ? {} : undefined)),
      send(route, `${concrete(route.path)}${hostileQuery}`, withBody ? hostileBody : undefined),
      ...(withBody ? [] : [send(route, `${concrete(route.path)}${searchWithNul}`, undefined)]),
      ...(withBody ? [send(route, concrete(route.path), hostileBody)] : []),
    ]);
  }
  return { failures, statuses };
}

describe('bad input anywhere: no route answers 5xx, and the API refuses with problem+json', () => {
  useTestDatabase();
  let app: Express;

  before(() => {
    app = testApp();
  });

  it('as an admin (who reaches the most), every route refuses or answers bad input, never 5xx', async function () {
    this.timeout(300_000);
    const admin = await buildUser({ roles: ['admin', 'facilitator'] });
    const agent = await signIn(app, admin.email, testPassword);
    const { failures, statuses } = await sweep(
      app,
      `Bearer ${await tokenFor(admin)}`,
      agent,
      await csrfOf(agent, '/account'),
    );
    expect(failures, 'answers to bad input').to.deep.equal([]);
    // The sweep reached the handlers: many answers, many refusals of the input itself (not only 404s and redirects).
    expect(statuses.get(200) ?? 0).to.be.greaterThan(200);
    expect(statuses.get(422) ?? 0).to.be.greaterThan(200);
    // It ran signed in to the end (a lost session would have turned every page into a redirect to sign in).
    await agent.get('/account').expect(200);
  });

  it('as a participant and as a visitor who is not signed in, the same: refusals, never 5xx', async function () {
    this.timeout(300_000);
    const participant = await buildUser({ roles: ['participant'] });
    const agent = await signIn(app, participant.email, testPassword);
    const signedIn = await sweep(app, `Bearer ${await tokenFor(participant)}`, agent, await csrfOf(agent, '/account'));
    expect(signedIn.failures, 'answers to a participant').to.deep.equal([]);
    expect(signedIn.statuses.get(403) ?? 0).to.be.greaterThan(100);
    await agent.get('/account').expect(200);
    const visitor = supertest.agent(app);
    const anonymous = await sweep(app, undefined, visitor, await csrfOf(visitor, '/login'));
    expect(anonymous.failures, 'answers to a visitor').to.deep.equal([]);
    expect(anonymous.statuses.get(401) ?? 0).to.be.greaterThan(100);
  });
});
