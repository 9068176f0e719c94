import mongoose from 'mongoose';
import { readWithoutCursor } from '../server/readWithoutCursor.ts';
import { startBenchDatabase } from './database.ts';

/**
 * `npm run bench:command-cost`: what one database command costs the app's own CPU, which is what sets a page's rate
 * (README "Benchmarks": the app's one thread is the bottleneck under load). Times, one after another, a ping (what
 * /healthz sends), a findOne by _id through the driver and through mongoose, and finds of 10, 100 and 300 small
 * documents, each through mongoose's cursor and through readWithoutCursor (server/readWithoutCursor.ts), and prints the process's CPU time (user + system, all its threads) and the wall time per command.
 */
const rounds = 2;

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  try {
    await mongoose.connect(database.uri, { dbName: 'pathways_command_cost' });
    const Thing = mongoose.model(
      'CommandCostThing',
      new mongoose.Schema({ n: Number, name: String, groupId: mongoose.Schema.Types.ObjectId, status: String }),
    );
    await Thing.createIndexes();
    await Thing.deleteMany({});
    const groupId = new mongoose.Types.ObjectId();
    await Thing.insertMany(
      Array.from({ length: 300 }, (_, n) => ({ n, name: `Participant number ${n}`, groupId, status: 'present' })),
    );
    const one = (await Thing.findOne().lean())!._id;
    const driver = Thing.collection;
    const db = mongoose.connection.db!;
    const cases: [string, number, () => Promise<unknown>][] = [
      ['ping (what /healthz sends)', 1000, () => db.admin().ping()],
      ['findOne by _id, driver', 1000, () => driver.findOne({ _id: one })],
      ['findOne by _id, mongoose lean', 1000, () => Thing.findOne({ _id: one }).lean()],
      ['findOne by _id, readWithoutCursor', 1000, () => readWithoutCursor(Thing.findOne({ _id: one }).lean())],
      ['find 10 documents, mongoose lean', 500, () => Thing.find({ groupId }).limit(10).lean()],
      ['find 10 documents, readWithoutCursor', 500, () => readWithoutCursor(Thing.find({ groupId }).limit(10).lean())],
      ['find 100 documents, mongoose lean', 300, () => Thing.find({ groupId }).limit(100).lean()],
      [
        'find 100 documents, readWithoutCursor',
        300,
        () => readWithoutCursor(Thing.find({ groupId }).limit(100).lean()),
      ],
      ['find 300 documents, mongoose lean', 200, () => Thing.find({ groupId }).lean()],
      [
        'find 300 documents, readWithoutCursor',
        200,
        () => readWithoutCursor(Thing.find({ groupId }).batchSize(1000).lean()),
      ],
    ];
    for (let round = 1; round <= rounds; round++) {
      console.log(`\nround ${round} of ${rounds} (the first includes JIT warm-up)`);
      for (const [label, times, run] of cases) {
        for (let i = 0; i < 50; i++) await run();
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        for (let i = 0; i < times; i++) await run();
        const cpu = process.cpuUsage(cpuBefore);
        const wallUs = ((performance.now() - started) * 1000) / times;
        console.log(
          `${label.padEnd(38)} app CPU ${((cpu.user + cpu.system) / times).toFixed(0).padStart(5)} µs  wall ${wallUs.toFixed(0).padStart(6)} µs`,
        );
      }
    }
    await mongoose.connection.dropDatabase();
  } finally {
    await mongoose.disconnect();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
