import { parseArgs } from 'node:util';
import { MongoClient, ObjectId } from 'mongodb';
import { startBenchDatabase } from './database.ts';

/**
 * `node --import tsx bench/networkCounts.ts [--people 10000] [--networks 35] [--repeat 9]`
 *
 * Why the networks list keeps `memberCount` on each network (one `$inc` per status change) instead of counting:
 * times the list's two ways of getting 35 member counts with every person in two networks, on the indexes the
 * models declare: (a) read the 35 network documents, (b) the same plus one `countDocuments({ networkId, status })`
 * per network on the `(networkId, status, role)` index. Prints the median of --repeat runs.
 */
const { values: args } = parseArgs({
  options: {
    people: { type: 'string', default: '10000' },
    networks: { type: 'string', default: '35' },
    repeat: { type: 'string', default: '9' },
  },
});
const people = Number(args.people);
const count = Number(args.networks);
const repeat = Number(args.repeat);

const database = await startBenchDatabase();
const client = await new MongoClient(database.uri).connect();
const db = client.db('benchnetworkcounts');
try {
  await db.dropDatabase();
  const networks = db.collection('networks');
  const memberships = db.collection('networkmemberships');
  await networks.createIndex({ nameKey: 1 }, { unique: true });
  await memberships.createIndex({ networkId: 1, userId: 1 }, { unique: true });
  await memberships.createIndex({ userId: 1, status: 1 });
  await memberships.createIndex({ networkId: 1, status: 1, role: 1 });
  const ids = Array.from({ length: count }, () => new ObjectId());
  await networks.insertMany(
    ids.map((_id, i) => ({ _id, name: `N${i}`, nameKey: `n${i}`, kind: 'interest', memberCount: 0 })),
  );
  const rows = [];
  for (let n = 0; n < people; n++) {
    const userId = new ObjectId();
    const a = n % count;
    const b = (n * 7 + 3) % count === a ? (a + 1) % count : (n * 7 + 3) % count;
    for (const i of [a, b]) rows.push({ networkId: ids[i], userId, status: 'member', role: 'member' });
  }
  for (let s = 0; s < rows.length; s += 5000) await memberships.insertMany(rows.slice(s, s + 5000));

  const median = async (run: () => Promise<unknown>): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    return times[Math.floor(times.length / 2)]!;
  };
  const stored = await median(() => networks.find({}).toArray());
  const counted = await median(async () => {
    const list = await networks.find({}).toArray();
    return Promise.all(list.map((n) => memberships.countDocuments({ networkId: n._id, status: 'member' })));
  });
  const inc = await median(() => networks.updateOne({ _id: ids[0] }, { $inc: { memberCount: 1 } }));
  console.log(
    `${people} people, ${count} networks, ${rows.length} memberships (${database.kind}); median of ${repeat}`,
  );
  console.log(`list with stored memberCount:          ${stored.toFixed(1)} ms`);
  console.log(`list + countDocuments per network:     ${counted.toFixed(1)} ms`);
  console.log(`one $inc of memberCount (per change):  ${inc.toFixed(1)} ms`);
} finally {
  await client.close();
  await database.stop();
}
