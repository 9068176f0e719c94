import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { LtiPlatform } from '../../../models/LtiPlatform.ts';
import { settings } from '../../settings.ts';
import { signingKey } from './keys.ts';

/** A platform answered something other than success; `retryable` says whether trying later may help. */
export class PlatformCallError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const timeoutMs = 10_000;

/**
 * An access token from the platform's token endpoint (LTI Advantage / IMS Security Framework §4.1): the OAuth 2
 * client_credentials grant with an RFC 7523 client assertion, a short JWT signed with the tool's current key.
 * Not kept between runs: tokens last about an hour and a fresh one costs one request per run.
 */
export async function serviceToken(platform: LtiPlatform, scopes: string[]): Promise<string> {
  const { kid, key } = await signingKey();
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(platform.clientId)
    .setSubject(platform.clientId)
    // The authorisation server, which most platforms name by its token URL (Security Framework 4.1.1: it "MAY" be).
    .setAudience(platform.authTokenAudience || platform.authTokenUrl)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(key);
  const response = await platformFetch(platform.authTokenUrl, {
    // The registered token endpoint's refusal is OAuth's, in the platform's words: an admin fixes the registration by it.
    quoteRefusal: true,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: scopes.join(' '),
    }).toString(),
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: unknown };
  if (typeof body.access_token !== 'string')
    throw new PlatformCallError('the token endpoint sent no access_token', true);
  return body.access_token;
}

/**
 * One call to a platform: network failures, 5xx and 429 may pass; other refusals will not. The class-list and grade
 * addresses come in the launch, not the registration: a class list read back is not quoted to the facilitator who
 * pressed "sync" (a launch naming an address inside the school's network would read its answers out), only its host
 * and status; the token endpoint's and the grade book's refusals are (`quoteRefusal`). In production every call goes
 * over https only, as the token it carries must.
 */
export async function platformFetch(url: string, init: RequestInit & { quoteRefusal?: boolean }): Promise<Response> {
  if (settings.env === 'production' && new URL(url).protocol !== 'https:')
    throw new PlatformCallError(`${new URL(url).host} was named with an address that is not https`, false);
  const { quoteRefusal, ...request } = init;
  let response: Response;
  try {
    response = await fetch(url, { ...request, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new PlatformCallError(`${new URL(url).host} unreachable: ${(error as Error).message}`, true);
  }
  if (!response.ok)
    throw new PlatformCallError(
      `${new URL(url).host} answered ${response.status}${quoteRefusal ? await reasonOf(response) : ''}`,
      response.status >= 500 || response.status === 429 || response.status === 401,
    );
  return response;
}

/** The platform's own words for a refusal (OAuth's error and error_description, or a message), for whoever acts on it. */
async function reasonOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  const words = [body?.error, body?.error_description ?? body?.message].filter(
    (w): w is string => typeof w === 'string' && !!w.trim(),
  );
  return words.length ? ` (${words.join(': ').slice(0, 300)})` : '';
}
