import { expect } from 'chai';
import { DateTime } from 'luxon';
import { BoardModel } from '../../models/Board.ts';
import { ExternalCertificateModel } from '../../models/ExternalCertificate.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { UserModel } from '../../models/User.ts';
import { NotFoundError, ValidationError } from '../../server/errors.ts';
import {
  addAdviserToPanel,
  addToPanel,
  changeRound,
  closeRound,
  createRound,
  removeFromPanel,
  setBoardMember,
} from '../../server/services/boards/index.ts';
import { recordExternalCertificate } from '../../server/services/boards/externalCertificates.ts';
import { formerMemberName } from '../../server/services/learning/personalData.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { asActor, buildBoard, buildRound } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { erasedAtOnce } from '../support/erasuresAtOnce.ts';
import { buildUser } from '../support/factories.ts';

describe('boards: an erased account cannot be seated', () => {
  useTestDatabase();

  it('a chair adding an erased account to her board by id gets a 422 at userId, as for a disabled one, and the board is unchanged', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const chair = await buildUser({ roles: ['governor'] });
    const erased = await buildUser({ roles: ['governor'], name: 'Gone Governor' });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: erased.id, bySelf: false });
    const board = await buildBoard([{ user: chair, role: 'chair' }]);
    const refused = await setBoardMember({
      actor: asActor(chair),
      boardId: board.id,
      userId: erased.id,
      role: 'governor',
    }).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(ValidationError);
    expect((refused as ValidationError).errors.map((e) => e.path)).to.deep.equal(['userId']);
    const members = (await BoardModel.findById(board.id).lean())!.members.map((m) => String(m.userId));
    expect(members).to.deep.equal([chair.id]);
  });

  const inDays = (days: number) => DateTime.now().setZone('Europe/London').plus({ days }).toISODate()!;
  const pathsOf = (error: unknown) => {
    expect(error).to.be.instanceOf(ValidationError);
    return (error as ValidationError).errors.map((e) => e.path);
  };

  it('a chair putting an erased or a disabled board member on a round’s panel gets a 422 at that panel entry, on creation, change and add, and the round is unchanged', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const chair = await buildUser({ roles: ['governor'] });
    const gone = await buildUser({ roles: ['governor'], name: 'Erased Panellist' });
    const off = await buildUser({ roles: ['governor'], name: 'Disabled Panellist' });
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: gone, role: 'governor' },
      { user: off, role: 'governor' },
    ]);
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: gone.id, bySelf: false });
    await UserModel.updateOne({ _id: off.id }, { $set: { status: 'disabled' } });
    const actor = asActor(chair);

    const created = await createRound({
      actor,
      boardId: board.id,
      input: { title: 'Head 2027', interviewDates: [inDays(30)] },
      panel: [chair.id, gone.id, off.id],
    }).catch((error: unknown) => error);
    expect(pathsOf(created)).to.deep.equal(['panel.1', 'panel.2']);
    expect(await RecruitmentRoundModel.countDocuments({ boardId: board.id })).to.equal(0);

    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair] });
    for (const person of [gone, off]) {
      const added = await addToPanel({ actor, roundId: round.id, userId: person.id }).catch((e: unknown) => e);
      expect(pathsOf(added)).to.deep.equal(['panel.1']);
      const changed = await changeRound({
        actor,
        roundId: round.id,
        change: { title: 'Renamed', panel: [chair.id, person.id] },
      }).catch((e: unknown) => e);
      expect(pathsOf(changed)).to.deep.equal(['panel.1']);
    }
    const stored = (await RecruitmentRoundModel.findById(round.id).lean())!;
    expect(stored.panel.map(String)).to.deep.equal([chair.id]);
    expect(stored.title).to.equal('Headteacher');
  });

  it('an adviser added by the email of an erased account gets a 422 at the email and is not seated', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const chair = await buildUser({ roles: ['governor'] });
    const gone = await buildUser({ roles: ['governor'] });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: gone.id, bySelf: false });
    const erasedEmail = (await UserModel.findById(gone.id).lean())!.email;
    const board = await buildBoard([{ user: chair, role: 'chair' }]);
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair] });
    const refused = await addAdviserToPanel({
      actor: asActor(chair),
      roundId: round.id,
      email: erasedEmail,
      name: 'Someone',
    }).catch((e: unknown) => e);
    expect(pathsOf(refused)).to.deep.equal(['email']);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.panel.map(String)).to.deep.equal([chair.id]);
  });

  it('a panel member erased or disabled after she was seated stays on it (the counts stand), and the chair can still change the rest of the panel', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const chair = await buildUser({ roles: ['governor'] });
    const gone = await buildUser({ roles: ['governor'] });
    const off = await buildUser({ roles: ['governor'] });
    const other = await buildUser({ roles: ['governor'] });
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: gone, role: 'governor' },
      { user: off, role: 'governor' },
      { user: other, role: 'governor' },
    ]);
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair, gone, off, other] });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: gone.id, bySelf: false });
    await UserModel.updateOne({ _id: off.id }, { $set: { status: 'disabled' } });
    await removeFromPanel({ actor: asActor(chair), roundId: round.id, userId: other.id });
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.panel.map(String)).to.deep.equal([
      chair.id,
      gone.id,
      off.id,
    ]);
  });

  it('two members of a closed round erased at the same moment (two processes): the record names neither, as neither write brings back the other’s name', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const chair = await buildUser({ roles: ['governor'] });
    const alice = await buildUser({ roles: ['governor'], name: 'Alice Panellist' });
    const beth = await buildUser({ roles: ['governor'], name: 'Beth Panellist' });
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: alice, role: 'governor' },
      { user: beth, role: 'governor' },
    ]);
    const round = await buildRound(board.id, { interviewDates: [inDays(-1)], panel: [alice, beth] });
    await closeRound({ actor: asActor(chair), roundId: round.id });
    // Alice's erasure has read the record and is about to write it when Beth's erasure runs through.
    await erasedAtOnce({
      actor: { id: admin.id, name: admin.name },
      first: alice.id,
      second: beth.id,
      model: RecruitmentRoundModel,
      method: 'updateOne',
      when: (args) => JSON.stringify(args[1] ?? {}).includes('readinessRecord.members'),
    });
    const record = (await RecruitmentRoundModel.findById(round.id).lean())!.readinessRecord!;
    expect(record.members.map((m) => m.name)).to.deep.equal([formerMemberName, formerMemberName]);
  });

  it('a chair or an admin recording training (with an evidence file) for an erased board member gets the 404 of an unknown person, and nothing is stored', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const chair = await buildUser({ roles: ['governor'] });
    const gone = await buildUser({ roles: ['governor'] });
    await buildBoard([
      { user: chair, role: 'chair' },
      { user: gone, role: 'governor' },
    ]);
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: gone.id, bySelf: false });
    for (const actor of [chair, admin]) {
      const refused = await recordExternalCertificate({
        actor: asActor(actor),
        userId: gone.id,
        provider: 'Safer Recruitment Consortium',
        completedOn: '2026-01-10',
        file: {
          originalname: 'her-certificate.pdf',
          mimetype: 'application/pdf',
          size: 8,
          buffer: Buffer.from('%PDF-1.4'),
        },
      }).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(NotFoundError);
    }
    expect(await ExternalCertificateModel.countDocuments({ userId: gone.id })).to.equal(0);
  });
});
