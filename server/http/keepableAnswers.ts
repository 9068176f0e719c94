import etag from 'etag';
import type { Response } from 'express';

/**
 * Sends a body that a browser or calendar app may keep (its route sets a Cache-Control that allows it) with an ETag,
 * so a client that asks again with If-None-Match gets 304 and no body. Express's own ETag is off for the app
 * (server/app.ts): every other answer is `no-store` (server/http/privatePages.ts), is never kept, so never
 * revalidated, and hashing it was work for nothing on each page.
 */
export function sendKeepable(res: Response, body: string | Buffer): void {
  res.set('ETag', etag(body, { weak: true })).send(body);
}
