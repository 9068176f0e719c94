import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z, type ZodType } from 'zod';
import type { Role } from '../../models/User.ts';
import { ForbiddenError, MethodNotAllowedError, UnauthenticatedError } from '../errors.ts';
import { isRateLimiter } from './rateLimits.ts';
import { bodyMethods } from './bodies.ts';
import { parseInput, parseQuery } from './validate.ts';

/**
 * Declares one /api/v1 operation: it is registered on the router and recorded for the OpenAPI document,
 * from the same zod schemas that validate the request, so the document cannot drift from the code.
 */
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type ApiContext<B, Q> = {
  user: Express.User;
  body: B;
  query: Q;
  params: Record<string, string>;
  req: Request;
  res: Response;
};

type Operation<B extends ZodType, Q extends ZodType> = {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  /** 'public' needs no authentication; otherwise the roles allowed (empty array: any signed-in user). */
  access: 'public' | readonly Role[];
  body?: B;
  query?: Q;
  /** Success status and schema of its body (omit for 204 / non-JSON bodies). */
  success: { status: number; description: string; schema?: ZodType; contentType?: string };
  /**
   * A create whose record can be read back: the path (under /api/v1) of that record from its `id`, sent as the
   * 201's `Location` header (RFC 9110 10.2.2) and documented on it.
   */
  location?: (id: string) => string;
  /**
   * Error statuses its domain can answer beyond what the declaration shows (see errorStatuses): 409 for a conflict,
   * 422 for a rule broken by an operation without a body, 404 for something looked up that no id field names.
   */
  errors?: number[];
  /** Extra middleware (rate limiters) run before validation. */
  before?: RequestHandler[];
  /**
   * A create that honours an `Idempotency-Key` header (server/submissions.ts): the same key sent again with the same
   * body is answered with the first one's record, with another body refused (422). Documented as a header parameter; the handler passes clientSubmissionKey(req) on.
   */
  idempotent?: boolean;
};

type Recorded = Omit<Operation<ZodType, ZodType>, 'before'> & { rateLimited: boolean; pattern?: RegExp };
const noBody = z.strictObject({});
const operations: Recorded[] = [];

export function apiOperation<B extends ZodType = ZodType<undefined>, Q extends ZodType = ZodType<undefined>>(
  router: Router,
  op: Operation<B, Q>,
  handler: (ctx: ApiContext<z.output<B>, z.output<Q>>) => Promise<unknown>,
): void {
  const { before = [], ...recorded } = op;
  operations.push({ ...(recorded as Omit<Recorded, 'rateLimited'>), rateLimited: before.some(isRateLimiter) });
  const access = op.access;
  router[op.method](op.path, ...before, async (req: Request, res: Response) => {
    if (access !== 'public') {
      if (!req.user) throw new UnauthenticatedError();
      if (
        access.length > 0 &&
        !access.some((role) => req.user!.roles.includes(role) || req.user!.roles.includes('admin'))
      ) {
        throw new ForbiddenError();
      }
    }
    // An operation that takes no body refuses one with fields, as any other unknown field is refused (API.md): a
    // reason sent to an accept or a decline is not silently dropped.
    const body = op.body ? parseInput(op.body, req.body ?? {}) : void parseInput(noBody, req.body ?? {});
    const query = op.query ? parseQuery(op.query, req.query) : undefined;
    const result = await handler({
      user: req.user!,
      body,
      query,
      params: req.params as Record<string, string>,
      req,
      res,
    } as ApiContext<z.output<B>, z.output<Q>>);
    if (res.headersSent) return;
    const createdId = (result as { id?: unknown } | undefined)?.id;
    if (op.location && typeof createdId === 'string') res.location(`${req.baseUrl}${op.location(createdId)}`);
    if (op.success.status === 204) res.status(204).end();
    else res.status(op.success.status).json(result);
  });
}

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const errorDescriptions: Record<number, string> = {
  400: 'Malformed JSON, or a body or query string that is not UTF-8 (the parameters in `errors`)',
  401: 'Not authenticated, or the bearer token is unknown, expired or revoked',
  403: 'Authenticated but not allowed (or no valid CSRF token with a session cookie)',
  404: 'Unknown, or not visible to you',
  409: 'Conflict',
  413: 'The request body is larger than 1 MB',
  415: 'The request body is in a media type, charset or encoding the server does not read (send application/json)',
  422: 'Valid JSON that breaks a rule; field errors in `errors`',
  429: 'Rate-limited; see Retry-After',
};

/** An id in a body or query (objectId's pattern in the JSON schema) names something looked up: it may be unknown. */
const namesAnId = (schema: ZodType | undefined): boolean =>
  schema !== undefined && JSON.stringify(jsonSchema(schema, 'input')).includes('[0-9a-f]{24}');

/**
 * The error statuses an operation can answer, derived from how it is declared and from the pipeline every /api/v1
 * request goes through (server/app.ts), plus the domain outcomes the declaration lists in `errors`.
 */
export function errorStatuses(op: Recorded): number[] {
  const statuses = new Set<number>(op.errors ?? []);
  // Every /api/ request has its bearer token read (server/auth.ts), public operations too: a bad one is a 401.
  statuses.add(401);
  // Every request's query string is read as UTF-8 (server/http/utf8.ts).
  statuses.add(400);
  // The body parsers run for these methods only (server/http/bodies.ts): too large, unreadable charset (and bad JSON
  // or text not UTF-8, the 400 above).
  if (bodyMethods.has(op.method.toUpperCase())) [413, 415].forEach((s) => statuses.add(s));
  // A body's fields break a rule, or are sent to an operation that takes none.
  if (op.body || op.query || bodyMethods.has(op.method.toUpperCase())) statuses.add(422);
  // Role guard or a policy in the domain; and on unsafe methods a session cookie without the CSRF header.
  if (op.access !== 'public' || op.method !== 'get') statuses.add(403);
  if (op.path.includes(':') || namesAnId(op.body) || namesAnId(op.query)) statuses.add(404);
  if (op.rateLimited) statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}

function jsonSchema(schema: ZodType, io: 'input' | 'output') {
  return z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    // zod leaves out the default of a value read through a transform (a query's `limit`, parsed from its digits).
    override: ({ zodSchema, jsonSchema: json }) => {
      const def = zodSchema._zod.def;
      if (def.type !== 'default' || json.default !== undefined) return;
      const value: unknown = (def as { defaultValue?: unknown }).defaultValue;
      if (['string', 'number', 'boolean'].includes(typeof value)) json.default = value;
    },
  });
}

/** An operation's path as a pattern: each `:param` is one path segment. */
const patternOf = (template: string): RegExp =>
  new RegExp(
    `^${template
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}/?$`,
  );

/**
 * After every declared operation: a request for an address that exists, with a method it does not answer, is a 405
 * with the methods it does answer in `Allow` (GET implies HEAD), rather than the 404 of an address that does not
 * exist. Anything else goes on to the 404.
 */
export function methodNotAllowed(req: Request, res: Response, next: NextFunction): void {
  const allowed = new Set<string>();
  for (const op of operations)
    if ((op.pattern ??= patternOf(op.path)).test(req.path)) allowed.add(op.method.toUpperCase());
  if (!allowed.size) return next();
  if (allowed.has('GET')) allowed.add('HEAD');
  const allow = [...allowed].sort();
  res.set('Allow', allow.join(', '));
  next(new MethodNotAllowedError(allow));
}

/** The OpenAPI 3.1 document for every declared operation. */
export function openApiDocument(baseUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = op.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters = [...op.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (op.query) {
      const qs = jsonSchema(op.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(qs.properties ?? {})) {
        parameters.push({ name, in: 'query', required: qs.required?.includes(name) ?? false, schema } as never);
      }
    }
    if (op.idempotent)
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Any 8–100 of A-Z a-z 0-9 . : - _ (a UUID fits). Sent again with the same key and the same body (its fields in any order), the create is answered with the first one’s record; with the same key and a different body, 422 (application/problem+json) and nothing is written.',
        schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,100}$' },
      } as never);
    const responses: Record<string, unknown> = {
      [op.success.status]: {
        description: op.success.description,
        ...(op.location
          ? {
              headers: {
                Location: {
                  description: `Where the record made can be read: ${op.location('{id}')}`,
                  schema: { type: 'string' },
                },
              },
            }
          : {}),
        ...(op.success.schema
          ? {
              content: {
                [op.success.contentType ?? 'application/json']: { schema: jsonSchema(op.success.schema, 'output') },
              },
            }
          : op.success.contentType
            ? { content: { [op.success.contentType]: { schema: { type: 'string' } } } }
            : {}),
      },
    };
    for (const status of errorStatuses(op)) {
      responses[status] = {
        description: errorDescriptions[status] ?? 'Error',
        content: { 'application/problem+json': { schema: problemSchema } },
      };
    }
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary,
      tags: [op.tag],
      operationId: `${op.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      security: op.access === 'public' ? [] : [{ bearerAuth: [] }, { cookieAuth: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pathways API',
      version: '1.0.0',
      description: 'The Pathways JSON API (see shared/API.md for the contract).',
    },
    servers: [{ url: `${baseUrl}/api/v1` }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'A personal API token from POST /auth/tokens' },
        cookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: 'pathways.sid',
          description: 'The web session; unsafe methods also need the X-CSRF-Token header',
        },
      },
    },
    paths,
  };
}
