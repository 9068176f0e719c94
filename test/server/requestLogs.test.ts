import { expect } from 'chai';
import { pino } from 'pino';
import supertest from 'supertest';
import { logger, urlForLog } from '../../server/logger.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { concrete, routeTable } from '../support/routeTable.ts';

type Stream = { write(line: string): void };
const streamOf = logger as unknown as Record<symbol, Stream>;

describe('request logs carry no secret and no personal data from the request', () => {
  useTestDatabase();
  const lines: string[] = [];
  let original: Stream;
  let level: string;
  let app: ReturnType<typeof testApp>;

  before(() => {
    level = logger.level;
    // The request logger is a child made when the app is built: it logs at the level the parent had then.
    logger.level = 'info';
    app = testApp();
    original = streamOf[pino.symbols.streamSym]!;
    streamOf[pino.symbols.streamSym] = { write: (line: string) => void lines.push(line) };
  });
  after(() => {
    streamOf[pino.symbols.streamSym] = original;
    logger.level = level;
  });

  it('emailed links, the calendar token, search words, cookies, bearer tokens and referers stay out of the log lines', async () => {
    const secret = 'Zq7SecretLinkTokenFromAnEmail0123456789abc';
    const sid = 'connect.sid=s%3AsessionCookieValue123';
    const bearer = 'pat_BearerTokenValue987';
    const visits = [
      `/password-reset/${secret}`,
      `/invitations/${secret}`,
      `/account/email/confirm/${secret}`,
      `/pledge/confirm/${secret}`,
      `/pledge/manage/${secret}`,
      `/pool/requests/confirm/${secret}`,
      `/calendar/${secret}.ics`,
      `/unsubscribe/64b000000000000000000001/cohort-session/${secret}`,
      `/admin/users?q=nia.jones%40example.org&page=2`,
      `/api/v1/users?q=nia.jones%40example.org`,
    ];
    for (const url of visits)
      await supertest(app)
        .get(url)
        .set('Cookie', sid)
        .set('Authorization', `Bearer ${bearer}`)
        .set('Referer', `https://pathways.example/password-reset/${secret}`);
    const logged = lines.join('\n');
    expect(lines.length, 'one line per request').to.be.at.least(visits.length);
    for (const leak of [secret, 'nia.jones', 'sessionCookieValue123', bearer])
      expect(logged, `the logs hold ${leak}`).to.not.include(leak);
    expect(logged).to.include('/password-reset/[redacted]').and.to.include('/admin/users?q=[redacted]&page=[redacted]');
  });

  it('one line per answered request, naming the id its X-Request-Id header gives; /healthz is not logged', async () => {
    lines.length = 0;
    const res = await supertest(app).get('/login?next=%2Fdashboard').set('User-Agent', 'log-test-agent');
    await supertest(app).get('/healthz');
    const id = res.get('X-Request-Id');
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).to.have.length(1);
    const { req, ...rest } = logged[0] as { req: Record<string, unknown> };
    expect(rest).to.deep.include({ msg: 'request completed', res: { statusCode: 200 } });
    expect(req).to.deep.include({ id, method: 'GET', url: '/login?next=[redacted]', userAgent: 'log-test-agent' });
    expect(req.remoteAddress).to.match(/127\.0\.0\.1|::1/);
    expect((rest as { responseTime?: unknown }).responseTime).to.be.a('number');
  });

  it('every route with a token, secret or signature in its path is logged without it', () => {
    const secretRoutes = routeTable(testApp()).filter((r) => /:(token|secret|signature)\b/.test(r.path));
    expect(secretRoutes.length).to.be.at.least(10);
    for (const route of secretRoutes)
      expect(urlForLog(concrete(route.path, () => 'SeCrEt42')), route.path).to.not.include('SeCrEt42');
  });
});
