import { pino } from 'pino';

const emailAddress = /[^\s<>"'(),;:@[\]]+@[^\s<>"'(),;:@[\]]+\.[^\s<>"'(),;:@[\]]+/g;

/** Every text in a logged value, however deep, with email addresses replaced. */
function withoutAddresses(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return value.replace(emailAddress, '[email]');
  if (!value || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => withoutAddresses(v, seen));
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withoutAddresses(inner, seen)]));
}

/**
 * An error as logs carry it (pino's standard form), without the email addresses it may quote: a mail server's
 * refusal names the recipient in its message, response and `rejected` list, a duplicate key its `keyValue`.
 */
export const errorForLog = (error: unknown) => withoutAddresses(pino.stdSerializers.err(error as Error));

/**
 * One structured logger for the app. Its level is set from config at start-up (server/index.ts) and
 * silenced by the test hooks; importing this module reads no environment.
 */
export const logger = pino({
  level: 'info',
  redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
  serializers: { err: errorForLog },
});

/**
 * Paths whose last segments are a secret: the emailed single-use links (password reset, invitation, new email,
 * Pledge and pool confirmations, Pledge manage), the calendar feed's token, an unsubscribe link's user and signature,
 * LTI's account-link and deep-linking secrets. Anyone holding a log line could otherwise follow the link.
 * test/server/requestLogs.test.ts checks that every route with a `:token`, `:secret` or `:signature` is listed.
 */
const secretPaths =
  /^(\/password-reset|\/invitations|\/account\/email\/confirm|\/pledge\/confirm|\/pledge\/manage|\/pool\/requests\/confirm|\/calendar|\/unsubscribe|\/lti\/link|\/lti\/deep-link)\/[^?#]+/;

/**
 * The URL as request and error logs carry it: a secret path's segments become `[redacted]`, and every query value
 * too (a people search by email, an outbox filter by address, an LMS's login hint), keeping the names of the keys.
 */
export function urlForLog(url: string): string {
  const [path = '', query] = url.split(/\?(.*)/s, 2);
  const safePath = path.replace(secretPaths, (_whole, prefix: string) => `${prefix}/[redacted]`);
  if (query === undefined) return safePath;
  const keys = query
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0]}=[redacted]`);
  return `${safePath}?${keys.join('&')}`;
}

/**
 * What a request log line says about the request (server/http/requestLog.ts): never headers but the user agent
 * (cookies, an Authorization header, a Referer holding a link's secret), never a body, and the URL through
 * `urlForLog`. The answer's headers are left out too: a redirect's Location can carry a link.
 */
export function requestForLog(req: {
  id?: string;
  method: string;
  originalUrl: string;
  ip?: string;
  headers: Record<string, unknown>;
}) {
  return {
    id: req.id,
    method: req.method,
    url: urlForLog(req.originalUrl),
    remoteAddress: req.ip,
    userAgent: req.headers['user-agent'],
  };
}
