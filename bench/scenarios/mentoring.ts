import type { Scenario } from './index.ts';

/**
 * Issue 12: a mentee's suggested mentors among 2,000 mentors and 10,000 mentee profiles (per 10,000 participants),
 * as the page and as the API. The bench participant has a mentee profile (bench/seedAreas.ts).
 */
export const mentoringScenarios: Scenario[] = [
  {
    name: 'mentor-suggestions-page',
    area: 'mentoring',
    page: true,
    description: 'her suggested mentors page (5 best of 2,000 mentors, with reasons in her zone)',
    target: () => ({
      path: '/mentoring/suggestions',
      as: 'participant',
      expect: (body) => (body.includes('out of 100') ? undefined : 'no suggestion on the page'),
    }),
  },
  {
    name: 'mentor-suggestions-api',
    area: 'mentoring',
    page: true,
    description: 'GET /api/v1/me/mentor-suggestions (API token of the mentee)',
    target: () => ({
      path: '/api/v1/me/mentor-suggestions',
      as: 'participant',
      via: 'token',
      expect: (body) => ((JSON.parse(body) as { items: unknown[] }).items.length ? undefined : 'no suggestion'),
    }),
  },
];
