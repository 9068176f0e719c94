/**
 * The networks area's API for routes, jobs and other areas: networks (create, list, leads), membership (join,
 * approve, remove, leave), posts (stories, questions, announcements, replies, reports, hiding) and their reply counts,
 * the weekly digest and the invitation of a linked cohort's graduates. Read-only membership questions for other
 * areas live in ./membership.ts.
 */
export * from './networks.ts';
export * from './members.ts';
export * from './membership.ts';
export * from './posts.ts';
export * from './replyCounts.ts';
export * from './leadsShown.ts';
export * from './authorNames.ts';
export * from './invitations.ts';
