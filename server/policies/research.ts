import { hasRole } from '../auth.ts';

/**
 * Research policies. Researchers see aggregates and anonymised exports only (API.md); the boundary that keeps them
 * from every other page and operation is `researcherMayReach`, applied to every request but those of her own account
 * (routes/index.ts).
 */
export const canSeeResearch = (user: Express.User | undefined): boolean => hasRole(user, 'researcher');
export const canDesignSurveys = canSeeResearch;

/**
 * A researcher account (role `researcher`, not admin) is held to this allow-list: the research pages and
 * operations, the surveys she designs, her pool profile and the public pages. Everything else answers 403 — deny by
 * default, so a route added later is closed to researchers until it is listed here. Her own account (signing in and
 * out, keeping her session, security, settings, her data, the emailed links) is not listed: its routes are mounted
 * before the boundary (OwnAccountRouters in routes/index.ts), so none of them can be forgotten here.
 */
const allowed: { methods: string[]; path: RegExp }[] = [
  { methods: ['GET', 'HEAD'], path: /^\/$/ },
  { methods: ['GET', 'HEAD'], path: /^\/healthz$/ },
  // Research: aggregates, the anonymised export, its data dictionary, surveys (definitions, never answers).
  { methods: ['GET', 'HEAD'], path: /^\/research(\/(impact|data-dictionary|export\.csv))?$/ },
  { methods: ['GET', 'HEAD'], path: /^\/api\/v1\/research\/(impact|export\.csv)$/ },
  { methods: ['GET', 'HEAD', 'POST'], path: /^\/(api\/v1\/)?surveys$/ },
  { methods: ['GET', 'HEAD'], path: /^\/surveys\/new$/ },
  { methods: ['GET', 'HEAD'], path: /^\/api\/v1\/programmes$/ },
  { methods: ['GET', 'HEAD'], path: /^\/api\/v1\/openapi\.json$/ },
  // Her pool profile, and the pool's offers to her.
  { methods: ['GET', 'HEAD', 'POST'], path: /^\/pool\/profile$/ },
  { methods: ['GET', 'HEAD', 'PUT'], path: /^\/api\/v1\/me\/pool-profile$/ },
  { methods: ['POST'], path: /^\/(api\/v1\/)?pool\/offers\/[^/]+\/(accept|decline)$/ },
  // Public pages, open to anyone signed out (so the boundary would protect nothing by closing them): the Pledge and
  // its links, the pool's request form, checking a certificate.
  { methods: ['GET', 'HEAD', 'POST'], path: /^\/pledge(\/[^/]+)*$/ },
  { methods: ['GET', 'HEAD', 'POST'], path: /^\/api\/v1\/pledge\/signatures$/ },
  { methods: ['GET', 'HEAD', 'POST'], path: /^\/pool\/(request(\/thanks)?|requests\/confirm\/[^/]+)$/ },
  { methods: ['POST'], path: /^\/api\/v1\/pool\/requests$/ },
  { methods: ['GET', 'HEAD'], path: /^\/(api\/v1\/)?certificates\/verify(\/[^/]+)?$/ },
];

export function researcherMayReach(method: string, path: string): boolean {
  const m = method.toUpperCase();
  return allowed.some((rule) => rule.methods.includes(m) && rule.path.test(path));
}

/** Whether the boundary applies: a researcher who is not an admin. */
export const isHeldToResearchBoundary = (user: Express.User | undefined): boolean =>
  !!user && user.roles.includes('researcher') && !user.roles.includes('admin');
