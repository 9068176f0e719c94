import { expect } from 'chai';
import { MongoClient, type Db } from 'mongodb';

/**
 * A bulk write of many single-document updates answers, as on MongoDB (tools/ferretdb/patches/0023): FerretDB kept
 * each statement's query open until the whole command ended, so the 100th statement of one `update` command waited
 * for ever for one of the SQLite pool's 100 connections (and every other request to that database with it). The
 * repair of the directory profiles' networks writes up to 500 profiles in one bulk write.
 */
describe('database: bulk updates of 100 statements and more', function () {
  this.timeout(60_000);
  let client: MongoClient;
  let db: Db;

  before(async () => {
    client = await new MongoClient(process.env.MONGODB_URI!).connect();
    db = client.db(`bulk${Date.now().toString(36)}`);
  });

  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('applies 250 updateOne in one bulk write, ordered or not, and other requests are answered meanwhile', async () => {
    const rows = db.collection<{ _id: number; n: number; version?: number | null }>('rows');
    await rows.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, n: 0 })));
    for (const ordered of [false, true]) {
      const [result, count] = await Promise.all([
        rows.bulkWrite(
          Array.from({ length: 250 }, (_, i) => ({
            updateOne: { filter: { _id: i, n: ordered ? 1 : 0 }, update: { $inc: { n: 1 } } },
          })),
          { ordered },
        ),
        rows.countDocuments({}),
      ]);
      expect(result.modifiedCount, `ordered: ${ordered}`).to.equal(250);
      expect(count).to.equal(250);
    }
    expect(await rows.countDocuments({ n: 2 })).to.equal(250);
    // A version check on a missing field (null), as the derived copies write over a version never written.
    const versioned = await rows.bulkWrite(
      Array.from({ length: 120 }, (_, i) => ({
        updateOne: { filter: { _id: i, version: null }, update: { $set: { version: 1 } } },
      })),
      { ordered: false },
    );
    expect(versioned.modifiedCount).to.equal(120);
  });
});
