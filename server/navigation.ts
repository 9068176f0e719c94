import type { Role } from '../models/User.ts';

/**
 * The navigation, one place. Each area adds its pages with the roles that see them (admins see all). The main bar
 * holds what people use day to day; her own settings sit on the "Your account" page (`group: 'account'`) and the
 * admin-only pages on the "Administration" page (`group: 'admin'`), so the bar stays short enough to scan and to
 * tab through.
 */
export type NavItem = { href: string; label: string; roles: Role[]; group?: 'account' | 'admin'; hint?: string };

const everyone: Role[] = ['admin', 'facilitator', 'participant', 'governor', 'mentor', 'researcher'];
const members: Role[] = ['admin', 'facilitator', 'participant', 'governor', 'mentor'];

export const navigation: NavItem[] = [];

// Cohorts, sessions and attendance (issue 4). Governors too: their panel's bias training runs in cohorts.
navigation.push(
  { href: '/cohorts', label: 'Cohorts', roles: ['facilitator', 'participant', 'governor'] },
  { href: '/calendar', label: 'Calendar', roles: ['facilitator', 'participant', 'governor'] },
);

// Learning (issue 3): programmes for everyone signed in; certificates for those who earn them.
navigation.push(
  { href: '/programmes', label: 'Programmes', roles: members },
  { href: '/certificates', label: 'Certificates', roles: ['participant', 'governor'] },
);

// Governing boards (issue 6): boards and recruitment rounds; safer-recruitment training records.
navigation.push({ href: '/boards', label: 'Boards', roles: ['governor'] });

// Coaching and mentoring (issue 12): her suggested mentors and mentorships; a mentor's profile and requests.
navigation.push(
  { href: '/mentoring/suggestions', label: 'Find a mentor', roles: ['participant'] },
  { href: '/mentorships', label: 'Mentorships', roles: ['participant', 'mentor'] },
  { href: '/mentoring/requests', label: 'Mentoring requests', roles: ['mentor'] },
  { href: '/mentoring/profile/mentor', label: 'Mentor profile', roles: ['mentor'] },
);

// Networks and the directory (issue 14).
navigation.push(
  { href: '/networks', label: 'Networks', roles: members },
  { href: '/directory', label: 'Directory', roles: members },
);

// The Pledge (issue 7).
navigation.push({ href: '/pledge', label: 'The Pledge', roles: ['participant', 'facilitator', 'governor', 'mentor'] });

// Research and the pool (issue 15).
navigation.push(
  { href: '/research', label: 'Research', roles: ['researcher'] },
  { href: '/surveys', label: 'Surveys', roles: ['researcher', 'participant'] },
  { href: '/pool', label: 'Pool', roles: ['facilitator', 'participant', 'mentor'] },
);

// Her own settings, on the "Your account" page.
navigation.push(
  {
    href: '/account/security',
    label: 'Sign-in and security',
    hint: 'Password, email address, two-step sign-in, and where you are signed in.',
    roles: everyone,
    group: 'account',
  },
  {
    href: '/account/notifications',
    label: 'Email settings',
    hint: 'Which reminders and digests you receive, and when.',
    roles: members,
    group: 'account',
  },
  {
    href: '/account/research',
    label: 'Research consent',
    hint: 'Whether your records may be counted in research on what changes inequity.',
    roles: ['participant', 'governor', 'mentor', 'facilitator'],
    group: 'account',
  },
  {
    href: '/account/data',
    label: 'Your data',
    hint: 'Download everything stored about you, or delete your account.',
    roles: everyone,
    group: 'account',
  },
);

// Administration, on its own page (admins only).
navigation.push(
  { href: '/admin/users', label: 'People', roles: ['admin'], group: 'admin', hint: 'Accounts, roles, invitations.' },
  { href: '/admin/audit', label: 'Audit trail', roles: ['admin'], group: 'admin', hint: 'Who did what, and when.' },
  {
    href: '/admin/notifications',
    label: 'Notifications',
    roles: ['admin'],
    group: 'admin',
    hint: 'Reminders sent, waiting and failed; the job queue.',
  },
  { href: '/admin/outbox', label: 'Outbox', roles: ['admin'], group: 'admin', hint: 'Emails as they were sent.' },
  { href: '/admin/pledge', label: 'Pledge admin', roles: ['admin'], group: 'admin', hint: 'Signatures and hiding.' },
  {
    href: '/admin/mentoring',
    label: 'Mentoring overview',
    roles: ['admin'],
    group: 'admin',
    hint: 'Places, requests, matches and outcomes.',
  },
  {
    href: '/mentoring/assignments',
    label: 'Mentor assignment',
    roles: ['admin'],
    group: 'admin',
    hint: 'Match every unmatched mentee at once.',
  },
  {
    href: '/admin/directory/reports',
    label: 'Directory reports',
    roles: ['admin'],
    group: 'admin',
    hint: 'Messages people reported.',
  },
  { href: '/admin/pool', label: 'Pool requests', roles: ['admin'], group: 'admin', hint: 'Requests for speakers.' },
  {
    href: '/admin/lti',
    label: 'LTI platforms',
    roles: ['admin'],
    group: 'admin',
    hint: 'The LMSs (Moodle, Canvas) that open Pathways.',
  },
);

const sees = (user: { roles: string[] }, item: NavItem) =>
  user.roles.includes('admin') || item.roles.some((role) => user.roles.includes(role));

/** The main bar for a signed-in person: her day-to-day pages, then her account, then (admins) administration. */
export function mainNavigation(user: { roles: string[] }): { href: string; label: string }[] {
  const links = [{ href: '/', label: 'Dashboard' }];
  for (const item of navigation) if (!item.group && sees(user, item)) links.push(item);
  links.push({ href: '/account', label: 'Your account' });
  if (user.roles.includes('admin')) links.push({ href: '/admin', label: 'Administration' });
  return links;
}

/** The pages of one group ("Your account", "Administration") that this person may open. */
export const navigationGroup = (user: { roles: string[] }, group: 'account' | 'admin'): NavItem[] =>
  navigation.filter((item) => item.group === group && sees(user, item));
