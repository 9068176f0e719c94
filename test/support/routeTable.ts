import type { Express } from 'express';
import { Types } from 'mongoose';

type Layer = {
  name?: string;
  rawPath?: string;
  matchers?: ((path: string) => unknown)[];
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
};

/** A route, and whether it is one of her own account's, mounted before the researcher boundary (routes/index.ts). */
export type Route = { method: string; path: string; ownAccount: boolean };

/** Every route of the app, from Express's own router stack: the API routers (mounted at /api/v1) and the web ones. */
export function routeTable(app: Express): Route[] {
  const table: Route[] = [];
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  let ownAccount = true;
  for (const layer of stack) {
    if (layer.name === 'researchBoundary') ownAccount = false;
    if (!layer.handle.stack) continue;
    const prefix = layer.matchers?.[0]?.('/api/v1/probe') ? '/api/v1' : '';
    for (const inner of layer.handle.stack) {
      if (!inner.route) continue;
      for (const method of Object.keys(inner.route.methods)) {
        if (method === '_all') continue;
        table.push({ method: method.toUpperCase(), path: prefix + inner.route.path, ownAccount });
      }
    }
  }
  return table;
}

/** A concrete URL for a route pattern: every parameter `param()` (by default an id that exists nowhere). */
export const concrete = (pattern: string, param: () => string = () => new Types.ObjectId().toHexString()) =>
  pattern
    .replace(/\{[^}]*\}/g, '')
    .replace(/:[A-Za-z_]+/g, () => param())
    .replace(/\*[A-Za-z_]+/g, 'x');
