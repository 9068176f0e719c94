import { randomBytes } from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwksCache,
  jwtVerify,
  type JWTPayload,
  type JWKSCacheInput,
} from 'jose';
import { LtiLaunchModel } from '../../../models/LtiLaunch.ts';
import { LtiLoginStateModel } from '../../../models/LtiLoginState.ts';
import { LtiNonceModel } from '../../../models/LtiNonce.ts';
import { LtiPlatformModel, type LtiPlatform } from '../../../models/LtiPlatform.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { DomainError, RateLimitedError } from '../../errors.ts';
import { absoluteUrl } from '../../settings.ts';
import { spendAllowance } from '../rateLimits.ts';
import { claim, messageTypes, type MessageType } from './claims.ts';
import { originsOf } from './platforms.ts';

/** How long a login may take between our redirect to the platform and its form post back. */
export const loginStateLifetimeMs = 10 * 60 * 1000;
/** An id_token older than this is refused even if its `exp` is later (IMS Security Framework: a short-lived token). */
const maxTokenAgeSeconds = 10 * 60;
/** Clock difference tolerated in exp/iat. */
const clockToleranceSeconds = 60;

/**
 * Logins that store a state, per connection (an address; an IPv6 address by its /56), in a fixed 10-minute window
 * (a state's lifetime). Anyone may send logins, and each stores a state for 10 minutes, so without a limit anyone
 * could fill the database. One school's network is one address to us: 600 is a class of 30 (or a school of 60 at
 * once) each opening Pathways 10 to 20 times in 10 minutes, and bounds one address's states at about 1,200 (two
 * windows) of at most ~4 kB.
 */
export const loginAllowance = { limit: 600, windowMs: 10 * 60 * 1000 } as const;

type RefusalStatus = 400 | 401 | 403 | 404 | 429;

/** A refused login or launch: which check failed, said to the person and logged. Never a session. */
export class LaunchRefusedError extends DomainError {
  readonly title = 'This LTI launch was refused';
  constructor(
    readonly status: RefusalStatus,
    readonly check: string,
    message: string,
    /** Where a browser that refused our cookie in the LMS's frame can start this launch again, in a window. */
    readonly newWindowUrl?: string,
    /** With 429: when the limit's window ends (Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

const refuse = (status: RefusalStatus, check: string, message: string, newWindowUrl?: string) =>
  new LaunchRefusedError(status, check, message, newWindowUrl);

const tooManyLogins =
  'Pathways has been opened from your network too many times in the last few minutes. Wait a few minutes, then ' +
  'open it again from your course. If a whole school sees this at once, tell your Pathways administrator.';

/** A value the platform sent, shown on a refusal so its administrator can compare it with the registration. */
const quoted = (value: string) => `“${value.length > 200 ? `${value.slice(0, 200)}…` : value}”`;

const unknownDeployment = (deploymentId: unknown) =>
  refuse(
    403,
    'deployment_id',
    typeof deploymentId === 'string'
      ? `This deployment of Pathways (deployment id ${quoted(deploymentId)}) is not registered for the platform: ` +
          "a Pathways administrator adds it to the platform's deployment ids."
      : 'The launch did not say which deployment of Pathways it is for (deployment_id).',
  );

export type LoginRequest = {
  iss?: string;
  login_hint?: string;
  target_link_uri?: string;
  client_id?: string;
  lti_deployment_id?: string;
  lti_message_hint?: string;
};

/** Cookie that binds a state to the browser it was issued to. */
export const stateCookieName = (state: string) => `lti_state_${state}`;

const loginKeys = [
  'iss',
  'login_hint',
  'target_link_uri',
  'client_id',
  'lti_deployment_id',
  'lti_message_hint',
] as const;
/** Kept only up to this length: anyone may post a login, and a login's row stays small whatever it carried. */
const maxLoginQueryLength = 4000;
/** A target_link_uri is one of our own URLs, which are short: a longer one is refused rather than stored. */
const maxTargetLength = 2000;

/** The login request as a query string, to start it again in a new window (refuseBlockedCookie); none if too long. */
function loginQueryOf(request: LoginRequest): string | undefined {
  const query = new URLSearchParams(
    loginKeys.flatMap((k) => (typeof request[k] === 'string' ? [[k, request[k]] as [string, string]] : [])),
  ).toString();
  return query.length <= maxLoginQueryLength ? query : undefined;
}

/**
 * Third-party-initiated login (LTI Core 1.3 §4.1, OIDC): finds the registered platform, issues a single-use
 * `state` and `nonce`, and answers where to send the browser: the platform's authorisation endpoint.
 */
export async function startLogin(props: {
  request: LoginRequest;
  /** The connection it came from (connectionOf): the key of its rate limit. */
  connection: string;
  now?: Date;
}) {
  const now = props.now ?? new Date();
  const { iss, login_hint: loginHint, target_link_uri: target, client_id: clientId } = props.request;
  if (!iss || typeof iss !== 'string') throw refuse(400, 'iss', 'The login request did not name the platform (iss).');
  if (!loginHint || typeof loginHint !== 'string')
    throw refuse(400, 'login_hint', 'The login request carried no login_hint.');
  if (target !== undefined && (typeof target !== 'string' || !target.startsWith(absoluteUrl('/'))))
    throw refuse(400, 'target_link_uri', 'The target_link_uri does not point to this Pathways.');
  // Its state keeps it (the launch compares it), and anyone may post logins: a row stays small whatever they send.
  if (target !== undefined && target.length > maxTargetLength)
    throw refuse(400, 'target_link_uri', `The target_link_uri is longer than ${maxTargetLength} characters.`);
  const candidates = await LtiPlatformModel.find(
    typeof clientId === 'string' ? { issuer: iss, clientId } : { issuer: iss },
  ).lean<LtiPlatform[]>();
  if (candidates.length !== 1)
    throw refuse(
      404,
      'platform',
      candidates.length
        ? `Several registrations share the issuer ${quoted(iss)}: the login request must name its client_id.`
        : `This platform (issuer ${quoted(iss)}, client id ${typeof clientId === 'string' ? quoted(clientId) : 'not sent'}) ` +
            'is not registered in Pathways. Its registration must have exactly these values.',
    );
  const platform = candidates[0]!;
  const deploymentId = props.request.lti_deployment_id;
  if (typeof deploymentId === 'string' && !platform.deploymentIds.includes(deploymentId))
    throw unknownDeployment(deploymentId);
  try {
    await spendAllowance({ key: `lti-login:${props.connection}`, ...loginAllowance, now, refusal: tooManyLogins });
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    throw new LaunchRefusedError(429, 'rate_limit', error.message, undefined, error.retryAfterSeconds);
  }
  const state = randomBytes(24).toString('base64url');
  const nonce = randomBytes(24).toString('base64url');
  await LtiLoginStateModel.create({
    _id: state,
    nonce,
    platformId: platform._id,
    targetLinkUri: target,
    loginQuery: loginQueryOf(props.request),
    createdAt: now,
    expiresAt: new Date(now.getTime() + loginStateLifetimeMs),
  });
  const url = new URL(platform.authLoginUrl);
  const params: Record<string, string> = {
    scope: 'openid',
    response_type: 'id_token',
    response_mode: 'form_post',
    prompt: 'none',
    client_id: platform.clientId,
    redirect_uri: absoluteUrl('/lti/launch'),
    login_hint: loginHint,
    state,
    nonce,
  };
  if (typeof props.request.lti_message_hint === 'string') params.lti_message_hint = props.request.lti_message_hint;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { redirectUrl: url.toString(), state, maxAgeMs: loginStateLifetimeMs };
}

/**
 * Verifies with the platform's keys, cached in its registration (jose's remote JWKS cache), refreshed on an unknown kid.
 * The cache names the key set URL it was fetched from: once an admin changes the registration's URL (updatePlatform),
 * keys of the old one are never used, by any process, even one that fetched them as the change was saved.
 */
async function verifySignature(platform: LtiPlatform, idToken: string) {
  const stored = platform.jwksCache as (JWKSCacheInput & { url?: string }) | undefined;
  const cache = (stored?.url === platform.jwksUrl ? { uat: stored.uat, jwks: stored.jwks } : {}) as JWKSCacheInput;
  const before = cache.uat;
  const keys = createRemoteJWKSet(new URL(platform.jwksUrl), {
    [jwksCache]: cache,
    timeoutDuration: 5000,
    // An unknown kid refetches at most every 30 s (across processes: the fetch time is stored), as jose's default.
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60 * 1000,
  });
  try {
    return await jwtVerify(idToken, keys, {
      algorithms: ['RS256'],
      issuer: platform.issuer,
      audience: platform.clientId,
      clockTolerance: clockToleranceSeconds,
      maxTokenAge: maxTokenAgeSeconds,
      requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
    });
  } finally {
    // A refetch by this launch is kept for every process: only while the registration still names the URL it came
    // from, and if nobody stored a newer one of that URL meanwhile.
    if (cache.uat !== before && cache.jwks)
      await LtiPlatformModel.updateOne(
        {
          _id: platform._id,
          jwksUrl: platform.jwksUrl,
          $or: [
            { 'jwksCache.uat': { $lt: cache.uat } },
            { jwksCache: null },
            { 'jwksCache.url': { $ne: platform.jwksUrl } },
          ],
        },
        { $set: { jwksCache: { uat: cache.uat, jwks: cache.jwks, url: platform.jwksUrl } } },
      );
  }
}

function explainJoseError(error: unknown): LaunchRefusedError {
  if (error instanceof joseErrors.JWTExpired) return refuse(401, 'exp', 'The id_token has expired (exp).');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const which = error.claim;
    // The signature verified before the claims were checked: these are the platform's own values.
    const sent = (value: unknown) =>
      typeof value === 'string' || Array.isArray(value) ? ` It sent ${quoted([value].flat().join(', '))}.` : '';
    const text: Record<string, string> = {
      iss: `The id_token was issued by another platform (iss).${sent(error.payload.iss)}`,
      aud: `The id_token is meant for another tool (aud is not our client id).${sent(error.payload.aud)}`,
      iat: 'The id_token was issued at an unacceptable time (iat).',
      nbf: 'The id_token is not valid yet (nbf).',
    };
    return refuse(401, which, text[which] ?? `The id_token's ${which} claim is missing or invalid.`);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return refuse(401, 'kid', "The id_token was signed with a key (kid) not in the platform's key set.");
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return refuse(401, 'signature', "The id_token's signature does not verify with the platform's key.");
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return refuse(401, 'alg', 'The id_token must be signed with RS256.');
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid)
    return refuse(401, 'jwks', "The platform's key set could not be read.");
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid)
    return refuse(400, 'id_token', 'The id_token is not a well-formed signed JWT.');
  if (error instanceof joseErrors.JOSEError) return refuse(401, 'jwks', "The platform's key set could not be used.");
  if (error instanceof TypeError) return refuse(401, 'jwks', "The platform's key set could not be fetched.");
  throw error;
}

/**
 * No state cookie came back at all, for a state we issued and still hold: the browser did not keep the cookie our
 * login set, as browsers do inside another site's frame when they block third-party cookies (Safari always). Trying
 * again in the frame fails the same way; the login started again in a window of its own (first-party) keeps it.
 * The state stays unused: this browser could never complete it.
 */
async function refuseBlockedCookie(state: string, now: Date): Promise<void> {
  const login = await LtiLoginStateModel.findById(state, { expiresAt: 1, loginQuery: 1 }).lean();
  if (!login?.loginQuery || login.expiresAt.getTime() < now.getTime()) return;
  throw refuse(
    403,
    'cookie',
    'Your browser blocked the cookie Pathways needs to finish signing you in. This happens when your course shows ' +
      'Pathways inside its own page and the browser blocks cookies there. Open Pathways in a new window; if that ' +
      'does not work, ask your LMS administrator to set Pathways to open in a new window.',
    absoluteUrl(`/lti/login?${login.loginQuery}`),
  );
}

export type VerifiedLaunch = {
  platform: LtiPlatform;
  claims: JWTPayload & Record<string, unknown>;
  messageType: MessageType;
  deploymentId: string;
};

/**
 * The launch (LTI Core 1.3 §5.1, IMS Security Framework §5.1.3): the `state` must be one we issued, not used, to
 * this browser (its cookie); the id_token must be RS256-signed by the platform's key, for our client id (also in
 * an `aud` array, with `azp`), from a registered deployment, in date, with the state's nonce never seen before, for
 * the target_link_uri the login named, and an LTI 1.3.0 resource link or deep-linking request. Anything else is a
 * LaunchRefusedError naming the check.
 * @param browserStates the states whose cookies the browser sent
 */
export async function verifyLaunch(props: {
  idToken: unknown;
  state: unknown;
  /** The platform's OIDC error response (`error`, `error_description`), sent instead of an id_token. */
  error?: unknown;
  errorDescription?: unknown;
  browserStates: ReadonlySet<string>;
  now?: Date;
}): Promise<VerifiedLaunch> {
  const now = props.now ?? new Date();
  if (typeof props.state !== 'string' || !props.state)
    throw refuse(400, 'state', 'The launch carried no state: start it again from your course.');
  if (!props.browserStates.has(props.state)) {
    if (!props.browserStates.size) await refuseBlockedCookie(props.state, now);
    throw refuse(403, 'state', 'The launch state was not issued to this browser: start it again from your course.');
  }
  // Used once, whatever the outcome: a second post of this state finds nothing.
  const login = await LtiLoginStateModel.findOneAndDelete({ _id: props.state }).lean();
  if (!login || login.expiresAt.getTime() < now.getTime())
    throw refuse(403, 'state', 'The launch state is unknown, used or expired: start it again from your course.');
  if (typeof props.error === 'string' && props.error)
    throw refuse(
      400,
      'platform_error',
      `Your LMS did not sign you in to Pathways. It answered ${quoted(props.error)}` +
        (typeof props.errorDescription === 'string' && props.errorDescription
          ? `: ${quoted(props.errorDescription)}.`
          : '.'),
    );
  if (typeof props.idToken !== 'string' || !props.idToken)
    throw refuse(400, 'id_token', 'The launch carried no id_token.');
  try {
    const header = decodeProtectedHeader(props.idToken);
    if (header.alg !== 'RS256') throw refuse(401, 'alg', 'The id_token must be signed with RS256.');
  } catch (error) {
    if (error instanceof LaunchRefusedError) throw error;
    throw refuse(400, 'id_token', 'The id_token is not a well-formed signed JWT.');
  }
  const platform = await LtiPlatformModel.findById(login.platformId).lean<LtiPlatform>();
  if (!platform) throw refuse(404, 'platform', 'This platform is no longer registered in Pathways.');
  let claims: VerifiedLaunch['claims'];
  try {
    claims = (await verifySignature(platform, props.idToken)).payload as VerifiedLaunch['claims'];
  } catch (error) {
    throw explainJoseError(error);
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if ((aud.length > 1 || claims.azp !== undefined) && claims.azp !== platform.clientId)
    throw refuse(401, 'azp', 'The id_token names another authorised party (azp is not our client id).');
  if (typeof claims.nonce !== 'string') throw refuse(401, 'nonce', 'The id_token carried no nonce.');
  try {
    // Kept while a token carrying it could still be accepted: issued at most `clockTolerance` ahead of now and accepted
    // until `maxTokenAge` (plus tolerance) after it. Not from `exp`, which the platform may set absurdly far.
    await LtiNonceModel.create({
      _id: `${platform._id}:${claims.nonce}`,
      expiresAt: new Date(now.getTime() + (maxTokenAgeSeconds + 2 * clockToleranceSeconds) * 1000),
    });
  } catch (error) {
    if (isDuplicateKeyError(error)) throw refuse(401, 'nonce', 'This id_token has been used already (nonce replayed).');
    throw error;
  }
  if (claims.nonce !== login.nonce)
    throw refuse(401, 'nonce', 'The id_token answers another login (its nonce is not the one we sent).');
  const deploymentId = claims[claim.deploymentId];
  if (typeof deploymentId !== 'string' || !platform.deploymentIds.includes(deploymentId))
    throw unknownDeployment(deploymentId);
  const messageType = claims[claim.messageType];
  if (!messageTypes.includes(messageType as MessageType))
    throw refuse(400, 'message_type', 'Pathways takes resource link and deep-linking launches only (message_type).');
  if (claims[claim.version] !== '1.3.0')
    throw refuse(400, 'version', 'Pathways takes LTI version 1.3.0 launches only.');
  // OIDC third-party login: the id_token must be for the address the login named (its target_link_uri), or a
  // login started for one link could carry a launch meant for another.
  const target = claims[claim.targetLinkUri];
  if (typeof login.targetLinkUri === 'string' && target !== login.targetLinkUri)
    throw refuse(
      400,
      'target_link_uri',
      `The launch is for ${typeof target === 'string' ? quoted(target) : 'no address'} (target_link_uri), ` +
        `not for ${quoted(login.targetLinkUri)}, which its login named: start it again from your course.`,
    );
  if (typeof claims.sub !== 'string' || !claims.sub)
    throw refuse(400, 'sub', 'The launch does not say who the person is (sub).');
  if (messageType === 'LtiResourceLinkRequest') {
    const link = claims[claim.resourceLink] as { id?: unknown } | undefined;
    if (typeof link?.id !== 'string') throw refuse(400, 'resource_link', 'The launch carried no resource link id.');
  } else {
    const settings = claims[claim.deepLinkingSettings] as { deep_link_return_url?: unknown } | undefined;
    if (typeof settings?.deep_link_return_url !== 'string')
      throw refuse(400, 'deep_linking_settings', 'The deep-linking request carried no return URL.');
    // The picker's answer is a form posted there: only a web address (not "javascript:", not text) will do.
    if (
      !URL.canParse(settings.deep_link_return_url) ||
      !/^https?:$/.test(new URL(settings.deep_link_return_url).protocol)
    )
      throw refuse(400, 'deep_linking_settings', 'The deep-linking request’s return URL is not a web address.');
  }
  return { platform, claims, messageType: messageType as MessageType, deploymentId };
}

/**
 * The origins that may frame the pages of a session this launch starts: the platform's (issuer, login URL) and the
 * origins of the pages it says it returns to, which are where its course pages are. They differ on Instructure's
 * Canvas: the issuer is canvas.instructure.com, the login URL sso.canvaslms.com, the course (the frame's parent)
 * the school's own domain, which only the launch names. The claims are the platform's, signed by it.
 */
export function frameOriginsOf(launch: VerifiedLaunch): string[] {
  const { platform, claims } = launch;
  const presentation = claims[claim.launchPresentation] as { return_url?: unknown } | undefined;
  const deepLinking = claims[claim.deepLinkingSettings] as { deep_link_return_url?: unknown } | undefined;
  return originsOf([
    platform.authLoginUrl,
    platform.issuer,
    presentation?.return_url,
    deepLinking?.deep_link_return_url,
  ]);
}

/**
 * Days a launch whose person was never linked to an account is kept (the name and email the LMS sent, for an account
 * that already had that email: people.ts). Its link page lasts 30 minutes; like the Pledge's and the pool's
 * unconfirmed details, it is kept a month, then deleted: she never showed the account was hers.
 */
export const unlinkedLaunchDays = 30;

/**
 * Expired login states and nonces, and launches left unlinked for a month (the clean-up job; acknowledged deletes).
 * A launch can be linked only through its 30-minute link, so none older than a month can gain a person meanwhile.
 */
export async function purgeExpiredLaunchRecords(now = new Date()): Promise<number> {
  const states = await LtiLoginStateModel.deleteMany({ expiresAt: { $lt: now } });
  const nonces = await LtiNonceModel.deleteMany({ expiresAt: { $lt: now } });
  const launches = await LtiLaunchModel.deleteMany({
    userId: null,
    launchedAt: { $lt: new Date(now.getTime() - unlinkedLaunchDays * 24 * 60 * 60 * 1000) },
  });
  return states.deletedCount + nonces.deletedCount + launches.deletedCount;
}
