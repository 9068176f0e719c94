import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { startBenchDatabase } from './database.ts';

/**
 * `node --import tsx bench/pushdown.ts [--docs 60000] [--repeat 20] [--server-pid <pid>]`
 *
 * Times lookups by an indexed field other than `_id` (equality, `$in` of three values, a unique field) on a
 * collection that has the indexes and on the same documents without them, which is what FerretDB did for every
 * such filter before our index pushdown patch (tools/ferretdb/patches/0002): read and decode every document.
 * Prints the median of --repeat runs of each. BENCH_MONGODB_URI measures another server (for example a build
 * without the patch).
 *
 * The sorted pages (a page of 51 out of 4,000 matches, or out of the whole collection) measure sort pushdown
 * (patch 0007), which needs no index for the sort: compare a run on this build with one whose
 * BENCH_MONGODB_URI is a FerretDB built with patches 0001–0006 only. On a busy machine wall times swing; with
 * --server-pid (the process id of the server at BENCH_MONGODB_URI, on Linux) it also prints the server's CPU
 * time per run, which does not.
 */
const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '60000' },
    repeat: { type: 'string', default: '20' },
    'server-pid': { type: 'string' },
  },
});
/** The server's user + system CPU time in ms (clock ticks of 10 ms), from /proc; 0 without --server-pid. */
const serverCpu = (): number => {
  if (!args['server-pid']) return 0;
  const fields = readFileSync(`/proc/${args['server-pid']}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const docs = Number(args.docs);
const repeat = Number(args.repeat);

const database = await startBenchDatabase();
const client = await new MongoClient(database.uri).connect();
const db = client.db('benchpushdown');
try {
  await db.dropDatabase();
  const indexed = db.collection('indexed');
  const plain = db.collection('plain');
  await indexed.createIndex({ cohortId: 1 });
  await indexed.createIndex({ email: 1 }, { unique: true });
  await indexed.createIndex({ visibility: 1 });
  for (let start = 0; start < docs; start += 5000) {
    const batch = Array.from({ length: Math.min(5000, docs - start) }, (_, k) => {
      const i = start + k;
      const visibility = `v${i % 15}`; // 4,000 documents each, as a directory's "everyone"
      return { cohortId: `c${i % 600}`, email: `p${i}@example.org`, n: i, visibility, note: 'x'.repeat(40) };
    });
    await indexed.insertMany(batch.map((d) => ({ ...d })));
    await plain.insertMany(batch.map((d) => ({ ...d })));
  }

  const median = async (run: () => Promise<unknown>): Promise<string> => {
    const times: number[] = [];
    const cpu0 = serverCpu();
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    const cpu = (serverCpu() - cpu0) / repeat;
    times.sort((a, b) => a - b);
    const wall = `${times[Math.floor(times.length / 2)]!.toFixed(1)}ms`;
    return args['server-pid'] ? `${wall} (cpu ${cpu.toFixed(1)})` : wall;
  };
  const lookups: Array<[string, (c: Collection<Document>) => Promise<unknown>]> = [
    ['find { cohortId: c } (100 of them)', (c) => c.find({ cohortId: 'c17' }).toArray()],
    ['find { cohortId: { $in: [3] } } (300)', (c) => c.find({ cohortId: { $in: ['c1', 'c2', 'c3'] } }).toArray()],
    ['findOne { email } (unique)', (c) => c.findOne({ email: 'p4242@example.org' })],
    ['updateOne { email } $inc', (c) => c.updateOne({ email: 'p4242@example.org' }, { $inc: { n: 1 } })],
    ['countDocuments { cohortId: c }', (c) => c.countDocuments({ cohortId: 'c17' })],
    ['find { visibility } sort _id limit 51', (c) => c.find({ visibility: 'v3' }).sort({ _id: 1 }).limit(51).toArray()],
    [
      'find { visibility } sort n -1 skip 51 limit 51',
      (c) => c.find({ visibility: 'v3' }).sort({ n: -1 }).skip(51).limit(51).toArray(),
    ],
    ['find {} sort email limit 20', (c) => c.find({}).sort({ email: 1 }).limit(20).toArray()],
    ['find { cohortId } sort email (100)', (c) => c.find({ cohortId: 'c17' }).sort({ email: 1 }).toArray()],
  ];
  console.log(`${docs} documents, median of ${repeat} runs (${database.kind} at ${database.uri})`);
  const width = args['server-pid'] ? 22 : 10;
  console.log(`${'lookup'.padEnd(46)} ${'no index'.padStart(width)} ${'index'.padStart(width)}`);
  for (const [label, run] of lookups) {
    const without = await median(() => run(plain));
    const withIndex = await median(() => run(indexed));
    console.log(`${label.padEnd(46)} ${without.padStart(width)} ${withIndex.padStart(width)}`);
  }
} finally {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
  await database.stop();
}
