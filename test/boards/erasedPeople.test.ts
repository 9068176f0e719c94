import { expect } from 'chai';
import { BoardModel } from '../../models/Board.ts';
import { ValidationError } from '../../server/errors.ts';
import { setBoardMember } from '../../server/services/boards/index.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { asActor, buildBoard } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
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
});
