import type { Server } from 'node:http';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../server/app.ts';
import { loadConfig, type Config } from '../../server/config.ts';
import { buildUser, testPassword } from './factories.ts';

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
/** The record version a form carries (its hidden `version`), the one a save is checked against. */
export function versionFrom(html: string): string {
  const match = /<input type="hidden" name="version" value="([^"]*)">/.exec(html);
  if (!match) throw new Error('no version field on the page');
  return match[1]!;
}

export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1]!;
}

/** A page's error summary: its text, and the ids its links lead to (empty when the page has none). */
export function errorSummaryOf(html: string): { text: string; targets: string[] } {
  const text = /<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
  return { text, targets: [...text.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!) };
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

/**
 * Two admins open the same edit page, in that order: each one's signed-in agent and the page as she opened it (the
 * "saved meanwhile" tests: the first saves, then the second's save from her older page is checked).
 */
export async function pageOpenedByTwoAdmins(app: Express | Server, path: string) {
  const [first, second] = await Promise.all([buildUser({ roles: ['admin'] }), buildUser({ roles: ['admin'] })]);
  const firstAgent = await signIn(app, first.email, testPassword);
  const firstPage = await firstAgent.get(path).expect(200);
  const secondAgent = await signIn(app, second.email, testPassword);
  const secondPage = await secondAgent.get(path).expect(200);
  return { firstAgent, firstPage, secondAgent, secondPage };
}

/** GETs a page with the agent and returns its CSRF token (for posting a form on it). */
export async function csrfOf(agent: ReturnType<typeof supertest.agent>, path = '/'): Promise<string> {
  const page = await agent.get(path);
  return csrfFrom(page.text);
}
