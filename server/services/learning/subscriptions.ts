import { onDomainEvent } from '../../events.ts';
import { issueCertificatesNowDue } from './certificates.ts';
import { loadProgramme } from './programmes.ts';

/** A module archived may have been the last one someone had left: her certificate is issued now. */
onDomainEvent('module.archived', async ({ programmeId }) => {
  await issueCertificatesNowDue({ programme: await loadProgramme(programmeId), now: new Date() });
});
