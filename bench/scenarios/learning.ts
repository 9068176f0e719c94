import type { Scenario } from './index.ts';

/** Issue 3: the participant's progress page and a facilitator's progress view of a cohort of 30. */
export const learningScenarios: Scenario[] = [
  {
    name: 'participant-dashboard',
    area: 'learning',
    page: true,
    description:
      'her home page: programmes with progress bars, next module, what is locked (one finished, one running enrolment)',
    target: () => ({ path: '/', as: 'participant' }),
  },
  {
    name: 'facilitator-progress',
    area: 'learning',
    page: true,
    description: "a facilitator's progress view of her cohort of 30 (rows, percent, last activity, SVG chart)",
    target: (data) => ({ path: `/cohorts/${data.benchCohortId}/progress`, as: 'facilitator' }),
  },
];
