import { expect } from 'chai';
import { DirectoryBlockModel } from '../../models/DirectoryBlock.ts';
import { buildIndexes } from '../../server/db.ts';
import supertest from 'supertest';
import { Types } from 'mongoose';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import {
  blockPerson,
  blockedEitherWay,
  markProfilesInBlocks,
  unblockPerson,
} from '../../server/services/directory/blocks.ts';
import { mentoringPersonalData } from '../../server/services/mentoring/personalData.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { listInDirectory } from '../support/directoryFactories.ts';
import { buildMentee } from '../support/mentoringFactories.ts';

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

/**
 * A profile's `inBlocks` lets her directory page skip reading blocks when nobody ever blocked her or was blocked by
 * her; a block must mark both people first, or the page would show a blocked person.
 */
describe('directory: the page knows without a read that nobody blocked her', () => {
  useTestDatabase();
  const profile = {
    visibility: 'everyone',
    headline: 'Deputy head',
    role: 'Deputy head',
    phase: 'secondary',
    country: 'GB',
    region: 'Leeds',
    topics: [],
    openTo: [],
  };

  it('a block hides each from the other’s page at once, and a profile saved later says she is in a block', async () => {
    const app = testApp();
    const [amal, bea, carys] = await Promise.all([
      buildUser({ name: 'Amal Abbas' }),
      buildUser({ name: 'Bea Brown' }),
      buildUser({ name: 'Carys Cole' }),
    ]);
    for (const person of [amal, bea])
      await supertest(app)
        .put('/api/v1/me/directory-profile')
        .set('Authorization', `Bearer ${await tokenFor(person)}`)
        .send(profile)
        .expect(200);
    expect((await DirectoryProfileModel.findById(amal.id).lean())!.inBlocks).to.equal(false);
    const pageOf = async (person: TestUser) =>
      (await (await signIn(app, person.email, testPassword)).get('/directory').expect(200)).text;
    expect(await pageOf(amal)).to.include('Bea Brown');
    await supertest(app)
      .put(`/api/v1/me/blocks/${bea.id}`)
      .set('Authorization', `Bearer ${await tokenFor(amal)}`)
      .expect(204);
    expect(await pageOf(amal)).to.not.include('Bea Brown');
    expect(await pageOf(bea)).to.not.include('Amal Abbas');
    // Lifted, the mark stays (her page reads her blocks from then on) and she sees Bea again.
    await supertest(app)
      .delete(`/api/v1/me/blocks/${bea.id}`)
      .set('Authorization', `Bearer ${await tokenFor(amal)}`)
      .expect(204);
    expect((await DirectoryProfileModel.findById(amal.id).lean())!.inBlocks).to.equal(true);
    expect(await pageOf(amal)).to.include('Bea Brown');

    // Bea blocked Carys (a fellow member, say) before Carys had a profile: the profile Carys then saves is marked.
    await DirectoryBlockModel.updateOne(
      { _id: `${bea.id}:${carys.id}` },
      { $setOnInsert: { blockerId: bea.id, blockedId: carys.id, people: [bea.id, carys.id] } },
      { upsert: true },
    );
    await supertest(app)
      .put('/api/v1/me/directory-profile')
      .set('Authorization', `Bearer ${await tokenFor(carys)}`)
      .send(profile)
      .expect(200);
    expect((await DirectoryProfileModel.findById(carys.id).lean())!.inBlocks).to.equal(true);
    expect(await pageOf(carys)).to.not.include('Bea Brown');
  });

  it('profiles from before the mark are marked by the repair: true where a block names them, else false', async () => {
    const [amal, bea, carys] = await Promise.all([buildUser(), buildUser(), buildUser()]);
    await listInDirectory(amal, bea, carys);
    await DirectoryBlockModel.create({
      _id: `${amal.id}:${bea.id}`,
      blockerId: amal.id,
      blockedId: bea.id,
      people: [amal.id, bea.id],
    });
    // Mentee profiles from before the mark too (their suggestions skip the blocks' read only when it says false).
    await MenteeProfileModel.collection.insertMany([
      { userId: new Types.ObjectId(bea.id), matchVersion: 0 },
      { userId: new Types.ObjectId(carys.id), matchVersion: 0 },
    ]);
    expect(await markProfilesInBlocks()).to.equal(5);
    const menteeMarks = await MenteeProfileModel.find({ userId: { $in: [bea.id, carys.id] } }).lean();
    expect(Object.fromEntries(menteeMarks.map((m) => [String(m.userId), m.inBlocks]))).to.deep.equal({
      [bea.id]: true,
      [carys.id]: false,
    });
    const marks = await DirectoryProfileModel.find(
      { _id: { $in: [amal.id, bea.id, carys.id] } },
      { inBlocks: 1 },
    ).lean();
    expect(Object.fromEntries(marks.map((m) => [String(m._id), m.inBlocks]))).to.deep.equal({
      [amal.id]: true,
      [bea.id]: true,
      [carys.id]: false,
    });
    expect(await markProfilesInBlocks()).to.equal(0);
  });
});

describe('directory: the block mark stays out of her data export', () => {
  useTestDatabase();

  it('a woman someone blocked does not learn it from her mentoring data', async () => {
    const [mentee, other] = [await buildMentee(), await buildUser()];
    await listInDirectory(mentee);
    await blockPerson({ actor: { id: other.id, name: other.name, roles: other.roles } as never, userId: mentee.id });
    expect((await MenteeProfileModel.findOne({ userId: mentee.id }).lean())!.inBlocks).to.equal(true);
    const exported = (await mentoringPersonalData.exportFor(new Types.ObjectId(mentee.id))) as {
      menteeProfile: Record<string, unknown>;
    };
    expect(exported.menteeProfile).to.include.keys('goals');
    expect(exported.menteeProfile).to.not.have.property('inBlocks');
  });
});
