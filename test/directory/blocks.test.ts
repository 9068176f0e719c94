import { expect } from 'chai';
import { DirectoryBlockModel } from '../../models/DirectoryBlock.ts';
import { buildIndexes } from '../../server/db.ts';
import { blockPerson, blockedEitherWay, unblockPerson } from '../../server/services/directory/blocks.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, type TestUser } from '../support/factories.ts';
import { listInDirectory } from '../support/directoryFactories.ts';

/** "Everyone she blocked or who blocked her", read once by the pair of people a block holds (models/DirectoryBlock.ts). */
describe('directory: blocks are found both ways in one read', () => {
  useTestDatabase();
  const actor = (u: TestUser) => ({ id: u.id, name: u.name, roles: u.roles }) as unknown as Express.User;

  it('lists whom she blocked and who blocked her, and forgets a block lifted', async () => {
    const [amal, bea, carys, dina] = await Promise.all([buildUser(), buildUser(), buildUser(), buildUser()]);
    await listInDirectory(amal, bea, dina);
    await blockPerson({ actor: actor(amal), userId: bea.id });
    await blockPerson({ actor: actor(amal), userId: bea.id });
    await blockPerson({ actor: actor(carys), userId: amal.id });
    await blockPerson({ actor: actor(bea), userId: dina.id });
    expect([...(await blockedEitherWay(amal.id))].sort()).to.deep.equal([bea.id, carys.id].sort());
    expect([...(await blockedEitherWay(bea.id))].sort()).to.deep.equal([amal.id, dina.id].sort());
    expect([...(await blockedEitherWay(carys.id))]).to.deep.equal([amal.id]);
    await unblockPerson({ actor: actor(amal), userId: bea.id });
    expect([...(await blockedEitherWay(amal.id))]).to.deep.equal([carys.id]);
    expect([...(await blockedEitherWay(bea.id))]).to.deep.equal([dina.id]);
  });

  it('a block stored before the pair was kept on it is found once the app has started', async () => {
    const [amal, bea] = await Promise.all([buildUser(), buildUser()]);
    await DirectoryBlockModel.collection.insertOne({
      _id: `${bea.id}:${amal.id}` as never,
      blockerId: DirectoryBlockModel.castObject({ blockerId: bea.id }).blockerId,
      blockedId: DirectoryBlockModel.castObject({ blockedId: amal.id }).blockedId,
    });
    expect([...(await blockedEitherWay(amal.id))]).to.deep.equal([]);
    // What connectDatabase runs at start, before the indexes.
    await buildIndexes();
    expect([...(await blockedEitherWay(amal.id))]).to.deep.equal([bea.id]);
    expect([...(await blockedEitherWay(bea.id))]).to.deep.equal([amal.id]);
    expect(await DirectoryBlockModel.repairBeforeIndexes()).to.equal(0);
  });
});
