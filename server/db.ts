import mongoose from 'mongoose';
import { logger } from './logger.ts';

/** Database names must be Latin letters only on FerretDB 1.x, so the default is plain. */
export const defaultDatabaseName = 'pathways';

mongoose.set('strictQuery', true);
// Fail fast instead of buffering commands for 10 s when the database is unreachable.
mongoose.set('bufferTimeoutMS', 5_000);

/** The database named in a connection string's path (mongodb://host/pathways), if any. */
export function databaseNameInUri(uri: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/** A connection string's scheme, hosts and database, for messages: without the password or query options. */
export function uriWithoutSecrets(uri: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/]*@)?([^/?]*)(\/[^?]*)?/.exec(uri);
  return match ? `${match[1]}${match[2]}${match[3] ?? ''}` : '(not a mongodb:// URI)';
}

/** Connects to `dbName`, else the database named in the URI, else "pathways". */
export async function connectDatabase(
  uri: string,
  dbName?: string,
  options: mongoose.ConnectOptions = {},
): Promise<typeof mongoose> {
  await mongoose.connect(uri, {
    dbName: dbName ?? databaseNameInUri(uri) ?? defaultDatabaseName,
    serverSelectionTimeoutMS: 5_000,
    // buildIndexes below creates every model's collection and indexes, one command a collection; left on, mongoose
    // would first do it again its own way, a command per index.
    autoIndex: false,
    autoCreate: false,
    ...options,
  });
  connectedToFerretDb = await isFerretDb();
  // Build every model's indexes now, so a unique index that rules a concurrency guarantee exists before traffic.
  await buildIndexes();
  return mongoose;
}

/**
 * Builds every model's indexes. A model whose unique index data written by an earlier version may break
 * (models/Module.ts) sets `autoIndex: false` and repairs that data in its static `repairBeforeIndexes`; its indexes
 * are built here, after the repair.
 */
export async function buildIndexes(): Promise<void> {
  type Repairable = mongoose.Model<unknown> & { repairBeforeIndexes?: () => Promise<number> };
  const models = Object.values(mongoose.connection.models) as Repairable[];
  const repairedFirst = (m: Repairable) => m.schema.get('autoIndex') === false && m.repairBeforeIndexes !== undefined;
  await Promise.all(models.filter((m) => !repairedFirst(m)).map(createCollectionAndIndexes));
  for (const m of models.filter(repairedFirst)) {
    const repaired = await m.repairBeforeIndexes!();
    if (repaired) logger.info({ model: m.modelName, repaired }, 'repaired documents before building their indexes');
    await createCollectionAndIndexes(m);
  }
}

/**
 * A model's collection and every index its schema declares, in one `createIndexes` command (which creates the
 * collection too): mongoose's own `init` sends one command per index, and a start (or a test file's fresh database)
 * builds about 170 indexes over 70 collections. An index that already exists as declared is left as it is; one that
 * exists under the same name with other options fails the start on MongoDB, as it did through mongoose (FerretDB keeps
 * the old one: README, Limits).
 */
export async function createCollectionAndIndexes(model: mongoose.Model<unknown>): Promise<void> {
  const indexes = model.schema.indexes().map(([key, options]) => ({ key, ...options }));
  if (indexes.length) {
    await model.collection.createIndexes(indexes as Parameters<typeof model.collection.createIndexes>[0]);
    return;
  }
  await mongoose.connection
    .db!.createCollection(model.collection.collectionName)
    .catch((error: { codeName?: string }) => {
      if (error.codeName !== 'NamespaceExists') throw error;
    });
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** True when the database answers a ping within a second. */
export async function databaseIsUp(): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== 1) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.admin().ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), 1_000);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    // Without this every health check left a one-second timer behind: hundreds at a load balancer's polling rate.
    clearTimeout(timer);
  }
}

/** FerretDB reports itself in buildInfo (`ferretdbVersion`); it lacks TTL indexes, which MongoDB has. */
export async function isFerretDb(): Promise<boolean> {
  const info = await mongoose.connection.db!.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
}

let connectedToFerretDb: boolean | undefined;

/** What connectDatabase found on the other end, for the few settings that differ (the session store's expiry). */
export function connectedDatabase(): { ferretDb: boolean } {
  if (connectedToFerretDb === undefined) throw new Error('connectDatabase() has not run');
  return { ferretDb: connectedToFerretDb };
}

/** True when an error is a duplicate-key violation of a unique index (MongoDB and FerretDB alike). */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: number; codeName?: string; message?: string; writeErrors?: { code?: number }[] };
  return (
    e.code === 11000 ||
    e.codeName === 'DuplicateKey' ||
    (e.writeErrors?.some((w) => w.code === 11000) ?? false) ||
    // FerretDB's SQLite backend answers an update that breaks a unique index with an InternalError naming the index
    // (an insert gets 11000): without this, a change of email to an address taken meanwhile was a 500, not a 409.
    (e.code === 1 && /UNIQUE constraint failed: index /.test(e.message ?? ''))
  );
}
