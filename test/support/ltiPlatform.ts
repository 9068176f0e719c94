import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { createApp } from '../../server/app.ts';
import { testConfig } from './app.ts';

/**
 * An LTI 1.3 platform simulated on loopback: its own RSA keys and JWKS, an OIDC authorisation endpoint (the tests
 * read the state and nonce from the tool's redirect to it), a token endpoint that verifies the tool's RFC 7523 client
 * assertion against the tool's published /lti/jwks, a line item score endpoint and an NRPS memberships endpoint.
 */
type Key = { kid: string; privateKey: CryptoKey; publicJwk: Record<string, unknown> };

async function newKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export type Member = { user_id: string; roles: string[]; status?: string; name?: string; email?: string };

export class SimulatedPlatform {
  server!: http.Server;
  base = '';
  clientId = `client-${randomUUID().slice(0, 8)}`;
  deploymentId = 'deployment-1';
  key!: Key;
  /** Signs but is not published in the JWKS. */
  unpublishedKey!: Key;
  toolJwksUrl = '';
  /** While true, the score and token endpoints answer 503. */
  down = false;
  /** How long the score service takes to answer (a slow LMS). */
  scoreDelayMs = 0;
  scores: { lineItem: string; body: Record<string, unknown>; contentType: string }[] = [];
  assertions: JWTPayload[] = [];
  tokenRequests = 0;
  members: Member[] = [];
  /** Members per page of the class list (its Link header names the others, as Canvas does); all on one when unset. */
  membersPageSize?: number;
  /** When set, the class list answers 200 with this HTML instead (a proxy's or a sign-in page). */
  membershipsHtml?: string;
  /** The class-list URLs the tool asked for. */
  membershipRequests: string[] = [];
  /** The class list's Link header gives relative URLs. */
  relativeLinks = false;
  /** When set, the score endpoint refuses every score with this status and an OAuth-style error body. */
  scoreRefusal?: { status: number; error: string; error_description: string };
  /**
   * The `aud` its token endpoint requires of the tool's assertion, when not its token URL (Brightspace requires
   * https://api.brightspace.com/auth/token).
   */
  tokenAudience?: string;
  private tokens = new Set<string>();

  get issuer() {
    return this.base;
  }
  get registration() {
    return {
      name: 'Simulated LMS',
      issuer: this.issuer,
      clientId: this.clientId,
      authLoginUrl: `${this.base}/auth`,
      authTokenUrl: `${this.base}/token`,
      jwksUrl: `${this.base}/jwks`,
      deploymentIds: [this.deploymentId],
    };
  }
  lineItem(id = 'li-1') {
    return `${this.base}/lineitems/${id}/lineitem?type_id=42`;
  }
  membershipsUrl() {
    return `${this.base}/memberships`;
  }
  /** The class list of another course of this platform (`courseMembers`), on one page. */
  courseMembershipsUrl(contextId: string) {
    return `${this.base}/courses/${encodeURIComponent(contextId)}/memberships`;
  }
  /** Members of other courses, by context id (`courseMembershipsUrl`). */
  courseMembers: Record<string, Member[]> = {};

  async start(toolBase: string): Promise<void> {
    this.key = await newKey();
    this.unpublishedKey = await newKey();
    this.toolJwksUrl = `${toolBase}/lti/jwks`;
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Rotates the platform's key: the JWKS publishes the new one only. */
  async rotate(): Promise<void> {
    this.key = await newKey();
  }

  /** A signed id_token: a valid Learner resource link launch unless overridden. */
  async idToken(
    props: {
      nonce: string;
      sub?: string;
      claims?: Record<string, unknown>;
      key?: Key;
      aud?: string | string[];
      expiresIn?: number;
      issuedAt?: number;
      issuer?: string;
    } = { nonce: '' },
  ): Promise<string> {
    const key = props.key ?? this.key;
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      nonce: props.nonce,
      name: 'Lena Learner',
      'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiResourceLinkRequest',
      'https://purl.imsglobal.org/spec/lti/claim/version': '1.3.0',
      'https://purl.imsglobal.org/spec/lti/claim/deployment_id': this.deploymentId,
      'https://purl.imsglobal.org/spec/lti/claim/target_link_uri': this.toolJwksUrl.replace('/jwks', '/launch'),
      'https://purl.imsglobal.org/spec/lti/claim/resource_link': { id: 'rl-1' },
      'https://purl.imsglobal.org/spec/lti/claim/roles': ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
      'https://purl.imsglobal.org/spec/lti/claim/context': { id: 'course-1', title: 'Course 1' },
      ...props.claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(props.issuer ?? this.issuer)
      .setSubject(props.sub ?? 'learner-1')
      .setAudience(props.aud ?? this.clientId)
      .setIssuedAt(props.issuedAt ?? now)
      .setExpirationTime((props.issuedAt ?? now) + (props.expiresIn ?? 300))
      .sign(key.privateKey);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const json = (status: number, value: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'GET' && url.pathname === '/jwks') return json(200, { keys: [this.key.publicJwk] });
    if (url.pathname === '/token' && req.method === 'POST') {
      this.tokenRequests += 1;
      if (this.down) return json(503, { error: 'unavailable' });
      const form = new URLSearchParams(body);
      if (
        form.get('grant_type') !== 'client_credentials' ||
        form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
      )
        return json(400, { error: 'invalid_request' });
      try {
        const { payload } = await jwtVerify(
          form.get('client_assertion') ?? '',
          createRemoteJWKSet(new URL(this.toolJwksUrl)),
          {
            issuer: this.clientId,
            subject: this.clientId,
            audience: this.tokenAudience ?? `${this.base}/token`,
            algorithms: ['RS256'],
          },
        );
        this.assertions.push(payload);
      } catch {
        return json(401, { error: 'invalid_client' });
      }
      const token = randomUUID();
      this.tokens.add(token);
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') });
    }
    const authorised = this.tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    const scoreMatch = /^\/lineitems\/([^/]+)\/lineitem\/scores$/.exec(url.pathname);
    if (scoreMatch && req.method === 'POST') {
      if (this.down) return json(503, { error: 'unavailable' });
      if (!authorised) return json(401, { error: 'unauthorised' });
      if (this.scoreRefusal) {
        const { status, ...error } = this.scoreRefusal;
        return json(status, error);
      }
      if (this.scoreDelayMs) await new Promise((resolve) => setTimeout(resolve, this.scoreDelayMs));
      this.scores.push({
        lineItem: scoreMatch[1]!,
        body: JSON.parse(body) as Record<string, unknown>,
        contentType: String(req.headers['content-type']),
      });
      res.writeHead(204).end();
      return;
    }
    const course = /^\/courses\/([^/]+)\/memberships$/.exec(url.pathname);
    if (course && req.method === 'GET') {
      if (!authorised) return json(401, { error: 'unauthorised' });
      this.membershipRequests.push(url.toString());
      const contextId = decodeURIComponent(course[1]!);
      return json(
        200,
        { id: url.toString(), context: { id: contextId }, members: this.courseMembers[contextId] ?? [] },
        'application/vnd.ims.lti-nrps.v2.membershipcontainer+json',
      );
    }
    if (url.pathname === '/memberships' && req.method === 'GET') {
      if (!authorised) return json(401, { error: 'unauthorised' });
      this.membershipRequests.push(url.toString());
      if (this.membershipsHtml !== undefined) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(this.membershipsHtml);
        return;
      }
      const size = this.membersPageSize ?? Math.max(this.members.length, 1);
      const pages = Math.max(Math.ceil(this.members.length / size), 1);
      const page = Number(url.searchParams.get('page') ?? '1');
      // Relative references, as RFC 8288 allows (resolved against the page's URL), when `relativeLinks` is set.
      const at = (n: number) =>
        `<${this.relativeLinks ? '/memberships' : this.membershipsUrl()}?page=${n}&per_page=${size}>`;
      const links = [`${at(page)}; rel="current"`, `${at(1)}; rel="first"`, `${at(pages)}; rel="last"`];
      if (page < pages) links.splice(1, 0, `${at(page + 1)}; rel="next"`);
      res.setHeader('link', links.join(','));
      return json(
        200,
        {
          id: url.toString(),
          context: { id: 'course-1' },
          members: this.members.slice((page - 1) * size, page * size),
        },
        'application/vnd.ims.lti-nrps.v2.membershipcontainer+json',
      );
    }
    json(404, { error: 'not found' });
  }
}

/** The Pathways app listening on loopback (the platform fetches its /lti/jwks), BASE_URL its own address. */
export async function listeningTool(): Promise<{
  app: Express;
  server: http.Server;
  base: string;
  stop: () => Promise<void>;
}> {
  // The app needs its own address as BASE_URL, known only once the server listens: requests wait for it.
  const holder: { app?: Express } = {};
  const server = http.createServer((req, res) => holder.app!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = createApp(testConfig({ BASE_URL: base }));
  holder.app = app;
  return {
    app,
    server,
    base,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
