import { randomInt } from 'node:crypto';
import mongoose from 'mongoose';
import { connectDatabase } from '../../server/db.ts';
import { workAfterAnswersDone } from '../../server/http/afterAnswering.ts';

/** FerretDB 1.x accepts database names of Latin letters only. */
function databaseName(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return 'test' + Array.from({ length: 12 }, () => letters[randomInt(letters.length)]).join('');
}

/**
 * Gives the calling test file its own database on the run's server: connected before its first test,
 * dropped after its last. Call once at the top of a file's outer describe. `monitorCommands` lets a test listen to
 * the commands the app sends (`commandStarted` on mongoose's client), to check how they are answered.
 */
export function useTestDatabase(options: { monitorCommands?: boolean } = {}): void {
  before(async function () {
    this.timeout(60_000);
    if (mongoose.connection.readyState !== 0) await mongoose.disconnect();
    await connectDatabase(process.env.MONGODB_URI!, databaseName(), options);
  });
  after(async () => {
    // Work the app started after answering (an emailed link) writes to this file's database, not the next file's.
    await workAfterAnswersDone();
    await mongoose.connection.dropDatabase().catch(() => undefined);
    await mongoose.disconnect();
  });
}

/** Empties every collection (for files whose tests need a blank slate each time). */
export async function clearDatabase(): Promise<void> {
  const collections = await mongoose.connection.db!.collections();
  await Promise.all(collections.map((c) => c.deleteMany({})));
}
