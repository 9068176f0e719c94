import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import { MongoClient, type Db } from 'mongodb';

/**
 * Single-document writes are atomic across connections, as on MongoDB (tools/ferretdb/patches/0004): the
 * domain's concurrency rules ($inc counters, version checks, state claims) rest on it. Each "connection" is
 * its own MongoClient with a pool of one, so the writes really arrive on different connections at once.
 */
function databaseName(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return 'atomic' + Array.from({ length: 10 }, () => letters[randomInt(letters.length)]).join('');
}

type Counter = { _id: string; n: number };
type Versioned = { _id: string; version: number; writers: number[] };

describe('database: atomic single-document writes', function () {
  this.timeout(120_000);
  const name = databaseName();
  let clients: MongoClient[] = [];
  let dbs: Db[] = [];

  before(async () => {
    clients = await Promise.all(
      Array.from({ length: 10 }, () => new MongoClient(process.env.MONGODB_URI!, { maxPoolSize: 1 }).connect()),
    );
    dbs = clients.map((client) => client.db(name));
  });

  after(async () => {
    await dbs[0]?.dropDatabase().catch(() => undefined);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('when 10 connections each $inc one document 40 times, the count is exactly 400', async () => {
    await dbs[0]!.collection<Counter>('counters').insertOne({ _id: 'c', n: 0 });
    await Promise.all(
      dbs.map(async (db) => {
        for (let i = 0; i < 40; i++)
          await db.collection<Counter>('counters').updateOne({ _id: 'c' }, { $inc: { n: 1 } });
      }),
    );
    const doc = await dbs[0]!.collection<Counter>('counters').findOne({ _id: 'c' });
    expect(doc?.n).to.equal(400);
  });

  it('when 40 findOneAndUpdate claims race for 10 free slots, 10 distinct claimants win and 30 get nothing', async () => {
    const slots = dbs[0]!.collection('slots');
    await slots.createIndex({ state: 1 });
    await slots.insertMany(Array.from({ length: 10 }, (_, i) => ({ slot: i, state: 'free', holder: null })));
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, claimant) =>
        dbs[claimant % 10]!.collection('slots').findOneAndUpdate(
          { state: 'free' },
          { $set: { state: 'taken', holder: claimant } },
          { returnDocument: 'after' },
        ),
      ),
    );
    const winners = results.filter((doc) => doc !== null);
    expect(winners).to.have.length(10);
    expect(new Set(winners.map((doc) => doc!.slot)).size).to.equal(10);
    const taken = await slots.find({ state: 'taken' }).toArray();
    expect(taken).to.have.length(10);
    expect(new Set(taken.map((doc) => doc.holder)).size).to.equal(10);
  });

  it('when 20 connections update one version conditionally, exactly one update applies (5 rounds)', async () => {
    const docs = dbs[0]!.collection<Versioned>('versions');
    await docs.insertOne({ _id: 'v', version: 1, writers: [] });
    for (let version = 1; version <= 5; version++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, writer) =>
          dbs[writer % 10]!.collection<Versioned>('versions').updateOne(
            { _id: 'v', version },
            { $push: { writers: writer }, $inc: { version: 1 } },
          ),
        ),
      );
      expect(
        results.reduce((sum, r) => sum + r.modifiedCount, 0),
        `round ${version}`,
      ).to.equal(1);
    }
    const doc = await docs.findOne({ _id: 'v' });
    expect(doc?.version).to.equal(6);
    expect(doc?.writers).to.have.length(5);
  });

  it('when 10 connections upsert the same key at once, one document is created and every $inc counts', async () => {
    const docs = dbs[0]!.collection('upserts');
    await docs.createIndex({ key: 1 }, { unique: true });
    await Promise.all(
      dbs.map((db) => db.collection('upserts').updateOne({ key: 'k' }, { $inc: { n: 1 } }, { upsert: true })),
    );
    const found = await docs.find({ key: 'k' }).toArray();
    expect(found).to.have.length(1);
    expect(found[0]!.n).to.equal(10);
  });

  it('when 10 connections delete the one document in a given state, it is deleted once', async () => {
    const docs = dbs[0]!.collection('deletes');
    await docs.insertOne({ state: 'open' });
    const results = await Promise.all(dbs.map((db) => db.collection('deletes').findOneAndDelete({ state: 'open' })));
    expect(results.filter((doc) => doc !== null)).to.have.length(1);
  });
});
