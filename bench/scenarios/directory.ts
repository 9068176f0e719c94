import type { Scenario } from './index.ts';

/**
 * Issue 14: the people directory at 10,000 people in 35 networks, as the bench participant (in two networks) sees
 * it: the first page (everyone-visible profiles plus her co-members' networks-only ones), and a filtered page.
 */
export const directoryScenarios: Scenario[] = [
  {
    name: 'directory-search',
    area: 'networks',
    page: true,
    description: 'the directory, first page of the profiles she may see (participant)',
    target: () => ({
      path: '/directory',
      as: 'participant',
      expect: (body) =>
        (body.match(/href="\/directory\/people\//g) ?? []).length === 20 ? undefined : 'not a full page of 20 people',
    }),
  },
  {
    name: 'directory-search-filtered',
    area: 'networks',
    page: true,
    description: 'the directory filtered by country and topic (participant)',
    target: () => ({ path: '/directory?country=CA&topic=interviews', as: 'participant' }),
  },
];
