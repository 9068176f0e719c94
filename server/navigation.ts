import type { Role } from '../models/User.ts';

/** The main navigation, one place: each area adds its entry with the roles that see it (admins see all). */
export type NavItem = { href: string; label: string; roles: Role[] };

export const navigation: NavItem[] = [];

// Cohorts, sessions and attendance (issue 4).
navigation.push(
  { href: '/cohorts', label: 'Cohorts', roles: ['facilitator', 'participant'] },
  { href: '/calendar', label: 'Calendar', roles: ['facilitator', 'participant'] },
);

// Learning (issue 3): programmes for everyone signed in; certificates for those who earn them.
navigation.push(
  { href: '/programmes', label: 'Programmes', roles: ['admin', 'facilitator', 'participant', 'governor', 'mentor'] },
  { href: '/certificates', label: 'Certificates', roles: ['participant', 'governor'] },
);

// Governing boards (issue 6): boards and recruitment rounds; safer-recruitment training records.
navigation.push({ href: '/boards', label: 'Boards', roles: ['governor'] });

// Reminders (issue 5): everyone's email settings; admins' notifications (the job queue is linked from there).
navigation.push(
  {
    href: '/account/notifications',
    label: 'Email settings',
    roles: ['admin', 'facilitator', 'participant', 'governor', 'mentor'],
  },
  { href: '/admin/notifications', label: 'Notifications', roles: ['admin'] },
);

// Accounts (issue 13): her data (download, delete the account).
navigation.push({
  href: '/account/data',
  label: 'Your data',
  roles: ['admin', 'facilitator', 'participant', 'governor', 'mentor', 'researcher'],
});

// Coaching and mentoring (issue 12): her suggested mentors; a mentor's profile; the admin's assignment.
navigation.push(
  { href: '/mentoring/suggestions', label: 'Find a mentor', roles: ['participant'] },
  { href: '/mentoring/profile/mentor', label: 'Mentor profile', roles: ['mentor'] },
  { href: '/mentoring/assignments', label: 'Mentor assignment', roles: ['admin'] },
);

// Coaching and mentoring (issue 12): her mentorships and requests; the programme overview for admins.
navigation.push(
  { href: '/mentorships', label: 'Mentorships', roles: ['participant', 'mentor'] },
  { href: '/mentoring/requests', label: 'Mentoring requests', roles: ['mentor'] },
  { href: '/admin/mentoring', label: 'Mentoring overview', roles: ['admin'] },
);

// Networks (issue 14): regional, national and interest networks, their stories and questions.
navigation.push({
  href: '/networks',
  label: 'Networks',
  roles: ['admin', 'facilitator', 'participant', 'governor', 'mentor'],
});

// Accounts (issue 13): two-step sign-in, where she is signed in, password and email.
navigation.push({
  href: '/account/security',
  label: 'Security',
  roles: ['admin', 'facilitator', 'participant', 'governor', 'mentor', 'researcher'],
});
navigation.push({ href: '/admin/audit', label: 'Audit trail', roles: ['admin'] });

// LTI 1.3 (issue 16): admins register the LMS platforms that open Pathways.
navigation.push({ href: '/admin/lti', label: 'LTI platforms', roles: ['admin'] });

// The people directory (issue 14): everyone signed in; admins read reported messages.
navigation.push(
  {
    href: '/directory',
    label: 'Directory',
    roles: ['admin', 'facilitator', 'participant', 'governor', 'mentor'],
  },
  { href: '/admin/directory/reports', label: 'Directory reports', roles: ['admin'] },
);
