import type { Express } from 'express';
import { Types } from 'mongoose';

type Layer = {
  rawPath?: string;
  matchers?: ((path: string) => unknown)[];
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
};

export type Route = { method: string; path: string };

/** Every route of the app, from Express's own router stack: the API router (mounted at /api/v1) and the web one. */
export function routeTable(app: Express): Route[] {
  const table: Route[] = [];
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  for (const layer of stack) {
    if (!layer.handle.stack) continue;
    const prefix = layer.matchers?.[0]?.('/api/v1/probe') ? '/api/v1' : '';
    for (const inner of layer.handle.stack) {
      if (!inner.route) continue;
      for (const method of Object.keys(inner.route.methods)) {
        if (method === '_all') continue;
        table.push({ method: method.toUpperCase(), path: prefix + inner.route.path });
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
