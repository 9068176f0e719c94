import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { UserModel } from '../../models/User.ts';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { createApiToken, revokeApiToken } from '../../server/services/apiTokens.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';

/**
 * Every operation in /api/v1/openapi.json, sent generated valid-ish and malformed requests as nobody, as an admin,
 * as a participant and with a revoked token: each answer's status must be one the document lists for that operation,
 * never a 5xx; an error is a problem document; a success matches the documented schema.
 */
type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  additionalProperties?: boolean | Schema;
  default?: unknown;
};
type Operation = {
  parameters?: { name: string; in: string; required: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security: unknown[];
};
type Sent = { label: string; status: number; body: unknown; contentType: string };

const hex24 = () => new mongoose.Types.ObjectId().toHexString();

/** A value the schema should accept (as far as a generator without domain knowledge can tell). */
function sample(schema: Schema, ids: string[]): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const choice = schema.anyOf ?? schema.oneOf;
  if (choice) return sample(choice.find((s) => s.type !== 'null') ?? choice[0]!, ids);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        (schema.required ?? Object.keys(schema.properties ?? {})).map((k) => [
          k,
          sample(schema.properties?.[k] ?? {}, ids),
        ]),
      );
    case 'array':
      return schema.minItems === 0 ? [] : [sample(schema.items ?? {}, ids)];
    case 'integer':
    case 'number':
      return schema.minimum ?? Math.min(1, schema.maximum ?? 1);
    case 'boolean':
      return true;
    case 'string':
      if (schema.pattern?.includes('[0-9a-f]{24}')) return ids.shift() ?? hex24();
      if (schema.format === 'email' || schema.format === 'idn-email') return `someone-${Date.now()}@example.org`;
      if (schema.format === 'date') return '2027-03-01';
      if (schema.format === 'date-time') return '2027-03-01T09:30:00.000Z';
      if (schema.format === 'uri') return 'https://example.org/x';
      return 'Europe/London'.padEnd(Math.max(13, schema.minLength ?? 0), 'x');
    default:
      return 'x';
  }
}

/** A small JSON Schema check for what zod's toJSONSchema emits (types, required, properties, items, enum, anyOf). */
function conforms(value: unknown, schema: Schema, path = '$'): string[] {
  if (schema.anyOf || schema.oneOf) {
    const options = (schema.anyOf ?? schema.oneOf)!;
    return options.some((s) => conforms(value, s, path).length === 0) ? [] : [`${path}: matches none of its options`];
  }
  if (schema.const !== undefined && value !== schema.const) return [`${path}: is not ${JSON.stringify(schema.const)}`];
  if (schema.enum && !schema.enum.includes(value))
    return [`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  const types = schema.type === undefined ? undefined : ([] as string[]).concat(schema.type);
  const actual =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : typeof value === 'number' && Number.isInteger(value)
          ? 'integer'
          : typeof value;
  if (types && !types.includes(actual) && !(actual === 'integer' && types.includes('number')))
    return [`${path}: is ${actual}, not ${types.join('|')}`];
  const problems: string[] = [];
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) problems.push(`${path}.${key}: missing`);
    for (const [key, sub] of Object.entries(schema.properties ?? {}))
      if (key in object) problems.push(...conforms(object[key], sub, `${path}.${key}`));
  }
  if (actual === 'array' && schema.items)
    (value as unknown[]).forEach((item, i) => problems.push(...conforms(item, schema.items!, `${path}[${i}]`)));
  return problems;
}

/** Wrong types for every field of a body: strings become numbers, everything else a string. */
function wrongTypes(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 42;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? 12345 : 'not-this-type']));
}

/** An operator object where a value is expected, in every field. */
function operators(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { $ne: null };
  return Object.fromEntries(Object.keys(body).map((k) => [k, { $ne: null }]));
}

describe('the OpenAPI document lists every answer the API gives', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let document: { paths: Record<string, Record<string, Operation>> };
  const tokens: Record<'admin' | 'participant' | 'revoked' | 'spare', string> = {
    admin: '',
    participant: '',
    revoked: '',
    spare: '',
  };
  let spareTokenId = '';
  let cookieAgent: Awaited<ReturnType<typeof signIn>>;

  before(async function () {
    this.timeout(120_000);
    await seedDemoDataIfEmpty();
    app = testApp();
    const admin = (await UserModel.findOne({ email: 'admin@pathways.test' }).lean())!;
    const participant = (await UserModel.findOne({ email: 'participant@pathways.test' }).lean())!;
    tokens.admin = (await createApiToken({ userId: String(admin._id) })).token;
    tokens.participant = (await createApiToken({ userId: String(participant._id) })).token;
    const revoked = await createApiToken({ userId: String(admin._id) });
    await revokeApiToken({ userId: String(admin._id), tokenId: revoked.id });
    tokens.revoked = revoked.token;
    const spare = await createApiToken({ userId: String(admin._id) });
    [tokens.spare, spareTokenId] = [spare.token, spare.id];
    document = (await supertest(app).get('/api/v1/openapi.json').expect(200)).body;
    cookieAgent = await signIn(app, 'admin@pathways.test', demoPassword);
  });

  /** Real ids for the path's parameters, from the demo data, so valid-ish requests reach the domain. */
  async function realParams(path: string): Promise<Record<string, string>> {
    const db = mongoose.connection.db!;
    const first = async (collection: string, filter = {}) =>
      String((await db.collection(collection).findOne(filter))?._id ?? hex24());
    const segment = /\/([a-z-]+)\/\{id\}/.exec(path)?.[1];
    const byCollection: Record<string, string> = {
      programmes: 'programmes',
      modules: 'modules',
      cohorts: 'cohorts',
      sessions: 'cohortsessions',
      boards: 'boards',
      rounds: 'recruitmentrounds',
      users: 'users',
      signatures: 'pledgesignatures',
    };
    const params: Record<string, string> = {};
    if (path.includes('{id}'))
      params.id = segment === 'tokens' ? spareTokenId : await first(byCollection[segment ?? ''] ?? 'users');
    if (path.includes('{userId}')) {
      if (segment === 'cohorts') {
        const enrolment = await db.collection('enrolments').findOne({});
        params.id = String(enrolment?.cohortId ?? params.id);
        params.userId = String(enrolment?.userId ?? hex24());
      } else if (segment === 'boards') {
        const board = await db.collection('boards').findOne({ 'members.0': { $exists: true } });
        params.id = String(board?._id ?? params.id);
        const member = (board?.members as { userId?: unknown }[] | undefined)?.[0];
        params.userId = String(member?.userId ?? hex24());
      } else params.userId = await first('users');
    }
    if (path.includes('{code}'))
      params.code = String((await db.collection('certificates').findOne({}))?.verificationCode ?? 'PW-AAAA-BBBB-CCCC');
    return params;
  }

  const fill = (path: string, params: Record<string, string>) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? hex24()));

  async function send(
    method: string,
    url: string,
    opts: { token?: string; body?: unknown; raw?: string; cookie?: boolean },
  ): Promise<Pick<Sent, 'status' | 'body' | 'contentType'>> {
    let request = (opts.cookie ? cookieAgent : supertest(app))[method as 'get'](`/api/v1${url}`);
    if (opts.token) request = request.set('Authorization', `Bearer ${opts.token}`);
    const raw = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (raw !== undefined) request = request.set('Content-Type', 'application/json').send(raw);
    const res = await request;
    return { status: res.status, body: res.body, contentType: String(res.headers['content-type'] ?? '') };
  }

  it('for every operation, generated and malformed requests get only listed statuses, problem documents and documented successes', async function () {
    this.timeout(600_000);
    const failures: string[] = [];
    let requests = 0;
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.length).to.be.greaterThan(40);
    // Deletes last, so what they remove is there for the others first.
    operations.sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));
    for (const { path, method, op } of operations) {
      const listed = Object.keys(op.responses).map(Number);
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const params = await realParams(path);
      const body = bodySchema ? sample(bodySchema, [...Object.values(params)]) : undefined;
      const query = (op.parameters ?? []).filter((p) => p.in === 'query');
      const queryString = (values: (p: { schema: Schema }) => unknown) =>
        query.length ? '?' + query.map((p) => `${p.name}=${encodeURIComponent(String(values(p)))}`).join('&') : '';
      // Valid-ish: the required query parameters only (an optional cursor cannot be made up).
      const required = query.filter((p) => p.required);
      const url =
        fill(path, params) +
        (required.length
          ? '?' + required.map((p) => `${p.name}=${encodeURIComponent(String(sample(p.schema, [])))}`).join('&')
          : '');
      const hasBody = ['post', 'put', 'patch'].includes(method);
      const cases: { label: string; url: string; token?: string; body?: unknown; raw?: string; cookie?: boolean }[] = [
        { label: 'valid-ish, no auth', url, body },
        { label: 'valid-ish, revoked token', url, token: tokens.revoked, body },
        { label: 'valid-ish, participant', url, token: tokens.participant, body },
        { label: 'valid-ish, admin', url, token: tokens.admin, body },
        {
          label: 'operator objects in the query',
          url: fill(path, params) + (query.length ? queryString(() => '{"$ne":null}') : '?q[$ne]=null'),
          token: tokens.admin,
          body,
        },
      ];
      if (path.includes('{')) {
        for (const bad of ['not-an-id', '{"$ne":null}', hex24(), 'a'.repeat(300)]) {
          cases.push({
            label: `path id ${bad.slice(0, 20)}`,
            url: fill(path, Object.fromEntries(Object.keys(params).map((k) => [k, bad]))),
            token: tokens.admin,
            body,
          });
        }
      }
      if (hasBody) {
        cases.push(
          { label: 'malformed JSON', url, token: tokens.admin, raw: '{"title": "x",' },
          {
            label: 'oversized body',
            url,
            token: tokens.admin,
            raw: JSON.stringify({ padding: 'x'.repeat(1_100_000) }),
          },
          { label: 'wrong types', url, token: tokens.admin, body: wrongTypes(body) },
          { label: 'operator objects in the body', url, token: tokens.admin, body: operators(body) },
          { label: 'a JSON array for a body', url, token: tokens.admin, raw: '[]' },
          { label: 'unknown field', url, token: tokens.admin, body: { ...(body as object), unexpectedField: true } },
          { label: 'session cookie without the CSRF header', url, body, cookie: true },
        );
      }
      for (const c of cases) {
        const res = await send(method, c.url, c);
        requests++;
        const where = `${method.toUpperCase()} ${path} (${c.label}) answered ${res.status}`;
        if (res.status >= 500) failures.push(`${where}: a 5xx`);
        if (!listed.includes(res.status))
          failures.push(`${where}, which the document does not list (${listed.join(', ')})`);
        if (res.status >= 400) {
          const problem = res.body as { type?: unknown; title?: unknown; status?: unknown };
          if (!res.contentType.startsWith('application/problem+json'))
            failures.push(`${where} as ${res.contentType}, not a problem document`);
          else if (
            typeof problem.type !== 'string' ||
            typeof problem.title !== 'string' ||
            problem.status !== res.status
          )
            failures.push(`${where}: problem lacks type/title/status`);
        } else {
          const success = op.responses[String(res.status)]?.content?.['application/json']?.schema;
          if (success) for (const p of conforms(res.body, success)) failures.push(`${where}: ${p}`);
        }
      }
    }
    expect(requests).to.be.greaterThan(300);
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });

  it('documents the Idempotency-Key header on exactly the creates that honour it', () => {
    const withKey: string[] = [];
    for (const [path, methods] of Object.entries(document.paths))
      for (const [method, op] of Object.entries(methods)) {
        const parameters = (op as { parameters?: { name: string; in: string }[] }).parameters ?? [];
        if (parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key'))
          withKey.push(`${method} ${path}`);
      }
    expect(withKey.sort()).to.deep.equal(
      [
        'post /boards',
        'post /boards/{id}/rounds',
        'post /cohorts',
        'post /cohorts/{id}/sessions',
        'post /directory/{userId}/messages',
        'post /external-certificates',
        'post /me/outcomes',
        'post /mentorships/{id}/meetings',
        'post /networks',
        'post /networks/{id}/events',
        'post /networks/{id}/posts',
        'post /pool/requests',
        'post /programmes',
        'post /programmes/{id}/modules',
        'post /surveys',
        'post /posts/{id}/replies',
      ].sort(),
    );
  });

  it('lists 401 for public operations too (a bearer token is read on every /api/v1 request)', () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(methods))
        expect(op.responses, `${method} ${path}`).to.have.property('401');
    }
  });
});
