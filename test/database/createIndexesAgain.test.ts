import { expect } from 'chai';
import mongoose from 'mongoose';
import { MongoClient, type Db } from 'mongodb';
import '../../server/app.ts';
import { buildIndexes } from '../../server/db.ts';
import { useTestDatabase } from '../support/db.ts';

/**
 * One `createIndexes` command a collection, as a start sends them (server/db.ts), on a database that has some or all of
 * those indexes already (tools/ferretdb/patches/0022): the ones there are left, the others built, as on MongoDB.
 * Before the patch our FerretDB closed the connection when two of them existed, and built no index named after one
 * that existed.
 */
describe('database: createIndexes naming indexes that already exist', function () {
  this.timeout(60_000);
  let client: MongoClient;
  let db: Db;

  before(async () => {
    client = await new MongoClient(process.env.MONGODB_URI!).connect();
    db = client.db(`indexesagain${Date.now().toString(36).replace(/[0-9]/g, '')}`);
  });

  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  const a = { key: { a: 1 }, name: 'a_1' };
  const bc = { key: { b: 1, c: 1 }, name: 'b_1_c_1', unique: true };
  const d = { key: { d: 1 }, name: 'd_1' };
  const e = { key: { e: 1 }, name: 'e_1' };
  const names = async (collection: string) =>
    (await db.collection(collection).indexes()).map((i) => i.name).sort((x, y) => String(x).localeCompare(String(y)));

  it('asked again for indexes it has, answers that they all exist and keeps them', async () => {
    const things = db.collection('things');
    await things.createIndexes([a, bc]);
    const again = await db.command({ createIndexes: 'things', indexes: [a, bc] });
    expect(again).to.include({ ok: 1, note: 'all indexes already exist' });
    expect(again.numIndexesAfter).to.equal(again.numIndexesBefore);
    expect(await names('things')).to.deep.equal(['_id_', 'a_1', 'b_1_c_1']);
    // The connection is still there for the next command (it closed before the patch).
    expect(await things.countDocuments()).to.equal(0);
  });

  it('asked for indexes it has and indexes it lacks, in any order, builds every one it lacks', async () => {
    const places = db.collection('places');
    await places.createIndexes([a, bc]);
    // Before the patch: `e` was left out (the request lost its last index when `a` was taken out of it).
    await places.createIndexes([a, d, bc, e]);
    expect(await names('places')).to.deep.equal(['_id_', 'a_1', 'b_1_c_1', 'd_1', 'e_1']);
    await places.dropIndex('b_1_c_1');
    await places.createIndexes([d, bc, a]);
    expect(await names('places')).to.deep.equal(['_id_', 'a_1', 'b_1_c_1', 'd_1', 'e_1']);
    // The rebuilt unique index holds.
    await places.insertOne({ b: 1, c: 2 });
    const duplicate = await places.insertOne({ b: 1, c: 2 }).catch((error: { code?: number }) => error);
    expect(duplicate).to.have.property('code', 11000);
  });
});

describe('database: a start on a database that has its indexes', () => {
  useTestDatabase();

  const declaredCount = () =>
    Object.values(mongoose.connection.models).reduce((n, model) => n + model.schema.indexes().length, 0);
  const indexesOf = async () => {
    const all: Record<string, { name?: string; unique?: boolean }[]> = {};
    for (const model of Object.values(mongoose.connection.models))
      all[model.collection.collectionName] = (await model.collection.indexes()).map(({ name, unique }) => ({
        name,
        unique,
      }));
    return all;
  };

  it('builds every index each model declares, and building again (the next start) changes none', async () => {
    const built = await indexesOf();
    const counted = Object.values(built).reduce((n, list) => n + list.filter((i) => i.name !== '_id_').length, 0);
    expect(counted).to.equal(declaredCount());
    for (const model of Object.values(mongoose.connection.models))
      for (const [, options] of model.schema.indexes())
        if (options.unique)
          expect(built[model.collection.collectionName]!.filter((i) => i.unique).length, model.modelName).to.be.above(
            0,
          );
    await buildIndexes();
    expect(await indexesOf()).to.deep.equal(built);
  });
});
