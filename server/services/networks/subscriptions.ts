import { onDomainEvent } from '../../events.ts';
import { inviteGraduate } from './invitations.ts';

/** A completed programme in a cohort linked to networks invites her to them. */
onDomainEvent('certificate.issued', async ({ certificateId }) => {
  await inviteGraduate({ certificateId });
});
