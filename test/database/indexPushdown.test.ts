import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import { differentialCollections, seededRandom, useDifferentialDatabases } from '../support/referenceDatabase.ts';
import { Double, Int32, Long, ObjectId, type Collection, type Document, type Filter } from 'mongodb';

/**
 * Index pushdown (tools/ferretdb/patches/0002) answers equality and $in on a field that leads an index from
 * SQLite, and must never change an answer. The differential test puts the same generated documents, with the
 * same indexes, on the suite's FerretDB and on a second FerretDB started with --test-disable-pushdown (every document
 * read and filtered in Go), runs the same generated queries, updates and deletes on both, and requires the same
 * documents each time. (On a suite run against MongoDB, the reference is the same data in a collection without
 * indexes.) The generator is seeded: a failure prints the seed, and PUSHDOWN_SEED=<seed> replays it. Every run
 * draws a new seed; PUSHDOWN_DOCS and PUSHDOWN_QUERIES make a longer run (the reference reads every document for
 * every query, about 60 µs a document, so the default keeps the suite quick).
 * FerretDB 1.24 has no Decimal128, so numbers are Int32, Long and Double.
 */
type Values = {
  scalar: () => unknown;
  any: () => unknown;
};

function values(random: () => number): Values {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const strings = ['a', 'b', 'A', '', '<&>', 'é', 'x y', '1', '0', 'q"\\', '650102030405060708090a0b'];
  const objectIds = ['650102030405060708090a0b', '650102030405060708090a0c', '000000000000000000000001'].map(
    (hex) => new ObjectId(hex),
  );
  const dates = [new Date(1), new Date(0), new Date('2024-05-06T07:08:09.123Z'), new Date('1969-12-31T23:59:59.999Z')];
  // numbers equal across BSON types, negative zero, integers doubles round, exponents
  const numbers = [0, -0, 1, -1, 2, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 53 + 1, 2 ** 60, 1e21, 1e-7, 0.1];
  const number = (): unknown => {
    const n = pick(numbers);
    const kinds: Array<() => unknown> = [() => new Double(n)];
    if (Number.isInteger(n) && !Object.is(n, -0)) {
      kinds.push(() => Long.fromNumber(n));
      if (n === 2 ** 53 + 1) kinds.push(() => Long.fromString('9007199254740993'));
      if (Math.abs(n) < 2 ** 31) kinds.push(() => new Int32(n));
    }
    return pick(kinds)();
  };
  const scalar = (): unknown => {
    const kind = random();
    if (kind < 0.3) return pick(strings);
    if (kind < 0.6) return number();
    if (kind < 0.72) return pick(objectIds);
    if (kind < 0.82) return random() < 0.5;
    return pick(dates);
  };
  const any = (): unknown => {
    const kind = random();
    if (kind < 0.7) return scalar();
    if (kind < 0.85) return Array.from({ length: 1 + Math.floor(random() * 3) }, scalar);
    if (kind < 0.93) return { x: scalar() };
    return null;
  };
  return { scalar, any };
}

const indexedFields = ['s', 'n', 'm', 'u'] as const;
const fields = [...indexedFields, 'x', '_id'] as const;

function describeValue(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Long) return `Long(${v.toString()})`;
    if (v instanceof Int32) return `Int32(${v.value})`;
    if (v instanceof Double) return `Double(${Object.is(v.value, -0) ? '-0' : v.value})`;
    return v;
  });
}

describe('database: index pushdown', function () {
  this.timeout(300_000);
  const databases = useDifferentialDatabases('pushdown');

  it('answers generated queries, updates and deletes exactly as with pushdown disabled (seeded; the seed is printed on failure)', async () => {
    const { reference } = databases;
    const seed = Number(process.env.PUSHDOWN_SEED ?? randomInt(2 ** 31));
    const documentCount = Number(process.env.PUSHDOWN_DOCS ?? 1000);
    const queryCount = Number(process.env.PUSHDOWN_QUERIES ?? 250);
    const random = seededRandom(seed);
    const gen = values(random);
    const { pushed: indexed, plain } = await differentialCollections(databases, 'indexed', [
      { s: 1 },
      { n: -1 },
      { m: 1, s: -1 },
      { key: { u: 1 }, unique: true },
    ]);
    if (reference.separate) {
      const explained = await reference.db.command({ explain: { find: 'indexed', filter: { s: 'a' } } });
      expect(explained.filterPushdown, 'the reference server pushes nothing down').to.equal(false);
    }

    const documents: Document[] = [];
    for (let i = 0; i < documentCount; i++) {
      const doc: Document = { _id: i % 3 === 0 ? new Int32(i) : i % 3 === 1 ? `id${i}` : new ObjectId() };
      for (const field of ['s', 'n', 'm', 'x']) if (random() > 0.15) doc[field] = gen.any();
      doc.u = i % 2 === 0 ? `u${i}` : new Int32(i);
      documents.push(doc);
    }
    await indexed.insertMany(documents.map((d) => ({ ...d })));
    await plain.insertMany(documents.map((d) => ({ ...d })));

    const query = (): Filter<Document> => {
      // An $or of such conditions (patch 0025), alone or beside one, a fifth of the time.
      if (random() < 0.2) {
        const branches = Array.from({ length: 2 + Math.floor(random() * 2) }, () => conditions(1));
        return random() < 0.3 ? { ...conditions(1), $or: branches } : { $or: branches };
      }
      return conditions(random() < 0.25 ? 2 : 1);
    };
    const conditions = (keys: number): Filter<Document> => {
      const filter: Filter<Document> = {};
      for (let k = 0; k < keys; k++) {
        const field = fields[Math.floor(random() * fields.length)]!;
        const value = (): unknown => {
          if (field === '_id') return documents[Math.floor(random() * documents.length)]!._id;
          if (field === 'u')
            return random() < 0.5 ? documents[Math.floor(random() * documents.length)]!.u : gen.scalar();
          return random() < 0.85 ? gen.scalar() : gen.any();
        };
        const form = random();
        if (form < 0.4) filter[field] = value();
        else if (form < 0.6) filter[field] = { $eq: value() };
        else filter[field] = { $in: Array.from({ length: 1 + Math.floor(random() * 4) }, value) };
      }
      return filter;
    };
    const ids = async (collection: Collection<Document>, filter: Filter<Document>): Promise<string[]> =>
      (await collection.find(filter, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)).sort();
    const context = (filter: Filter<Document>) =>
      `seed ${seed} (PUSHDOWN_SEED=${seed}), filter ${describeValue(filter)}`;

    let nonEmpty = 0;
    for (let q = 0; q < queryCount; q++) {
      const filter = query();
      const expected = await ids(plain, filter);
      expect(await ids(indexed, filter), context(filter)).to.deep.equal(expected);
      if (expected.length > 0) nonEmpty++;
      if (q % 10 === 0) expect(await indexed.countDocuments(filter), context(filter)).to.equal(expected.length);
    }
    // the generator must produce matches, or the comparison proves little
    expect(nonEmpty, `seed ${seed}`).to.be.greaterThan(queryCount / 3);

    for (let q = 0; q < 25; q++) {
      const filter = query();
      const [a, b] = await Promise.all([
        indexed.updateMany(filter, { $inc: { hits: 1 } }),
        plain.updateMany(filter, { $inc: { hits: 1 } }),
      ]);
      expect(a.matchedCount, context(filter)).to.equal(b.matchedCount);
      const one = query();
      const [c, d] = await Promise.all([
        indexed.findOneAndUpdate(one, { $inc: { hits: 100 } }, { sort: { _id: 1 } }),
        plain.findOneAndUpdate(one, { $inc: { hits: 100 } }, { sort: { _id: 1 } }),
      ]);
      expect(String(c?._id), context(one)).to.equal(String(d?._id));
    }
    for (let q = 0; q < 10; q++) {
      const filter = query();
      const [a, b] = await Promise.all([indexed.deleteMany(filter), plain.deleteMany(filter)]);
      expect(a.deletedCount, context(filter)).to.equal(b.deletedCount);
    }
    const state = async (collection: Collection<Document>) =>
      (await collection.find({}, { projection: { hits: 1 } }).toArray())
        .map((d) => `${String(d._id)}:${d.hits ?? 0}`)
        .sort();
    expect(await state(indexed), `seed ${seed}`).to.deep.equal(await state(plain));
  });

  it('explain shows equality and $in on a field that leads an index, and an $or of such, answered from the indexes', async () => {
    const { db } = databases;
    const coll = db.collection('explained');
    await coll.createIndex({ cohortId: 1 });
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertMany(
      Array.from({ length: 50 }, (_, i) => ({ cohortId: `c${i % 5}`, email: `p${i}@example.org`, note: 'n' })),
    );
    const explain = async (filter: Document) => {
      const res = await db.command({ explain: { find: 'explained', filter }, verbosity: 'queryPlanner' });
      return { pushdown: res.filterPushdown as boolean, plan: JSON.stringify(res.queryPlanner) };
    };

    const byCohort = await explain({ cohortId: 'c1' });
    expect(byCohort.pushdown).to.equal(true);
    expect(byCohort.plan).to.include('MULTI-INDEX OR').and.include('_cohortId_1').and.not.include('SCAN');

    const byEmails = await explain({ email: { $in: ['p1@example.org', 'p2@example.org'] }, note: 'n' });
    expect(byEmails.pushdown).to.equal(true);
    expect(byEmails.plan).to.include('_email_1').and.not.include('SCAN');

    const notIndexed = await explain({ note: 'n' });
    expect(notIndexed.pushdown).to.equal(false);
    expect(notIndexed.plan).to.include('SCAN');

    const either = await explain({ $or: [{ cohortId: 'c1' }, { email: 'p3@example.org' }] });
    expect(either.pushdown, 'an $or whose branches are each indexed (patch 0025)').to.equal(true);
    expect(either.plan).to.include('_cohortId_1').and.include('_email_1').and.not.include('SCAN');
    const eitherNotIndexed = await explain({ $or: [{ cohortId: 'c1' }, { note: 'n' }] });
    expect(eitherNotIndexed.pushdown, 'one branch no index narrows: every row').to.equal(false);

    const nullValue = await explain({ cohortId: null });
    expect(nullValue.pushdown, 'null also matches a missing field, so it is not pushed down').to.equal(false);
  });
});
