import type { Scenario } from './index.ts';

const statuses = ['present', 'present', 'present', 'late', 'excused', 'absent'] as const;

/** Issue 4: a session's register (page and PUT of 30 records) and a cohort's attendance report. */
export const cohortScenarios: Scenario[] = [
  {
    name: 'register-page',
    area: 'cohorts',
    page: true,
    description: 'the register of a session of the 30-person cohort, as its facilitator',
    target: (data) => ({ path: `/sessions/${data.benchSessionId}/register`, as: 'facilitator' }),
  },
  {
    name: 'attendance-report',
    area: 'cohorts',
    page: true,
    description: "the cohort's attendance report (per participant counts and rate, chart)",
    target: (data) => ({ path: `/cohorts/${data.benchCohortId}/attendance`, as: 'facilitator' }),
  },
  {
    name: 'register-put',
    area: 'cohorts',
    page: false,
    description: 'PUT /api/v1/sessions/:id/attendance with 30 records (API token of the facilitator), two at a time',
    connections: 2,
    target: (data) => ({
      path: `/api/v1/sessions/${data.benchSessionId}/attendance`,
      method: 'PUT',
      as: 'facilitator',
      via: 'token',
      body: {
        records: data.benchParticipantIds.map((userId, n) => ({
          userId,
          status: statuses[n % statuses.length],
          ...(n % 10 === 4 ? { note: 'Told us in advance' } : {}),
        })),
      },
    }),
  },
];
