import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../errors.ts';
import { requiresTwoStepSetup } from '../policies/accounts.ts';
import { isApiRequest } from './errorHandler.ts';
import { renderRefusedForm } from './refusedForms.ts';

const setupPaths = new Set(['/account/two-step', '/logout', '/api/v1/me/mfa', '/api/v1/me/mfa/confirm']);

/**
 * MFA_REQUIRED_ROLES: a signed-in person whose role requires two-step sign-in and who has none reaches only the
 * set-up pages and sign-out; pages send her to the set-up (a form sent is refused with her text shown back), the API
 * answers 403 with `mfaSetupRequired`.
 */
export function twoStepSetupGate(req: Request, res: Response, next: NextFunction): void {
  if (!req.user || !requiresTwoStepSetup(req.user) || setupPaths.has(req.path)) return next();
  if (isApiRequest(req)) {
    const refused = new ForbiddenError('Your role requires two-step sign-in: set it up first (POST /api/v1/me/mfa).');
    refused.extensions = { mfaSetupRequired: true };
    throw refused;
  }
  // A form sent as her role came to need it is not turned into a redirect that drops what she typed.
  if (!['GET', 'HEAD'].includes(req.method))
    return renderRefusedForm(req, res, { status: 403, reason: 'twoStepRequired' });
  res.redirect(303, '/account/two-step');
}
