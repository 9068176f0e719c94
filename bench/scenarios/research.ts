import type { Scenario } from './index.ts';

/**
 * Issue 15: the impact dashboard, as an admin (researchers see the same page). It aggregates every consenting
 * participant's enrolments, completions, attendance, answers and outcomes in scope, so unlike a cohort's page its
 * work grows with the data: the growth figure says by how much.
 */
export const researchScenarios: Scenario[] = [
  {
    name: 'research-impact',
    area: 'research',
    page: true,
    description: 'the impact dashboard of one programme (all its cohorts, consenting participants only)',
    target: (data) => ({
      path: `/research?programmeId=${String(data.extra.researchProgrammeId ?? data.programmeIds[1])}`,
      as: 'admin',
      expect: (body) => (body.includes('Impact dashboard') ? undefined : 'the dashboard did not render'),
    }),
  },
  {
    name: 'research-impact-all',
    area: 'research',
    page: true,
    description: 'GET /api/v1/research/impact over every programme (admin token)',
    target: () => ({ path: '/api/v1/research/impact', as: 'admin', via: 'token' }),
  },
];
