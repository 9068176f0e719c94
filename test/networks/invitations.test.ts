import { expect } from 'chai';
import { Types } from 'mongoose';
import { CertificateModel } from '../../models/Certificate.ts';
import { NetworkModel } from '../../models/Network.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { emitDomainEvent } from '../../server/events.ts';
import { announceInterruptedCertificates } from '../../server/services/learning/certificates.ts';
import { admitMember, leaveNetwork, removeMember } from '../../server/services/networks/index.ts';
import '../../server/subscriptions.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/** Her certificate of a programme in that cohort, as issuing writes it (`extra`: fields to write differently). */
const certificateOf = (graduate: TestUser, cohortId: Types.ObjectId, extra: Record<string, unknown> = {}) =>
  CertificateModel.create({
    userId: graduate.id,
    programmeId: new Types.ObjectId(),
    cohortId,
    track: 'aspiring-leader',
    holderName: graduate.name,
    programmeTitle: 'Leading Women to Headship',
    issuedAt: new Date(),
    verificationCode: `code-${graduate.id}-${String(cohortId)}`,
    ...extra,
  });

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
    const certificate = await certificateOf(graduate, cohortId);
    await emitDomainEvent('certificate.issued', { certificateId: certificate._id, userId: graduate.id });
    await emitDomainEvent('certificate.issued', { certificateId: certificate._id, userId: graduate.id });
    const invitations = await NotificationModel.find({ kind: 'network-invitation', userId: graduate.id }).lean();
    expect(invitations.map((n) => n.about?.id)).to.deep.equal([linked.id]);
    expect(invitations[0]!.data).to.include({ networkName: linked.name });
    void unlinked;
  });

  it('a certificate whose issuing process stopped before announcing it is announced by the hourly job: she is invited once', async () => {
    const cohortId = new Types.ObjectId();
    const graduate = await buildUser();
    const linked = await buildNetwork({ name: 'Graduates, announced late' });
    await NetworkModel.updateOne({ _id: linked.id }, { $set: { linkedCohortIds: [cohortId] } });
    // Written, as its process left it: still announcing, nothing followed.
    const issuedAt = new Date(Date.now() - 10 * 60_000);
    const certificate = await certificateOf(graduate, cohortId, { issuedAt, announcing: true });
    expect(await announceInterruptedCertificates({ now: new Date(issuedAt.getTime() + 60_000) })).to.equal(0);
    // Two runs at once (two processes), then another: one invitation.
    await Promise.all([announceInterruptedCertificates(), announceInterruptedCertificates()]);
    expect(await announceInterruptedCertificates()).to.equal(0);
    const invitations = await NotificationModel.find({ kind: 'network-invitation', userId: graduate.id }).lean();
    expect(invitations.map((n) => n.about?.id)).to.deep.equal([linked.id]);
    expect((await CertificateModel.findById(certificate._id).lean())!.announcing ?? null).to.equal(null);
  });

  it('a graduate a lead removed from a linked network is not invited back to it; one who left herself is', async () => {
    const actor = (u: TestUser) => ({ id: u.id, name: u.name, roles: [] }) as unknown as Express.User;
    const cohortId = new Types.ObjectId();
    const lead = await buildUser();
    const removed = await buildUser();
    const leaver = await buildUser();
    const network = await buildNetwork({ name: 'Returners' }, { leads: [lead], members: [removed, leaver] });
    await NetworkModel.updateOne({ _id: network.id }, { $set: { linkedCohortIds: [cohortId] } });
    await removeMember({ actor: actor(lead), networkId: network.id, userId: removed.id });
    await leaveNetwork({ actor: actor(leaver), networkId: network.id });
    for (const graduate of [removed, leaver]) {
      const certificate = await certificateOf(graduate, cohortId);
      await emitDomainEvent('certificate.issued', { certificateId: certificate._id, userId: graduate.id });
    }
    const invited = await NotificationModel.find({ kind: 'network-invitation', 'about.id': network.id }).lean();
    expect(invited.map((n) => String(n.userId))).to.deep.equal([leaver.id]);
  });
});
