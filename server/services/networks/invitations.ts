import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { NetworkModel } from '../../../models/Network.ts';
import { absoluteUrl } from '../../settings.ts';
import { planNotifications, registerNotificationKind } from '../reminders/index.ts';
import type { NetworkMembership } from '../../../models/NetworkMembership.ts';
import { membershipOf } from './members.ts';

/**
 * Why she is not invited to this network, or null to invite her: she is in it already, or a lead or admin removed
 * her (she may only ask again, README: a removal is not undone by one click, so an invitation would be one).
 */
function noInvitation(membership: NetworkMembership | null): string | null {
  if (membership?.status === 'member') return 'She has joined already.';
  if (membership?.status === 'removed' && membership.leftBy !== 'self') return 'A lead or admin removed her.';
  return null;
}

/**
 * A cohort linked to networks (`Network.linkedCohortIds`) invites its graduates: when she completes the programme
 * (a certificate is issued for that cohort), each linked network she is not yet in sends her one invitation through
 * the reminders pipeline (unique key per network and person: never twice). A network that removed her does not.
 */
export async function inviteGraduate(props: { certificateId: string | Types.ObjectId; now?: Date }): Promise<number> {
  const certificate = await CertificateModel.findById(props.certificateId).select({ userId: 1, cohortId: 1 }).lean();
  if (!certificate) return 0;
  const networks = await NetworkModel.find({ linkedCohortIds: certificate.cohortId }).select({ name: 1 }).lean();
  const plans = [];
  for (const network of networks) {
    if (noInvitation(await membershipOf(network._id, certificate.userId))) continue;
    plans.push({
      key: `network-invitation:${String(network._id)}:${String(certificate.userId)}`,
      userId: certificate.userId,
      kind: 'network-invitation' as const,
      about: { type: 'network' as const, id: network._id },
      sendAt: props.now ?? new Date(),
      subject: `You are invited to join ${network.name}`,
      template: 'network-invitation',
      data: { networkName: network.name, networkUrl: absoluteUrl(`/networks/${String(network._id)}`) },
    });
  }
  await planNotifications(plans);
  return plans.length;
}

registerNotificationKind('network-invitation', {
  isStillRelevant: async ({ record }) => noInvitation(await membershipOf(record.about.id, record.userId)) ?? true,
});
