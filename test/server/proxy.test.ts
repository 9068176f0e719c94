import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import supertest from 'supertest';
import express from 'express';
import { pino } from 'pino';
import { logger } from '../../server/logger.ts';
import { clearSessionCookie, sessionCookieName } from '../../server/http/sessionCookie.ts';
import { csrfFrom, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

/**
 * A proxy "on another host" needs a request that does not come from loopback: the app listens on this machine's
 * first non-loopback IPv4 address and the test connects to it, so the app sees that address as the peer.
 */
function outsideAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('these tests need a non-loopback IPv4 address on this machine (none found)');
  return address;
}

async function serve(app: ReturnType<typeof testApp>, host: string): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, host);
  await once(server, 'listening');
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, server };
}

const sessionCookie = (res: supertest.Response): string | undefined =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${sessionCookieName}=`));

const production = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), SMTP_URL: 'smtp://127.0.0.1:1' };

describe('behind a proxy (TRUST_PROXY)', () => {
  useTestDatabase();
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  async function signInThroughProxy(overrides: Record<string, string>) {
    const { url, server } = await serve(testApp({ ...production, ...overrides }), outsideAddress());
    servers.push(server);
    const user = await buildUser();
    const viaTls = { 'X-Forwarded-Proto': 'https' };
    const page = await supertest(url).get('/login').set(viaTls).expect(200);
    const first = sessionCookie(page);
    if (!first) return { user, first, signedIn: undefined };
    const login = await supertest(url)
      .post('/login')
      .set(viaTls)
      .set('Cookie', first.split(';')[0]!)
      .type('form')
      .send({ email: user.email, password: testPassword, _csrf: csrfFrom(page.text) });
    const cookie = sessionCookie(login);
    const me = await supertest(url)
      .get('/api/v1/me')
      .set(viaTls)
      .set('Cookie', (cookie ?? first).split(';')[0]!);
    return { user, first, login, cookie, signedIn: me };
  }

  it('with TRUST_PROXY=1 and X-Forwarded-Proto https, sign-in works in production: a Secure cookie, then signed in', async () => {
    const { user, first, login, cookie, signedIn } = await signInThroughProxy({ TRUST_PROXY: '1' });
    expect(first).to.match(/;\s*Secure/i);
    expect(login!.status).to.equal(303);
    expect(cookie).to.match(/;\s*Secure/i);
    expect(signedIn!.status).to.equal(200);
    expect(signedIn!.body.email).to.equal(user.email);
  });

  it('the session cookie is SameSite=Lax by default, and with SESSION_COOKIE_SAMESITE=none SameSite=None, Secure and Partitioned (an LMS frame), sign-in working the same', async () => {
    const lax = await signInThroughProxy({ TRUST_PROXY: '1' });
    expect(lax.cookie)
      .to.match(/;\s*SameSite=Lax/i)
      .and.not.match(/Partitioned/i);
    const framed = await signInThroughProxy({ TRUST_PROXY: '1', SESSION_COOKIE_SAMESITE: 'none' });
    for (const cookie of [framed.first, framed.cookie]) {
      expect(cookie).to.match(/;\s*SameSite=None/i);
      expect(cookie).to.match(/;\s*Secure/i);
      expect(cookie).to.match(/;\s*Partitioned/i);
      expect(cookie).to.match(/;\s*HttpOnly/i);
    }
    expect(framed.login!.status).to.equal(303);
    expect(framed.signedIn!.body.email).to.equal(framed.user.email);
  });

  it('a session cookie is cleared with the attributes it was set with (a partitioned cookie is only cleared by a partitioned one)', async () => {
    const clearing = (overrides: Record<string, string>) => {
      testApp({ ...production, ...overrides }); // applies the config's settings, as the app does at start
      const app = express().get('/clear', (_req, res) => {
        clearSessionCookie(res);
        res.end();
      });
      return supertest(app).get('/clear').expect(200);
    };
    try {
      const none = sessionCookie(await clearing({ SESSION_COOKIE_SAMESITE: 'none' }))!;
      expect(none).to.match(/Expires=Thu, 01 Jan 1970/);
      expect(none)
        .to.match(/SameSite=None/i)
        .and.match(/Secure/i)
        .and.match(/Partitioned/i);
      const lax = sessionCookie(await clearing({}))!;
      expect(lax).to.match(/Expires=Thu, 01 Jan 1970/);
      expect(lax)
        .to.match(/SameSite=Lax/i)
        .and.not.match(/Partitioned/i);
    } finally {
      testApp(); // the other tests' settings
    }
  });

  it('with the default (loopback), a TLS proxy on another host is not believed: no Secure cookie is set, and the log says so once, naming the proxy and TRUST_PROXY', async () => {
    const lines: string[] = [];
    const streamOf = logger as unknown as Record<symbol, { write(line: string): void }>;
    const original = streamOf[pino.symbols.streamSym]!;
    const level = logger.level;
    logger.level = 'warn';
    streamOf[pino.symbols.streamSym] = { write: (line: string) => void lines.push(line) };
    try {
      const { first } = await signInThroughProxy({});
      expect(first).to.equal(undefined);
      // More requests through the same proxy: said once, not on every request.
      const { url, server } = await serve(testApp(production), outsideAddress());
      servers.push(server);
      for (const path of ['/login', '/pledge', '/login'])
        await supertest(url).get(path).set('X-Forwarded-Proto', 'https');
    } finally {
      streamOf[pino.symbols.streamSym] = original;
      logger.level = level;
    }
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; sender: string });
    // Once for each of the two apps built above.
    expect(warnings).to.have.length(2);
    expect(warnings[0]!.msg).to.include('TRUST_PROXY');
    expect(warnings[0]!.sender).to.include(outsideAddress());
  });

  it('without TRUST_PROXY, a forged X-Forwarded-For does not move a visitor into another rate-limit bucket', async () => {
    const { url, server } = await serve(testApp(), outsideAddress());
    servers.push(server);
    const page = await supertest(url).get('/password-reset').expect(200);
    const cookie = sessionCookie(page)!.split(';')[0]!;
    const post = (forwardedFor: string) =>
      supertest(url)
        .post('/password-reset')
        .set('Cookie', cookie)
        .set('X-Forwarded-For', forwardedFor)
        .type('form')
        .send({ email: 'nobody@example.org', _csrf: csrfFrom(page.text) });
    // The reset form allows 20 requests per address per 15 minutes.
    for (let i = 0; i < 20; i++) expect((await post(`203.0.113.${i + 1}`)).status).to.equal(303);
    const refused = await post('198.51.100.77');
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
  });
});
