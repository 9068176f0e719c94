import { createHmac, timingSafeEqual } from 'node:crypto';
import { absoluteUrl, settings } from '../../settings.ts';

/**
 * One-click unsubscribe links (RFC 8058): /unsubscribe/<userId>/<kind>/<signature>. The HMAC (keyed with the
 * app's signing secret) is the whole authentication, so the link works without signing in and without a CSRF
 * token, and cannot be forged for another person or another kind.
 */
function signature(userId: string, kind: string): string {
  return createHmac('sha256', settings.signingSecret)
    .update(`unsubscribe:${userId}:${kind}`)
    .digest('base64url')
    .slice(0, 32);
}

export function unsubscribePath(userId: string, kind: string): string {
  return `/unsubscribe/${userId}/${kind}/${signature(userId, kind)}`;
}

export const unsubscribeUrl = (userId: string, kind: string): string => absoluteUrl(unsubscribePath(userId, kind));

export function verifyUnsubscribe(userId: string, kind: string, given: string): boolean {
  const expected = Buffer.from(signature(userId, kind));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The headers mail clients use for their own "unsubscribe" button (RFC 2369 and RFC 8058 one-click). */
export function unsubscribeHeaders(userId: string, kind: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(userId, kind)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
