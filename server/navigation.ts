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

// Networks (issue 14): regional, national and interest networks, their stories and questions.
navigation.push({
  href: '/networks',
  label: 'Networks',
  roles: ['admin', 'facilitator', 'participant', 'governor', 'mentor'],
});

// The people directory (issue 14): everyone signed in; admins read reported messages.
navigation.push(
  {
    href: '/directory',
    label: 'Directory',
    roles: ['admin', 'facilitator', 'participant', 'governor', 'mentor'],
  },
  { href: '/admin/directory/reports', label: 'Directory reports', roles: ['admin'] },
);
