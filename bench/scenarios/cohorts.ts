import type { Scenario } from './index.ts';

const statuses = ['present', 'late', 'excused', 'absent'] as const;

/** A register of these people, each row's status `shift` places on from the first body's (so every row changes). */
const registerOf = (userIds: readonly string[], shift: number) => ({
  records: userIds.map((userId, n) => ({
    userId,
    status: statuses[(n + shift) % statuses.length],
    ...(n % 10 === 4 ? { note: 'Told us in advance' } : {}),
  })),
});

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
    description:
      'PUT /api/v1/sessions/:id/attendance with 30 records, each save changing every mark (API token of the facilitator), two at a time',
    connections: 2,
    target: (data) => ({
      path: `/api/v1/sessions/${data.benchSessionId}/attendance`,
      method: 'PUT',
      as: 'facilitator',
      via: 'token',
      body: registerOf(data.benchParticipantIds, 0),
      // Each save changes every mark: sent again unchanged, a register writes nothing (API.md: the PUT is idempotent).
      moreBodies: [1, 2, 3].map((shift) => registerOf(data.benchParticipantIds, shift)),
    }),
  },
];
