import { notificationKinds, type NotificationKind } from '../../../models/Notification.ts';

type KindInfo = {
  label: string;
  hint: string;
  security?: boolean;
  urgent?: boolean;
  /** Sent on a day of its own (a weekly digest), which a daily digest neither holds nor hurries. */
  ownDay?: boolean;
  /**
   * Why one still unsent at its `eventAt` is skipped, where that instant is not the start of an event (a weekly
   * digest's day is over, a link has expired): admins read it on the notification. Default: `eventStarted`.
   */
  late?: string;
  /** Why one is skipped when a later one of its series is due too. Default: `laterReminder`. */
  replaced?: string;
};

const eventStarted = 'The event had already started.';
const laterReminder = 'A later reminder for the same event replaced it.';
const weeklyDigest = {
  ownDay: true,
  late: 'It was more than a day late: a weekly digest is not sent that late, and the next one follows.',
  replaced: 'A later weekly digest replaced it.',
};

/**
 * What each kind of notification is, in the words shown on the preferences page, and how it may be delivered.
 * Security emails (invitation, password reset) can never be turned off and never wait in a daily digest;
 * urgent ones (about a session soon) never wait either.
 */
export const kindInfo: Record<NotificationKind, KindInfo> = {
  'session-reminder': {
    label: 'Session reminders',
    hint: 'Before each live session of your cohorts (by default a day and an hour before).',
    urgent: true,
  },
  'session-changed': {
    label: 'Session changes',
    hint: 'When a session you attend moves to another time or place.',
    urgent: true,
  },
  'session-cancelled': {
    label: 'Session cancellations',
    hint: 'When a session you attend is cancelled.',
    urgent: true,
  },
  'module-due': {
    label: 'Module due soon',
    hint: 'Three days before a module is due, when you have not finished it.',
    late: 'The module’s due date had passed.',
  },
  'module-overdue': {
    label: 'Module overdue',
    hint: 'The day after a module was due, when you have not finished it.',
    late: 'It was more than two days late: an overdue notice is not sent that late.',
  },
  'facilitator-digest': {
    label: 'Weekly cohort digest (facilitators)',
    hint: 'Attendance of the week, who is behind and who is flagged, on your chosen weekday at 08:00.',
    ...weeklyDigest,
  },
  'waitlist-promoted': {
    label: 'Place offered from a waiting list',
    hint: 'When a place in a cohort becomes yours.',
  },
  invitation: {
    label: 'Invitations',
    hint: 'Needed to set up your account.',
    security: true,
    late: 'The link it carried had expired.',
  },
  'password-reset': {
    label: 'Password reset links',
    hint: 'Needed to reset your password.',
    security: true,
    late: 'The link it carried had expired.',
  },
  'email-change': {
    label: 'New address links',
    hint: 'Needed to confirm a new email address for your account.',
    security: true,
    late: 'The link it carried had expired.',
  },
  'certificate-expiring': {
    label: 'Certificate expiry',
    hint: 'Thirty days before a certificate expires.',
    late: 'The certificate had already expired.',
  },
  'panel-training-due': {
    label: 'Interview panel training',
    hint: 'When your governing-board training must be completed before an interview.',
    late: 'The interviews had begun.',
  },
  'panel-not-ready': {
    label: 'Panel not ready (chairs)',
    hint: 'When members of an interview panel are not yet trained.',
    urgent: true,
    late: 'The interviews had begun.',
  },
  'survey-invitation': {
    label: 'Research surveys',
    hint: 'A short survey at the start and end of a programme, and 6 and 12 months after.',
    late: 'The survey’s time for answers had closed.',
  },
  'pool-offer': {
    label: 'Pool requests offered to you',
    hint: 'When an organisation’s request for a speaker, facilitator or researcher is offered to you.',
  },
  'mentoring-request': {
    label: 'Mentoring requests (mentors)',
    hint: 'When a woman asks you to mentor her.',
    late: 'The request had expired.',
  },
  'mentoring-request-reminder': {
    label: 'Unanswered mentoring requests (mentors)',
    hint: 'Seven days after a request, when you have not answered it yet.',
    late: 'The request had expired.',
  },
  'mentoring-request-expired': {
    label: 'Expired mentoring requests',
    hint: 'When a request you sent expires unanswered after 14 days.',
  },
  'mentoring-request-answered': {
    label: 'Answers to your mentoring requests',
    hint: 'When a mentor you asked accepts or declines your request.',
  },
  'mentoring-request-on-her-behalf': {
    label: 'Mentoring requests sent for you',
    hint: 'When the programme team’s mentor assignment asks a mentor on your behalf.',
  },
  'mentoring-meeting-due': {
    label: 'Mentoring meeting rhythm',
    hint: 'When no meeting has been logged for a while longer than your agreed rhythm.',
  },
  'mentorship-ending': {
    label: 'Mentorship ending',
    hint: 'Fourteen days before the end date of your mentoring agreement.',
    late: 'The mentorship had ended.',
  },
  'mentorship-closed': {
    label: 'Mentorship closed',
    hint: 'When your mentor or mentee closes your mentorship, with the reason she gave.',
  },
  'mentoring-outcomes-prompt': {
    label: 'Recording your outcomes',
    hint: 'Six months after a mentorship closes, a prompt to record what came of it.',
  },
  'network-invitation': {
    label: 'Network invitations',
    hint: 'When you complete a programme whose cohort is linked to a network.',
  },
  'network-report': {
    label: 'Reported posts (network leads)',
    hint: 'When someone reports a post in a network you lead (admins: in any network).',
  },
  'network-digest': {
    label: 'Weekly network digest',
    hint: 'What is new in your networks, on Monday at 08:00, when something is.',
    ...weeklyDigest,
  },
  'network-join-request': {
    label: 'Requests to join a network you lead (leads)',
    hint: 'When someone asks to join a network you lead, with a link to approve or decline.',
  },
  'network-join-answered': {
    label: 'Answers to your requests to join networks',
    hint: 'When a lead approves or declines your request to join a network.',
  },
  'directory-message': {
    label: 'Messages from the directory',
    hint: 'When someone writes to you through the people directory (you can always read them in Pathways).',
  },
  'network-event-reminder': {
    label: 'Network event reminders',
    hint: 'A day and an hour before a network event you said you are going to.',
    urgent: true,
  },
  'network-event-changed': {
    label: 'Network event changes',
    hint: 'When a network event you said you are going to moves to another time or place.',
    urgent: true,
  },
  'network-event-cancelled': {
    label: 'Network event cancellations',
    hint: 'When a network event you said you are going to is cancelled.',
    urgent: true,
  },
};

/** Why a notification of this kind still unsent at its `eventAt` is skipped. */
export const lateReason = (kind: string): string => kindInfo[kind as NotificationKind]?.late ?? eventStarted;
/** Why a notification of this kind is skipped for a later one of its series. */
export const replacedReason = (kind: string): string => kindInfo[kind as NotificationKind]?.replaced ?? laterReminder;

export const isSecurityKind = (kind: string): boolean => kindInfo[kind as NotificationKind]?.security === true;
/** Kinds that a reader who chose a daily digest receives bundled once a day. */
export const isBundleableKind = (kind: string): boolean => {
  const info = kindInfo[kind as NotificationKind];
  return !!info && !info.security && !info.urgent && !info.ownDay;
};

/**
 * What a daily digest does with each kind, in the order of the preferences page, which names them from here so its
 * words follow every kind added: those it holds until 08:00, those that always come at once, those on their own day.
 */
export const dailyDigestHandling: Readonly<Record<'waits' | 'atOnce' | 'ownDay', readonly NotificationKind[]>> = {
  waits: notificationKinds.filter(isBundleableKind),
  atOnce: notificationKinds.filter((kind) => kindInfo[kind].urgent || kindInfo[kind].security),
  ownDay: notificationKinds.filter((kind) => kindInfo[kind].ownDay),
};

/** The daily digest, in the words of its unsubscribe page (it is a way of delivering kinds, not a kind of its own). */
export const dailyDigestInfo = { label: 'Daily digest' };
