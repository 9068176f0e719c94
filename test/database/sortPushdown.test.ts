import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import { differentialCollections, seededRandom, useDifferentialDatabases } from '../support/referenceDatabase.ts';
import { Double, Int32, Long, ObjectId, type Db, type Document, type Filter, type Sort } from 'mongodb';

/**
 * Sort pushdown (tools/ferretdb/patches/0007) lets SQLite order a find sorted by top-level fields, so that a
 * limit stops reading documents; it must never change an answer. As in indexPushdown.test.ts, the same
 * generated documents go to the suite's FerretDB and to a second one started with --test-disable-pushdown
 * (every document read, filtered and sorted in Go), and generated finds (one or two sort fields, ascending or
 * descending, with and without filters, skip and limit) must answer the same. The sorted fields hold strings
 * (unicode, escapes), ObjectIds, Int32/Long/Double (negatives, -0, values doubles round), booleans, dates, null,
 * missing fields, and in some categories arrays and embedded documents (which SQLite does not order: those
 * results are sorted in Go).
 *
 * Ties: MongoDB returns documents whose sort keys are equal in any order. A find that returns part of the
 * answer also sorts by `_id`, so its answer is exact. One that returns all of it is mostly checked without `_id`:
 * it must return the same documents, in an order that the reference server, sorting them by the same keys and
 * then by their position, leaves unchanged (that is, sorted by the keys, as the reference compares them).
 * Seeded: a failure prints the seed; SORT_PUSHDOWN_SEED=<seed> replays it, SORT_PUSHDOWN_DOCS and
 * SORT_PUSHDOWN_QUERIES make a longer run. (On a suite run against MongoDB, the reference is the same server.)
 */
function values(random: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const strings = [
    ...['a', 'b', 'A', 'Z', 'z', '', ' ', '<&>', 'é', 'e\u0301', 'ÿ', '\uffff', '😀', 'x y', '1', '10', '9'],
    ...['q"\\', 'a\u0000b', 'a\u0000', 'line\u2028sep', '650102030405060708090a0b'],
  ];
  const objectIds = ['650102030405060708090a0b', '650102030405060708090a0c', '000000000000000000000001'].map(
    (hex) => new ObjectId(hex),
  );
  objectIds.push(new ObjectId('ff0000000000000000000000'));
  const dates = [new Date(1), new Date(0), new Date(-1), new Date('2024-05-06T07:08:09.123Z'), new Date(-6e13)];
  const numbers = [0, -0, 1, -1, 2, -2.5, 1.5, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 2 ** 53 + 2, 2 ** 60, -(2 ** 60)];
  numbers.push(1e21, -1e21, 1e-7, 0.1, 1e300);
  const number = (): unknown => {
    const n = pick(numbers);
    const kinds: Array<() => unknown> = [() => new Double(n)];
    if (Number.isInteger(n) && !Object.is(n, -0) && Math.abs(n) < 2 ** 63) {
      kinds.push(() => Long.fromNumber(n));
      if (n === 2 ** 53) kinds.push(() => Long.fromString('9007199254740993')); // 2^53 + 1: no double equals it
      if (Math.abs(n) <= 2 ** 31) kinds.push(() => new Int32(n));
    }
    return pick(kinds)();
  };
  const scalar = (): unknown => {
    const kind = random();
    if (kind < 0.3) return pick(strings);
    if (kind < 0.6) return number();
    if (kind < 0.7) return pick(objectIds);
    if (kind < 0.78) return random() < 0.5;
    if (kind < 0.9) return pick(dates);
    return null;
  };
  const any = (): unknown => {
    const kind = random();
    if (kind < 0.75) return scalar();
    if (kind < 0.9) return Array.from({ length: Math.floor(random() * 3) }, scalar);
    return { x: scalar() };
  };
  return { pick, scalar, any };
}

function describeValue(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Long) return `Long(${v.toString()})`;
    if (v instanceof Int32) return `Int32(${v.value})`;
    if (v instanceof Double) return `Double(${Object.is(v.value, -0) ? '-0' : v.value})`;
    return v;
  });
}

/** A scalar's identity as MongoDB compares it: numbers by value whatever their type, -0 as 0. */
function keyOf(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Long) return `n:${value.toString()}`;
  if (value instanceof Int32 || value instanceof Double || typeof value === 'number') {
    const n = Number(value instanceof Int32 || value instanceof Double ? value.value : value);
    return Number.isInteger(n) ? `n:${BigInt(n).toString()}` : `n:${n}`;
  }
  if (value instanceof ObjectId) return `o:${value.toHexString()}`;
  if (value instanceof Date) return `d:${value.getTime()}`;
  return `${typeof value}:${String(value)}`;
}

/** Categories 0–11 hold only values SQLite orders; 12–15 also arrays and embedded documents in `a`. */
const categories = 16;
const mixedFrom = 12;

describe('database: sort pushdown', function () {
  this.timeout(300_000);
  const databases = useDifferentialDatabases('sortpushdown');

  it('answers generated sorted finds exactly as with pushdown disabled (seeded; the seed is printed on failure)', async () => {
    const { reference } = databases;
    const seed = Number(process.env.SORT_PUSHDOWN_SEED ?? randomInt(2 ** 31));
    const documentCount = Number(process.env.SORT_PUSHDOWN_DOCS ?? 2000);
    const queryCount = Number(process.env.SORT_PUSHDOWN_QUERIES ?? 120);
    const random = seededRandom(seed);
    const gen = values(random);
    const { pushed, plain } = await differentialCollections(databases, 'docs', [{ c: 1 }]);

    const documents: Document[] = [];
    for (let i = 0; i < documentCount; i++) {
      const category = i % categories;
      const doc: Document = { _id: i % 3 === 0 ? new Int32(i) : i % 3 === 1 ? `id${i}` : new ObjectId() };
      doc.c = `c${category}`;
      doc.n = new Int32(i);
      if (random() > 0.1) doc.s = gen.scalar();
      if (random() > 0.1) doc.a = category >= mixedFrom ? gen.any() : gen.scalar();
      documents.push(doc);
    }
    await pushed.insertMany(documents.map((d) => ({ ...d })));
    await plain.insertMany(documents.map((d) => ({ ...d })));

    const context = (filter: Filter<Document>, sort: Sort, skip: number, limit: number) =>
      `seed ${seed} (SORT_PUSHDOWN_SEED=${seed}), filter ${describeValue(filter)}, sort ${describeValue(sort)}, ` +
      `skip ${skip}, limit ${limit}`;
    const category = () => `c${Math.floor(random() * categories)}`;
    const ids = (docs: Document[]) => docs.map((d) => describeValue(d._id));
    const check = reference.db.collection('check');

    let nonEmpty = 0;
    for (let q = 0; q < queryCount; q++) {
      const form = random();
      const filter: Filter<Document> =
        form < 0.3
          ? {}
          : form < 0.7
            ? { c: category() }
            : form < 0.85
              ? { c: { $in: [category(), category(), category()] } }
              : { n: { $gte: Math.floor(random() * documentCount) } };
      const sort: Record<string, 1 | -1> = {};
      const keys = random() < 0.4 ? 2 : 1;
      while (Object.keys(sort).length < keys) sort[gen.pick(['s', 'a', 'c', '_id'])] = random() < 0.5 ? 1 : -1;
      // a sort is pushed down only with a limit; a limit above every answer returns it whole
      const whole = random() < 0.4;
      const skip = whole ? 0 : gen.pick([0, 0, 5, 30]);
      const limit = whole ? documentCount + 1 : gen.pick([1, 10, 51]);
      const exact = !whole || random() < 0.3;
      if (exact && !('_id' in sort)) sort._id = random() < 0.5 ? 1 : -1;
      const where = context(filter, sort, skip, limit);

      const expected = await plain.find(filter).sort(sort).skip(skip).limit(limit).toArray();
      const got = await pushed.find(filter).sort(sort).skip(skip).limit(limit).toArray();
      if (expected.length > 0) nonEmpty++;
      if (exact) {
        expect(ids(got), where).to.deep.equal(ids(expected));
        continue;
      }
      // the same documents, and in an order the reference's own sort by these keys keeps
      expect([...ids(got)].sort(), where).to.deep.equal([...ids(expected)].sort());
      await check.deleteMany({});
      if (got.length === 0) continue;
      await check.insertMany(got.map((d, position) => ({ ...d, position })));
      const resorted = await check
        .find({})
        .sort({ ...sort, position: 1 })
        .toArray();
      expect(ids(got), where).to.deep.equal(ids(resorted));
    }
    // the generator must produce answers, or the comparison proves little
    expect(nonEmpty, `seed ${seed}`).to.be.greaterThan(queryCount / 2);
  });

  // Patch 0010: a find sorted on one field that follows equalities in a compound index reads that index's
  // order index from the range's bound and stops at its limit. Sorted on one key, ties come in any order, so
  // a page is compared by the sequence of its keys (equal numbers of every type compare equal); a page that
  // holds the whole answer also by its documents. Categories with arrays must answer the same (they are read
  // the way patch 0007 reads them).
  it('answers pages sorted on one field after indexed equalities exactly as with pushdown disabled (seeded)', async () => {
    const seed = Number(process.env.SORT_PUSHDOWN_SEED ?? randomInt(2 ** 31));
    const queryCount = Number(process.env.SORT_PUSHDOWN_QUERIES ?? 120);
    const random = seededRandom(seed);
    const gen = values(random);
    const { pushed, plain } = await differentialCollections(databases, 'paged', [
      { c: 1, s: 1 },
      { c: 1, g: 1, a: -1 },
    ]);
    const documents: Document[] = [];
    for (let i = 0; i < 1500; i++) {
      const category = i % categories;
      const doc: Document = { _id: new ObjectId(), c: `c${category}`, g: i % 3 === 0 ? 'x' : 'y' };
      if (random() > 0.1) doc.s = gen.scalar();
      if (random() > 0.1) doc.a = category >= mixedFrom ? gen.any() : gen.scalar();
      documents.push(doc);
    }
    await pushed.insertMany(documents.map((d) => ({ ...d })));
    await plain.insertMany(documents.map((d) => ({ ...d })));

    const ids = (docs: Document[]) => docs.map((d) => describeValue(d._id)).sort();
    const orderedCategory = () => `c${Math.floor(random() * mixedFrom)}`;
    const anyCategory = () => `c${Math.floor(random() * categories)}`;

    let nonEmpty = 0;
    for (let q = 0; q < queryCount; q++) {
      const field = random() < 0.6 ? 's' : 'a';
      const mixed = field === 'a' && random() < 0.3;
      const c =
        random() < 0.8 ? (mixed ? anyCategory() : orderedCategory()) : { $in: [orderedCategory(), orderedCategory()] };
      const filter: Document = field === 's' ? { c } : { c, g: gen.pick(['x', 'y']) };
      const form = random();
      const bound = () => gen.scalar() ?? 0;
      if (form < 0.25) filter[field] = { $gt: bound() };
      else if (form < 0.45) filter[field] = { $lte: bound() };
      else if (form < 0.6) filter[field] = { $gte: bound(), $lt: bound() };
      const sort: Record<string, 1 | -1> = { [field]: random() < 0.5 ? 1 : -1 };
      const whole = mixed || random() < 0.2;
      const skip = whole ? 0 : gen.pick([0, 0, 5]);
      const limit = whole ? 2000 : gen.pick([1, 10, 51]);
      const where = `seed ${seed} (SORT_PUSHDOWN_SEED=${seed}), filter ${describeValue(filter)}, sort ${describeValue(sort)}, skip ${skip}, limit ${limit}`;

      const expected = await plain.find(filter).sort(sort).skip(skip).limit(limit).toArray();
      const got = await pushed.find(filter).sort(sort).skip(skip).limit(limit).toArray();
      if (expected.length > 0) nonEmpty++;
      if (whole) expect(ids(got), where).to.deep.equal(ids(expected));
      if (!mixed)
        expect(
          got.map((d) => keyOf(d[field])),
          where,
        ).to.deep.equal(expected.map((d) => keyOf(d[field])));
    }
    expect(nonEmpty, `seed ${seed}`).to.be.greaterThan(queryCount / 3);
  });

  // Patch 0026: such a page also looks for the strings of an equality on another field in each row's text, before the
  // handler decodes it. The other field holds a string, an array of strings and other values (an element matches), an
  // embedded document holding one (which does not match), another scalar, or nothing (FerretDB stores no nested
  // array); strings include
  // escapes, a string that is another's JSON text (`"a"`), and the value of the equality field itself.
  it('answers pages with an equality on another field of strings exactly as with pushdown disabled (seeded)', async () => {
    const seed = Number(process.env.SORT_PUSHDOWN_SEED ?? randomInt(2 ** 31));
    const queryCount = Number(process.env.SORT_PUSHDOWN_QUERIES ?? 120);
    const random = seededRandom(seed);
    const gen = values(random);
    const { pushed, plain } = await differentialCollections(databases, 'topics', [{ c: 1, _id: 1 }]);
    const strings = [
      'a',
      'A',
      'b',
      '',
      '"a"',
      'a"b',
      'q\\',
      '<&>',
      'é',
      'e\u0301',
      '😀',
      'line\u2028sep',
      'p\u2029',
      'c\u0001',
      '\ufffd',
      'c1',
      '1',
    ];
    const topic = (): unknown => {
      const kind = random();
      if (kind < 0.35) return gen.pick(strings);
      if (kind < 0.7)
        return Array.from({ length: Math.floor(random() * 4) }, () =>
          random() < 0.8 ? gen.pick(strings) : gen.scalar(),
        );
      if (kind < 0.84) return { x: gen.pick(strings) };
      if (kind < 0.93) return gen.scalar();
      return undefined;
    };
    const documents: Document[] = [];
    for (let i = 0; i < 1500; i++) {
      const doc: Document = { _id: new ObjectId(), c: `c${i % 4}`, n: new Int32(i) };
      const t = topic();
      if (t !== undefined) doc.t = t;
      if (random() < 0.5) doc.u = gen.pick(strings);
      documents.push(doc);
    }
    await pushed.insertMany(documents.map((d) => ({ ...d })));
    await plain.insertMany(documents.map((d) => ({ ...d })));

    let nonEmpty = 0;
    for (let q = 0; q < queryCount; q++) {
      const c = random() < 0.8 ? `c${Math.floor(random() * 4)}` : { $in: ['c0', `c${1 + Math.floor(random() * 3)}`] };
      const form = random();
      const t =
        form < 0.5
          ? gen.pick(strings)
          : form < 0.65
            ? { $eq: gen.pick(strings) }
            : form < 0.85
              ? { $in: [gen.pick(strings), gen.pick(strings)] }
              : { $in: [gen.pick(strings), gen.pick(strings)], $nin: [gen.pick(strings)] };
      const filter: Document = { c, t };
      if (random() < 0.3) filter.u = gen.pick(strings);
      const sort: Record<string, 1 | -1> = { _id: random() < 0.5 ? 1 : -1 };
      const skip = gen.pick([0, 0, 3]);
      const limit = gen.pick([1, 10, 21, 2000]);
      const where = `seed ${seed} (SORT_PUSHDOWN_SEED=${seed}), filter ${describeValue(filter)}, sort ${describeValue(sort)}, skip ${skip}, limit ${limit}`;
      const expected = await plain.find(filter).sort(sort).skip(skip).limit(limit).toArray();
      const got = await pushed.find(filter).sort(sort).skip(skip).limit(limit).toArray();
      if (expected.length > 0) nonEmpty++;
      expect(
        got.map((d) => String(d._id)),
        where,
      ).to.deep.equal(expected.map((d) => String(d._id)));
    }
    expect(nonEmpty, `seed ${seed}`).to.be.greaterThan(queryCount / 3);
  });

  // Patch 0021: a sort on several fields that follow each other in such an index, in one direction, is read in order
  // too (a page breaking ties by `_id`). A sort ending in `_id` is a total order, so its pages are compared document
  // for document; one on (a, t) by the sequence of both keys where they hold no arrays (an array and its least or
  // greatest element tie, so tied documents may differ), and a whole answer by its documents. Some categories hold
  // arrays in `a` and `t` and documents as `_id`, which send the find down patch 0007's path.
  it('answers pages sorted on several fields after indexed equalities exactly as with pushdown disabled (seeded)', async () => {
    const seed = Number(process.env.SORT_PUSHDOWN_SEED ?? randomInt(2 ** 31));
    const queryCount = Number(process.env.SORT_PUSHDOWN_QUERIES ?? 120);
    const random = seededRandom(seed);
    const gen = values(random);
    const { pushed, plain } = await differentialCollections(databases, 'pagedseveral', [
      { c: 1, s: 1, _id: 1 },
      { s: -1, _id: -1 },
      { c: 1, a: 1, t: 1 },
    ]);
    const documents: Document[] = [];
    for (let i = 0; i < 1500; i++) {
      const category = i % categories;
      const mixed = category >= mixedFrom;
      const _id = mixed && i % 7 === 0 ? { x: i } : i % 5 === 0 ? new Int32(i) : new ObjectId();
      const doc: Document = { _id, c: `c${category}` };
      // few values of s, so that `_id` decides among many
      if (random() > 0.1) doc.s = gen.pick([1, 'a', new ObjectId('650102030405060708090a0b'), true, new Date(0)]);
      if (random() > 0.1) doc.a = mixed ? gen.any() : gen.scalar();
      if (random() > 0.1) doc.t = mixed ? gen.any() : gen.scalar();
      documents.push(doc);
    }
    await pushed.insertMany(documents.map((d) => ({ ...d })));
    await plain.insertMany(documents.map((d) => ({ ...d })));
    const ids = (docs: Document[]) => docs.map((d) => describeValue(d._id));
    const keys = (docs: Document[]) => docs.map((d) => `${keyOf(d.a)} ${keyOf(d.t)}`);
    const category = () => Math.floor(random() * categories);

    let nonEmpty = 0;
    for (let q = 0; q < queryCount; q++) {
      const byId = random() < 0.6;
      const direction = random() < 0.5 ? 1 : -1;
      const first = byId ? 's' : 'a';
      const sort: Record<string, 1 | -1> = byId ? { s: direction, _id: direction } : { a: direction, t: direction };
      const form = random();
      const chosen = form < 0.2 && byId ? [] : form < 0.8 ? [category()] : [category(), category()];
      const mixed = chosen.length === 0 || chosen.some((c) => c >= mixedFrom);
      const filter: Document =
        chosen.length === 0
          ? {}
          : chosen.length === 1
            ? { c: `c${chosen[0]}` }
            : { c: { $in: chosen.map((c) => `c${c}`) } };
      const bound = () => gen.scalar() ?? 0;
      const range = random();
      if (range < 0.25) filter[first] = { $gt: bound() };
      else if (range < 0.45) filter[first] = { $lte: bound() };
      const whole = random() < 0.2;
      const skip = whole ? 0 : gen.pick([0, 0, 5]);
      const limit = whole ? 2000 : gen.pick([1, 10, 51]);
      const where = `seed ${seed} (SORT_PUSHDOWN_SEED=${seed}), filter ${describeValue(filter)}, sort ${describeValue(sort)}, skip ${skip}, limit ${limit}`;

      const expected = await plain.find(filter).sort(sort).skip(skip).limit(limit).toArray();
      const got = await pushed.find(filter).sort(sort).skip(skip).limit(limit).toArray();
      if (expected.length > 0) nonEmpty++;
      if (byId) expect(ids(got), where).to.deep.equal(ids(expected));
      else {
        if (!mixed) expect(keys(got), where).to.deep.equal(keys(expected));
        if (whole) expect([...ids(got)].sort(), where).to.deep.equal([...ids(expected)].sort());
      }
    }
    expect(nonEmpty, `seed ${seed}`).to.be.greaterThan(queryCount / 3);
  });

  it('keeps MongoDB order when a sorted field holds an array or is missing', async () => {
    const { db } = databases;
    // ascending, an array sorts by its smallest element and a missing field as null; descending, by its largest
    const coll = db.collection<{ _id: number; k?: string | string[] }>('arrays');
    await coll.insertMany([{ _id: 1, k: 'b' }, { _id: 2, k: ['c', 'a'] }, { _id: 3, k: 'a' }, { _id: 4 }]);
    const order = async (sort: Sort, limit = 0) =>
      (await coll.find({}).sort(sort).limit(limit).toArray()).map((d) => d._id);
    expect(await order({ k: 1, _id: 1 })).to.deep.equal([4, 2, 3, 1]);
    expect(await order({ k: -1, _id: 1 })).to.deep.equal([2, 1, 3, 4]);
    expect(await order({ k: 1, _id: 1 }, 2)).to.deep.equal([4, 2]);
    expect(await order({ k: -1, _id: 1 }, 2)).to.deep.equal([2, 1]);
    await coll.deleteOne({ _id: 2 });
    expect(await order({ k: 1, _id: 1 }, 2)).to.deep.equal([4, 3]);
    expect(await order({ k: -1 }, 3)).to.deep.equal([1, 3, 4]);
  });

  it('explain says a sort on top-level fields is pushed down, and not with --test-disable-pushdown', async () => {
    const { db, reference } = databases;
    const coll = db.collection('explained');
    await coll.createIndex({ visibility: 1 });
    await coll.insertMany(Array.from({ length: 20 }, (_, i) => ({ visibility: i % 2 ? 'everyone' : 'members', i })));
    const explain = async (target: Db, command: Document) =>
      target.command({ explain: { find: 'explained', ...command }, verbosity: 'queryPlanner' });

    const page = await explain(db, { filter: { visibility: 'everyone' }, sort: { _id: 1 }, limit: 51 });
    expect(page.sortPushdown).to.equal(true);
    expect(page.filterPushdown).to.equal(true);
    // the keys come from a subquery run row by row (a co-routine) over the rows the index finds, then SQLite sorts
    expect(JSON.stringify(page.queryPlanner))
      .to.include('CO-ROUTINE')
      .and.include('_visibility_1')
      .and.include('USE TEMP B-TREE FOR ORDER BY');
    // patch 0010: after an equality on the fields before it in a compound index, a sort reads the index's order
    // index in order, from the range's bound, with no temporary B-tree
    await coll.createIndex({ visibility: 1, i: 1 });
    const ordered = await explain(db, { filter: { visibility: 'everyone', i: { $gt: 3 } }, sort: { i: -1 }, limit: 5 });
    expect(ordered.sortPushdown).to.equal(true);
    expect(JSON.stringify(ordered.queryPlanner))
      .to.include('__pathways_order_visibility_1_i_1')
      .and.not.include('TEMP B-TREE');
    expect((await explain(db, { sort: { i: -1, visibility: 1 }, limit: 5 })).sortPushdown).to.equal(true);
    const dotted = await explain(db, { sort: { 'a.b': 1 }, limit: 5 });
    expect(dotted.sortPushdown, 'dotted paths are sorted in Go').to.equal(false);
    const whole = await explain(db, { filter: { visibility: 'everyone' }, sort: { _id: 1 } });
    expect(whole.sortPushdown, 'without a limit every document is read anyway').to.equal(false);
    const unindexed = await explain(db, { filter: { i: 3 }, sort: { _id: 1 }, limit: 5 });
    expect(unindexed.sortPushdown, 'a filter read in Go over every document').to.equal(false);
    const referenceExplain = await explain(reference.db, { sort: { _id: 1 }, limit: 5 });
    expect(referenceExplain.sortPushdown, 'the reference server pushes nothing down').to.equal(false);
  });
});
