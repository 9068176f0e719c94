import { Router, type Express } from 'express';
import { methodNotAllowed } from '../server/http/api.ts';
import { registerAccountRoutes } from './account.ts';
import { registerAccountManagementRoutes } from './accountManagement.ts';
import { registerAccountSecurityRoutes } from './accountSecurity.ts';
import { registerAuditRoutes } from './audit.ts';
import { registerAuthRoutes } from './auth.ts';
import { registerBoardRoutes } from './boards.ts';
import { registerCertificateRoutes } from './certificates.ts';
import { registerCohortRoutes } from './cohorts.ts';
import { registerModuleDueDateRoutes } from './moduleDueDates.ts';
import { registerDashboardRoutes } from './dashboard.ts';
import { registerDirectoryRoutes } from './directory.ts';
import { registerHealthRoutes } from './health.ts';
import { registerMentoringRoutes } from './mentoring.ts';
import { registerMentorshipRoutes } from './mentorships.ts';

import { registerLtiRoutes } from './lti.ts';

import { registerMeetingTimeRoutes } from './meetingTimes.ts';
import { registerModuleRoutes } from './modules.ts';
import { registerNetworkRoutes } from './networks.ts';
import { registerNetworkEventRoutes } from './networkEvents.ts';
import { registerNotificationRoutes } from './notifications.ts';
import { registerOpenApiRoutes } from './openapi.ts';
import { registerOutboxRoutes } from './outbox.ts';
import { registerRoundRoutes } from './rounds.ts';
import { registerPledgeRoutes } from './pledge.ts';
import { registerProgrammeRoutes } from './programmes.ts';
import { registerProgressRoutes } from './progress.ts';
import { registerSessionRoutes } from './sessions.ts';
import { registerUserRoutes } from './users.ts';
import { registerResearchRoutes } from './research.ts';
import { registerPoolRoutes } from './pool.ts';
import { researchBoundary } from '../server/http/researchBoundary.ts';

/**
 * The signed-in person's own account: signing in and out, "Stay signed in", her details, security (password, email,
 * sessions, two-step sign-in, API tokens), notification settings and the links that stop her emails, research consent,
 * her data and its erasure, and the emailed links that set a password. Every route here acts on her alone and shows
 * nobody else, so it is mounted before the researcher boundary: a researcher uses her account as anyone does.
 */
export type OwnAccountRouters = { web: Router; api: Router };

/**
 * Every door into the app, one resource file each. Each file registers its web pages on `web` and its
 * JSON operations on `api` (mounted at /api/v1), side by side; the routes of her own account go on `own`'s.
 */
const resources: ((web: Router, api: Router, own: OwnAccountRouters) => void)[] = [
  registerHealthRoutes,
  registerAuthRoutes,
  registerDashboardRoutes,
  registerUserRoutes,
  registerAccountRoutes,
  registerAccountManagementRoutes,
  registerOutboxRoutes,
  registerCohortRoutes,
  registerModuleDueDateRoutes,
  registerSessionRoutes,
  registerPledgeRoutes,
  registerProgrammeRoutes,
  registerModuleRoutes,
  registerProgressRoutes,
  registerCertificateRoutes,
  registerBoardRoutes,
  registerRoundRoutes,
  registerNotificationRoutes,
  registerMentoringRoutes,
  registerMentorshipRoutes,
  registerNetworkRoutes,
  registerAccountSecurityRoutes,
  registerAuditRoutes,
  registerLtiRoutes,
  registerMeetingTimeRoutes,
  registerDirectoryRoutes,
  registerNetworkEventRoutes,
  registerOpenApiRoutes,
  registerResearchRoutes,
  registerPoolRoutes,
];

export function mountRoutes(app: Express): void {
  const web = Router();
  const api = Router();
  const own: OwnAccountRouters = { web: Router(), api: Router() };
  for (const register of resources) register(web, api, own);
  // After every operation: a known address asked with another method is a 405 with `Allow`, not a 404.
  api.use(methodNotAllowed);
  app.use('/api/v1', own.api);
  app.use(own.web);
  // Researchers: deny by default, before any other route (server/policies/research.ts).
  app.use(researchBoundary);
  app.use('/api/v1', api);
  app.use(web);
}
