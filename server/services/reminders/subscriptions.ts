import './digests.ts';
import { onDomainEvent } from '../../events.ts';
import { planWaitlistPromotion } from './accounts.ts';
import { cancelNotifications } from './plan.ts';
import { moduleCompleted, planCertificateExpiry, planModuleNudges } from './pacing.ts';
import {
  cancelSessionNotificationsOf,
  planSessionReminders,
  sessionCancelled,
  sessionRescheduled,
} from './sessions.ts';

/** How the reminders area reacts to what other areas announce (wired from server/subscriptions.ts). */
onDomainEvent('session.scheduled', async ({ sessionId }) => {
  await planSessionReminders({ sessionIds: [sessionId] });
});
onDomainEvent('session.rescheduled', async ({ sessionId }) => {
  await sessionRescheduled({ sessionId });
});
onDomainEvent('session.cancelled', async ({ sessionId }) => {
  await sessionCancelled({ sessionId });
});
onDomainEvent('enrolment.activated', async ({ cohortId, userId, promotedFromWaitlist }) => {
  await planSessionReminders({ cohortId, onlyUserId: userId });
  await planModuleNudges({ cohortId, userId });
  if (promotedFromWaitlist) await planWaitlistPromotion({ cohortId, userId });
});
onDomainEvent('enrolment.withdrawn', async ({ cohortId, userId }) => {
  await cancelSessionNotificationsOf({ cohortId, userId });
  for (const kind of ['module-due', 'module-overdue'])
    await cancelNotifications({ keyPrefix: `${kind}:${String(cohortId)}:`, userId });
});
onDomainEvent('cohort.updated', async ({ cohortId }) => {
  await planSessionReminders({ cohortId });
  await planModuleNudges({ cohortId });
});
onDomainEvent('module.completed', async (payload) => {
  await moduleCompleted(payload);
});
onDomainEvent('certificate.issued', async ({ certificateId }) => {
  await planCertificateExpiry({ certificateIds: [certificateId] });
});
