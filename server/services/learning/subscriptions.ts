import { onDomainEvent } from '../../events.ts';
import { issueCertificatesNowDue } from './certificates.ts';
import { showProgressOfCohort } from './enrolmentProgress.ts';
import { loadProgramme } from './programmes.ts';

/**
 * A cohort moved to another programme: each enrolment's progress copy is written again, so her home page counts the
 * new programme's modules and shows no certificate of the old one as this one's.
 */
onDomainEvent('cohort.moved', async ({ cohortId }) => {
  await showProgressOfCohort(cohortId);
});

/** A module archived may have been the last one someone had left: her certificate is issued now. */
onDomainEvent('module.archived', async ({ programmeId }) => {
  await issueCertificatesNowDue({ programme: await loadProgramme(programmeId), now: new Date() });
});
