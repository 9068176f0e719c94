import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import { differentialCollections, seededRandom, useDifferentialDatabases } from '../support/referenceDatabase.ts';
import { Int32, Long, ObjectId, type Document, type Filter, type Sort } from 'mongodb';

/**
 * Patch 0012 (tools/ferretdb/patches): a find with an inclusion projection decodes only the top-level fields its
 * filter, sort and projection name, so a list that shows a module's title no longer decodes its body. It must never
 * change an answer. As in sortPushdown.test.ts, the same generated documents go to the suite's FerretDB and to one
 * started with --test-disable-pushdown (every field of every document decoded), and generated finds must answer
 * the same documents, field for field and in the same order. The finds mix what the patch narrows (inclusion
 * projections, dotted paths, `_id: 0`, filters on fields outside the projection, sorts on them) with what it must
 * leave whole ($or, $expr, $exists: false, exclusions, $slice, $elemMatch), and the documents hold long strings,
 * embedded documents, arrays of documents and missing fields. Patch 0027 narrows further, to the members one level
 * down a find reads ("arr.k"): the arrays also hold scalars, nulls and empty documents (FerretDB stores no nested
 * arrays), and the finds name members through filters, sorts, several paths, deeper paths and array indexes ("arr.0",
 * "arr.+0", read whole). Patch 0031 leaves undecoded the fields an exclusion drops: the finds exclude fields they also
 * filter or sort on, and others. Seeded: FIELD_PUSHDOWN_SEED=<seed> replays a failure.
 */
function describeValue(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Long) return `Long(${v.toString()})`;
    if (v instanceof Int32) return `Int32(${v.value})`;
    return v;
  });
}

describe('database: fields pushdown (only the fields a find needs are decoded)', function () {
  this.timeout(300_000);
  const databases = useDifferentialDatabases('fieldpushdown');

  it('answers generated finds with projections exactly as with pushdown disabled (seeded; the seed is printed on failure)', async () => {
    const seed = Number(process.env.FIELD_PUSHDOWN_SEED ?? randomInt(2 ** 31));
    const random = seededRandom(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const category = () => Math.floor(random() * 8);
    const scalars = ['a', 'b', '', 'é', 1, 2, 2.5, new Int32(3), true, false, null, new Date(0), 'x'.repeat(40)];
    const { pushed, plain } = await differentialCollections(databases, 'docs', [{ c: 1 }]);

    const arrayElement = (): unknown => {
      const r = random();
      if (r < 0.1) return pick(scalars);
      if (r < 0.15) return null;
      if (r < 0.2) return {};
      const element: Document = { k: pick(scalars), v: pick(scalars) };
      if (random() > 0.5) element.w = { deep: pick(scalars), note: 'a note '.repeat(Math.floor(random() * 20)) };
      if (random() > 0.7) delete element.k;
      return element;
    };
    const documents: Document[] = [];
    for (let i = 0; i < 600; i++) {
      const doc: Document = { _id: i % 2 ? new ObjectId() : new Int32(i), c: `c${i % 8}`, n: new Int32(i) };
      if (random() > 0.2) doc.s = pick(scalars);
      if (random() > 0.3) doc.body = `${pick(scalars)} ${'lorem ipsum '.repeat(Math.floor(random() * 400))}`;
      if (random() > 0.2) doc.d = { x: pick(scalars), y: [pick(scalars), pick(scalars)], z: { deep: pick(scalars) } };
      if (random() > 0.2) doc.arr = Array.from({ length: Math.floor(random() * 5) }, arrayElement);
      if (random() > 0.5) doc.title = `Title ${i}`;
      documents.push(doc);
    }
    await pushed.insertMany(documents.map((d) => ({ ...d })));
    await plain.insertMany(documents.map((d) => ({ ...d })));

    const filters: Array<() => Filter<Document>> = [
      () => ({}),
      () => ({ c: `c${category()}` }),
      () => ({ c: { $in: [`c${category()}`, `c${category()}`] }, s: pick(scalars) }),
      () => ({ 'd.x': pick(scalars) }),
      () => ({ 'arr.k': pick(scalars) }),
      () => ({ n: { $gte: Math.floor(random() * 600) }, title: { $exists: true } }),
      () => ({ s: { $exists: false } }),
      () => ({ $or: [{ c: `c${category()}` }, { s: pick(scalars) }] }),
      // Logical operators name their fields too (patch 0024), at any depth, beside top-level fields.
      () => ({
        c: { $in: [`c${category()}`, `c${category()}`] },
        $or: [{ s: pick(scalars) }, { 'd.x': pick(scalars) }],
      }),
      () => ({
        $and: [{ n: { $lt: Math.floor(random() * 600) } }, { $or: [{ title: { $exists: true } }, { s: null }] }],
      }),
      () => ({ $nor: [{ c: `c${category()}` }, { 'arr.k': pick(scalars) }], s: { $exists: true } }),
      () => ({ $or: [{ c: `c${category()}` }, { $expr: { $eq: ['$s', pick(scalars)] } }] }),
      () => ({ $expr: { $eq: ['$c', `c${category()}`] } }),
      () => ({ c: `c${category()}`, $comment: 'a comment' }),
      // Members of an array's documents (patch 0027), outside the projection too.
      () => ({ 'arr.v': pick(scalars) }),
      () => ({ 'arr.w.deep': { $exists: true } }),
      () => ({ 'arr.k': { $in: [pick(scalars), pick(scalars)] }, c: `c${category()}` }),
      () => ({ 'arr.0.k': pick(scalars) }),
      // FerretDB reads "+0" as an index too (strconv.Atoi): the field is read whole, as for "0".
      () => ({ 'arr.+0.v': pick(scalars) }),
      () => ({ arr: { $size: 2 } }),
    ];
    const projections: Document[] = [
      { title: 1 },
      { title: 1, _id: 0 },
      { s: true, n: 1 },
      { 'd.x': 1 },
      { 'd.z.deep': 1, c: 1 },
      { 'arr.k': 1 },
      { body: 0 },
      { body: 0, d: 0 },
      { _id: 0 },
      { _id: 1 },
      { arr: { $slice: 1 }, title: 1 },
      { arr: { $elemMatch: { k: 'a' } } },
      { title: 1, c: 1, d: 1 },
      { 'arr.k': 1, 'arr.v': 1 },
      { 'arr.k': 1, 'd.x': 1, title: 1, _id: 0 },
      { 'arr.w.deep': 1, 'd.z': 1 },
      { 'arr.0': 1, 'arr.k': 1 },
      { 'arr.v': 1, arr: 1 },
      // Exclusions (patch 0031): what they drop is not decoded, unless the filter or sort reads it.
      { arr: 0 },
      { arr: 0, title: 0, _id: 0 },
      { d: false, s: 0, body: 0 },
      { 'd.x': 0, body: 0 },
    ];
    const sorts: Sort[] = [
      {},
      { n: -1 },
      { s: 1, _id: 1 },
      { 'd.x': -1, _id: 1 },
      { title: 1, _id: -1 },
      { 'arr.k': 1, _id: 1 },
      { 'arr.-0.v': 1, _id: 1 },
    ];

    let nonEmpty = 0;
    for (let q = 0; q < 360; q++) {
      const filter = pick(filters)();
      const projection = pick(projections);
      const sort = pick(sorts);
      // Without a total order, documents come in any order: a limit is used only with one, and sets compared without.
      const exact = Object.keys(sort).includes('_id') || Object.keys(sort).includes('n');
      const limit = exact ? pick([0, 5, 40]) : 0;
      const where = `seed ${seed} (FIELD_PUSHDOWN_SEED=${seed}), filter ${describeValue(filter)}, projection ${describeValue(projection)}, sort ${describeValue(sort)}, limit ${limit}`;
      const answer = async (side: typeof pushed) => {
        try {
          const found = await side.find(filter, { projection }).sort(sort).limit(limit).toArray();
          const texts = found.map(describeValue);
          return exact ? texts : texts.sort();
        } catch (error) {
          return `error ${(error as { code?: number }).code}: ${(error as Error).message}`;
        }
      };
      const expected = await answer(plain);
      const got = await answer(pushed);
      expect(got, where).to.deep.equal(expected);
      if (Array.isArray(expected) && expected.length > 0) nonEmpty++;
    }
    expect(nonEmpty, `seed ${seed}`).to.be.greaterThan(110);
  });
});
