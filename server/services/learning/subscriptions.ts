import { onDomainEvent } from '../../events.ts';
import { refreshEnrolment } from './records.ts';

/** Learning's progress records follow enrolments made by the cohorts area. */
onDomainEvent('enrolment.activated', async ({ userId, cohortId }) => refreshEnrolment({ userId: String(userId), cohortId: String(cohortId) }));
onDomainEvent('enrolment.withdrawn', async ({ userId, cohortId }) => refreshEnrolment({ userId: String(userId), cohortId: String(cohortId) }));
