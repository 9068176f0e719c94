import { onDomainEvent } from '../../events.ts';
import { issueCertificatesDueInCohort, issueCertificatesNowDue } from './certificates.ts';
import { showProgressOfCohort } from './enrolmentProgress.ts';
import { loadProgramme } from './programmes.ts';

/**
 * A cohort moved to another programme: each enrolment's progress copy is written again, so her home page counts the
 * new programme's modules and shows no certificate of the old one as this one's. Moved (back) to a programme she had
 * already finished in it, she gets its certificate now: no completion of hers is left to issue it.
 */
onDomainEvent('cohort.moved', async ({ cohortId }) => {
  await showProgressOfCohort(cohortId);
  await issueCertificatesDueInCohort({ cohortId, now: new Date() });
});

/** A module archived may have been the last one someone had left: her certificate is issued now. */
onDomainEvent('module.archived', async ({ programmeId }) => {
  await issueCertificatesNowDue({ programme: await loadProgramme(programmeId), now: new Date() });
});

/**
 * Back in the cohort (re-enrolled, or promoted from its waitlist): what she had left may have been archived while she
 * was away, when only active enrolments were looked at; her certificate is issued now.
 */
onDomainEvent('enrolment.activated', async ({ cohortId, userId }) => {
  await issueCertificatesDueInCohort({ cohortId, userId, now: new Date() });
});
