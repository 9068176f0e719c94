import { expect } from 'chai';
import { MongoClient, type Db } from 'mongodb';

/**
 * `$pull` with a condition removes what MongoDB removes (tools/ferretdb/patches/0011): the domain takes a person out
 * of a list of documents by one field (`$pull: { departed: { userId } }`), as it would on MongoDB. Before the patch
 * our FerretDB compared whole values, so such a write matched nothing and said nothing.
 */
describe('database: $pull with a condition', function () {
  this.timeout(60_000);
  let client: MongoClient;
  let db: Db;

  before(async () => {
    client = await new MongoClient(process.env.MONGODB_URI!).connect();
    db = client.db(`pull${Date.now().toString(36)}`);
  });

  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  type Listed = { _id: string; departed: unknown[] };

  it('takes out the documents a query on one field matches, whatever their other fields and their order', async () => {
    const lists = db.collection<Listed>('lists');
    await lists.insertMany([
      {
        _id: 'a',
        departed: [
          { userId: 'u1', name: 'Aisha Rahman' },
          { name: 'Beth Jones', userId: 'u2' },
        ],
      },
      { _id: 'b', departed: [{ name: 'Aisha Rahman', userId: 'u1', at: new Date('2026-11-02T09:00:00Z') }] },
      { _id: 'c', departed: [{ userId: 'u3' }] },
    ]);
    const result = await lists.updateMany({ 'departed.userId': 'u1' }, { $pull: { departed: { userId: 'u1' } } });
    expect(result.modifiedCount).to.equal(2);
    expect(await lists.find().sort({ _id: 1 }).toArray()).to.deep.equal([
      { _id: 'a', departed: [{ name: 'Beth Jones', userId: 'u2' }] },
      { _id: 'b', departed: [] },
      { _id: 'c', departed: [{ userId: 'u3' }] },
    ]);
  });

  it('applies operators to each value, or to a field of each document', async () => {
    const lists = db.collection<Listed>('scores');
    await lists.insertMany([
      { _id: 'values', departed: [3, 8, 9, 'x'] },
      { _id: 'documents', departed: [{ score: 5 }, { score: 8, by: 'b' }] },
    ]);
    await lists.updateOne({ _id: 'values' }, { $pull: { departed: { $gte: 8 } } });
    await lists.updateOne({ _id: 'documents' }, { $pull: { departed: { score: { $in: [8, 9] } } } });
    expect(await lists.find().sort({ _id: 1 }).toArray()).to.deep.equal([
      { _id: 'documents', departed: [{ score: 5 }] },
      { _id: 'values', departed: [3, 'x'] },
    ]);
  });
});
