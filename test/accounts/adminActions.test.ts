import { expect } from 'chai';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { UserModel } from '../../models/User.ts';
import { recordExternalCertificate } from '../../server/services/boards/externalCertificates.ts';
import { enrolParticipant, withdrawParticipant } from '../../server/services/cohorts/enrolment.ts';
import { currentUserOf } from '../../server/services/users.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, type TestUser } from '../support/factories.ts';

const actorOf = async (user: TestUser): Promise<Express.User> =>
  currentUserOf((await UserModel.findById(user.id).lean())!) as Express.User;

describe('audit: an admin acting on another person’s records', () => {
  useTestDatabase();

  it('when an admin enrols and withdraws a participant, both are in the trail with her as the target', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const priya = await buildUser({ roles: ['participant'] });
    const cohort = await buildCohort({ name: 'Aspiring heads, spring' });
    await enrolParticipant({ actor: await actorOf(admin), cohortId: String(cohort._id), userId: priya.id });
    await withdrawParticipant({ actor: await actorOf(admin), cohortId: String(cohort._id), userId: priya.id });
    const events = await AuditEventModel.find({ targetId: priya.id }).sort({ at: 1 }).lean();
    expect(events.map((e) => [e.action, String(e.actorId), e.detail])).to.deep.equal([
      ['enrolment-added', admin.id, 'Aspiring heads, spring: active'],
      ['enrolment-withdrawn', admin.id, 'Aspiring heads, spring'],
    ]);
  });

  it('when the cohort’s facilitator or the system enrols her, nothing is audited (their ordinary work)', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const priya = await buildUser({ roles: ['participant'] });
    const other = await buildUser({ roles: ['participant'] });
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    await enrolParticipant({ actor: await actorOf(facilitator), cohortId: String(cohort._id), userId: priya.id });
    await enrolParticipant({ actor: 'system', cohortId: String(cohort._id), userId: other.id });
    expect(await AuditEventModel.countDocuments({ targetId: { $in: [priya.id, other.id] } })).to.equal(0);
  });

  it('when an admin records a governor’s training certificate, the trail names her and the dates', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const governor = await buildUser({ roles: ['governor'] });
    await recordExternalCertificate({
      actor: await actorOf(admin),
      userId: governor.id,
      provider: 'Safer Recruitment Consortium',
      completedOn: '2026-10-01',
      expiresOn: '2028-10-01',
      now: new Date('2026-12-02T10:00:00Z'),
    });
    const event = await AuditEventModel.findOne({ targetId: governor.id }).lean();
    expect(event).to.include({ action: 'external-certificate-recorded', actorName: admin.name });
    expect(event!.detail).to.equal('Safer Recruitment Consortium, completed 2026-10-01, expires 2028-10-01');
  });
});
