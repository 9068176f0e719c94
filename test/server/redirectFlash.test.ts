import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';

/**
 * A browser follows a redirect as soon as its headers arrive. express-session writes the headers first and saves the
 * session while the body is still pending, so a message set before a redirect could be missing from the next page.
 */
function postAndFollowOnHeaders(
  baseUrl: string,
  path: string,
  cookie: string,
  form: Record<string, string>,
): Promise<string> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${path}`,
      {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length },
      },
      (res) => {
        const location = res.headers.location;
        if (res.statusCode !== 303 || !location) return reject(new Error(`expected a 303, got ${res.statusCode}`));
        // Do not wait for the end of the redirect response: ask for the next page at once.
        http
          .get(new URL(location, baseUrl), { headers: { cookie } }, (next) => {
            let html = '';
            next.setEncoding('utf8');
            next.on('data', (chunk: string) => (html += chunk));
            next.on('end', () => resolve(html));
          })
          .on('error', reject);
        res.resume();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('one-time messages after a redirect', () => {
  useTestDatabase();
  let server: http.Server;
  let baseUrl: string;
  before(async () => {
    server = testApp().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('when the browser follows the redirect before its response ends, the next page still shows the message', async () => {
    const programme = await buildProgramme({ title: 'Fair recruitment' });
    const learner = await buildUser({ roles: ['participant'] });
    await enrol(learner.id, (await buildCohort(programme.id)).id, programme.id);
    const modules = await Promise.all(
      Array.from({ length: 10 }, (_, i) => buildModule(programme.id, { title: `Reading ${i + 1}` })),
    );

    const agent = supertest.agent(baseUrl);
    const login = await agent.get('/login');
    const signedIn = await agent
      .post('/login')
      .type('form')
      .send({ email: learner.email, password: testPassword, _csrf: csrfFrom(login.text) })
      .expect(303);
    const cookie = ([] as string[])
      .concat(signedIn.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');

    for (const module of modules) {
      const page = await agent.get(`/modules/${module.id}`).expect(200);
      const next = await postAndFollowOnHeaders(baseUrl, `/modules/${module.id}/completion`, cookie, {
        _csrf: csrfFrom(page.text),
      });
      expect(next, `after completing ${module.title}`).to.include('Module completed. Well done.');
    }
  });
});
