import type { Scenario } from './index.ts';

/** Issue 14: a network's page with its first page of posts (about 86 posts a network at 10,000 people), and the API list. */
export const networkScenarios: Scenario[] = [
  {
    name: 'network-posts',
    area: 'networks',
    page: true,
    description: "a network's page: details, leads, the first 20 posts (about 570 members), as a member",
    target: (data) => ({
      path: `/networks/${String(data.extra.benchNetworkId)}`,
      as: 'participant',
      expect: (body) => (body.includes('Story ') ? undefined : 'no post on the page'),
    }),
  },
  {
    name: 'network-posts-api',
    area: 'networks',
    page: false,
    description: 'GET /api/v1/networks/:id/posts, first 50 posts (API token of a member)',
    target: (data) => ({
      path: `/api/v1/networks/${String(data.extra.benchNetworkId)}/posts`,
      as: 'participant',
      via: 'token',
    }),
  },
];
