import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { NetworkModel } from '../../../models/Network.ts';
import { absoluteUrl } from '../../settings.ts';
import { planNotifications, registerNotificationKind } from '../reminders/index.ts';
import { membershipOf } from './members.ts';

/**
 * A cohort linked to networks (`Network.linkedCohortIds`) invites its graduates: when she completes the programme
 * (a certificate is issued for that cohort), each linked network she is not yet in sends her one invitation through
 * the reminders pipeline (unique key per network and person: never twice).
 */
export async function inviteGraduate(props: { certificateId: string | Types.ObjectId; now?: Date }): Promise<number> {
  const certificate = await CertificateModel.findById(props.certificateId).select({ userId: 1, cohortId: 1 }).lean();
  if (!certificate) return 0;
  const networks = await NetworkModel.find({ linkedCohortIds: certificate.cohortId }).select({ name: 1 }).lean();
  const plans = [];
  for (const network of networks) {
    if ((await membershipOf(network._id, certificate.userId))?.status === 'member') continue;
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
  isStillRelevant: async ({ record }) =>
    (await membershipOf(record.about.id, record.userId))?.status === 'member' ? 'She has joined already.' : true,
});
