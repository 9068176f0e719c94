import type { Server } from 'node:http';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../server/app.ts';
import { loadConfig, type Config } from '../../server/config.ts';

/** The config every test app runs with (NODE_ENV=test, outbox mail unless an SMTP URL is given). */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: process.env.PATHWAYS_TEST_DATA_DIR ?? '/tmp',
    BASE_URL: 'http://pathways.test',
    RUN_JOBS: 'false',
    ...overrides,
  });
}

export function testApp(overrides: Record<string, string> = {}): Express {
  return createApp(testConfig(overrides));
}

/** The CSRF token of a page's first form. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1]!;
}

/** Signs in through the real login form; the agent keeps the session cookie. */
export async function signIn(
  app: Express | Server,
  email: string,
  password: string,
): Promise<ReturnType<typeof supertest.agent>> {
  const agent = supertest.agent(app);
  const page = await agent.get('/login').expect(200);
  await agent
    .post('/login')
    .type('form')
    .send({ email, password, _csrf: csrfFrom(page.text) })
    .expect(303);
  return agent;
}

/** GETs a page with the agent and returns its CSRF token (for posting a form on it). */
export async function csrfOf(agent: ReturnType<typeof supertest.agent>, path = '/'): Promise<string> {
  const page = await agent.get(path);
  return csrfFrom(page.text);
}
