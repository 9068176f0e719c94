import type { Scenario } from './index.ts';

/** Issue 2: the baseline (/healthz, which every ratio divides by), the login form, and a signed-in home page. */
export const foundationScenarios: Scenario[] = [
  {
    name: 'healthz',
    area: 'foundation',
    page: false,
    description: 'GET /healthz (pings the database)',
    target: () => ({ path: '/healthz', as: 'anonymous' }),
  },
  {
    name: 'login-page',
    area: 'foundation',
    page: false,
    description: 'GET /login, anonymous (session + CSRF token)',
    target: () => ({ path: '/login', as: 'anonymous' }),
  },
  {
    name: 'dashboard',
    area: 'foundation',
    page: false,
    description: 'GET / signed in as a participant (all her panels)',
    target: () => ({ path: '/', as: 'participant' }),
  },
  {
    name: 'signed-in-floor',
    area: 'foundation',
    page: false,
    description: 'GET /account signed in (a page with no data of its own: the cost of being signed in)',
    target: () => ({ path: '/account', as: 'participant' }),
  },
];
