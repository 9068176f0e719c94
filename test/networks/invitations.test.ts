import { expect } from 'chai';
import { Types } from 'mongoose';
import { CertificateModel } from '../../models/Certificate.ts';
import { NetworkModel } from '../../models/Network.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { emitDomainEvent } from '../../server/events.ts';
import { admitMember } from '../../server/services/networks/index.ts';
import '../../server/subscriptions.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

describe('networks: a linked cohort invites its graduates', () => {
  useTestDatabase();

  it('when she completes the programme, each linked network she is not in invites her once', async () => {
    const cohortId = new Types.ObjectId();
    const graduate = await buildUser();
    const linked = await buildNetwork({ name: 'Graduates of Leading Women to Headship' });
    const already = await buildNetwork({ name: 'Already hers' });
    const unlinked = await buildNetwork({ name: 'Unlinked' });
    await NetworkModel.updateMany({ _id: { $in: [linked.id, already.id] } }, { $set: { linkedCohortIds: [cohortId] } });
    await admitMember({ networkId: new Types.ObjectId(already.id), userId: new Types.ObjectId(graduate.id) });
    const certificate = await CertificateModel.create({
      userId: graduate.id,
      programmeId: new Types.ObjectId(),
      cohortId,
      track: 'aspiring-leader',
      holderName: graduate.name,
      programmeTitle: 'Leading Women to Headship',
      issuedAt: new Date(),
      verificationCode: `code-${String(cohortId)}`,
    });
    await emitDomainEvent('certificate.issued', { certificateId: certificate._id, userId: graduate.id });
    await emitDomainEvent('certificate.issued', { certificateId: certificate._id, userId: graduate.id });
    const invitations = await NotificationModel.find({ kind: 'network-invitation', userId: graduate.id }).lean();
    expect(invitations.map((n) => n.about?.id)).to.deep.equal([linked.id]);
    expect(invitations[0]!.data).to.include({ networkName: linked.name });
    void unlinked;
  });
});
