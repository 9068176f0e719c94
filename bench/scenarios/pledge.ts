import type { Scenario } from './index.ts';

/** Issue 7: the public signatory list with 20,000 signatures, first page and a filtered page. */
export const pledgeScenarios: Scenario[] = [
  {
    name: 'pledge-list',
    area: 'pledge',
    page: true,
    description: 'the public list of signatories, first page (anonymous)',
    target: () => ({ path: '/pledge/signatories', as: 'anonymous' }),
  },
  {
    name: 'pledge-list-filtered',
    area: 'pledge',
    page: true,
    description: 'the public list filtered by type and region (anonymous)',
    target: () => ({ path: '/pledge/signatories?type=school&region=London', as: 'anonymous' }),
  },
];
