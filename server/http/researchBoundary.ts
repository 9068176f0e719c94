import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../errors.ts';
import { isHeldToResearchBoundary, researcherMayReach } from '../policies/research.ts';

/**
 * Researchers see aggregates and anonymised exports only: every request of a researcher account is checked against
 * the allow-list in server/policies/research.ts before any route runs, so a page or operation about people that a
 * route's own guard would let through (any signed-in user) still answers 403. Mounted before every router but her own
 * account's (OwnAccountRouters in routes/index.ts), which she uses as anyone does.
 */
export function researchBoundary(req: Request, _res: Response, next: NextFunction): void {
  if (isHeldToResearchBoundary(req.user) && !researcherMayReach(req.method, req.path)) throw new ForbiddenError();
  next();
}
