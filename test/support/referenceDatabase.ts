import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../server/embeddedDatabase.ts';
import { scratchParent } from './scratch.ts';

/** mulberry32: a small seeded generator, so a failing differential run can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type DifferentialDatabases = {
  /** A fresh database on the suite's server (our FerretDB build, or MONGODB_URI). */
  readonly db: Db;
  /**
   * The reference: on FerretDB, the same database name on a second FerretDB started with --test-disable-pushdown,
   * which reads every document and filters and sorts it in Go (`separate`); on MongoDB, the suite's own database.
   */
  readonly reference: { db: Db; separate: boolean };
};

/**
 * The collection a differential test queries on each side: `name` on the suite's server and its twin on the reference
 * (on MongoDB, where both sides are one database, a second collection), each with the same indexes.
 */
export async function differentialCollections(
  databases: DifferentialDatabases,
  name: string,
  indexes: Array<Document | { key: Document; unique: true }>,
): Promise<{ pushed: Collection<Document>; plain: Collection<Document> }> {
  const { db, reference } = databases;
  const pushed = db.collection(name);
  const plain = reference.db.collection(reference.separate ? name : `${name}plain`);
  for (const collection of reference.separate ? [pushed, plain] : [pushed])
    for (const index of indexes)
      await ('key' in index
        ? collection.createIndex(index.key as Document, { unique: true })
        : collection.createIndex(index));
  return { pushed, plain };
}

/**
 * The two databases of a differential test of our FerretDB patches (one `describe` block): what the patches answer
 * must equal what FerretDB answers with pushdown disabled. Both are dropped and the reference server stopped after
 * the block.
 */
export function useDifferentialDatabases(prefix: string): DifferentialDatabases {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const name = prefix + Array.from({ length: 10 }, () => letters[randomInt(letters.length)]).join('');
  let client: MongoClient | undefined;
  let db: Db | undefined;
  let reference: { db: Db; separate: boolean } | undefined;
  let referenceServer: { server: EmbeddedDatabase; dataDir: string; client: MongoClient } | undefined;

  before(async function () {
    this.timeout(120_000);
    client = await new MongoClient(process.env.MONGODB_URI!).connect();
    db = client.db(name);
    const info = await db.admin().command({ buildInfo: 1 });
    if (!info.ferretdbVersion) {
      reference = { db, separate: false };
      return;
    }
    const dataDir = mkdtempSync(path.join(scratchParent(), `pathways-${prefix}-reference-`));
    const server = await startEmbeddedDatabase({ dataDir, ferretDbArgs: ['--test-disable-pushdown'] });
    const referenceClient = await new MongoClient(server.uri).connect();
    referenceServer = { server, dataDir, client: referenceClient };
    reference = { db: referenceClient.db(name), separate: true };
  });

  after(async () => {
    await db?.dropDatabase().catch(() => undefined);
    if (reference?.separate) await reference.db.dropDatabase().catch(() => undefined);
    await client?.close();
    await referenceServer?.client.close();
    await referenceServer?.server.stop();
    if (referenceServer) rmSync(referenceServer.dataDir, { recursive: true, force: true });
  });

  return {
    get db() {
      if (!db) throw new Error('the databases are opened in the before hook');
      return db;
    },
    get reference() {
      if (!reference) throw new Error('the databases are opened in the before hook');
      return reference;
    },
  };
}
