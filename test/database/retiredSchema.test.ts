import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import mongoose from 'mongoose';
// The app and the jobs between them import every model, so the database builds their indexes as the app's does.
import '../../server/app.ts';
import '../../jobs/index.ts';
import { dropRetiredSchema, retiredCollections, retiredIndexes } from '../../server/retiredSchema.ts';
import { useTestDatabase } from '../support/db.ts';

/** The name MongoDB and mongoose give an index with no name of its own: field_direction joined by underscores. */
const defaultName = (keys: Record<string, unknown>) =>
  Object.entries(keys)
    .map(([field, direction]) => `${field}_${String(direction)}`)
    .join('_');

describe('database: what earlier versions stored is dropped at start-up', function () {
  this.timeout(60_000);
  useTestDatabase();

  const db = () => mongoose.connection.db!;

  /** An upgraded database: the retired read models with someone's name in them, and the retired indexes. */
  async function anOldDatabase() {
    await db()
      .collection('cohortsnapshots')
      .insertOne({ _id: 'roster:c1', payload: '[{"name":"Ada Lovelace"}]' } as never);
    await db()
      .collection('learnerrecords')
      .insertOne({ _id: 'u1', payload: '{}' } as never);
    await db().collection('auditevents').createIndex({ at: -1 });
    await db().collection('auditevents').createIndex({ actorId: 1, at: -1 });
    await db().collection('networkmemberships').createIndex({ networkId: 1, userId: 1 }, { unique: true });
  }

  it('drops the retired collections and indexes and keeps every index the models declare', async () => {
    await anOldDatabase();
    const indexNames = async (collection: string) => (await db().collection(collection).indexes()).map((i) => i.name);
    const auditBefore = await indexNames('auditevents');
    expect(auditBefore).to.include.members(['at_-1', 'actorId_1_at_-1', 'at_-1__id_-1']);

    const dropped = await dropRetiredSchema(db());

    expect(dropped.collections).to.have.members(['cohortsnapshots', 'learnerrecords']);
    expect(dropped.indexes).to.have.members([
      'auditevents.at_-1',
      'auditevents.actorId_1_at_-1',
      'networkmemberships.networkId_1_userId_1',
    ]);
    const collections = (await db().listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(collections).to.not.include.members(['cohortsnapshots', 'learnerrecords']);
    expect(await indexNames('auditevents')).to.have.members(
      auditBefore.filter((n) => !/^(at|actorId_1_at)_-1$/.test(n!)),
    );
    expect(await indexNames('networkmemberships')).to.include('userId_1_networkId_1');
  });

  it('does nothing on a database that has none of them, and two processes starting at once both succeed', async () => {
    expect(await dropRetiredSchema(db())).to.deep.equal({ collections: [], indexes: [] });

    await anOldDatabase();
    const [a, b] = await Promise.all([dropRetiredSchema(db()), dropRetiredSchema(db())]);
    expect([...a.collections, ...b.collections]).to.include.members(['cohortsnapshots', 'learnerrecords']);
    expect([...a.indexes, ...b.indexes]).to.include.members(['auditevents.at_-1', 'auditevents.actorId_1_at_-1']);
    expect(await dropRetiredSchema(db())).to.deep.equal({ collections: [], indexes: [] });
  });

  it('never names an index or a collection the current models use', () => {
    const modelFiles = readdirSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models'));
    const declared = modelFiles.filter((f) => /^[A-Z]\w+\.ts$/.test(f) && f !== 'ResearchCohortFigures.ts').length;
    expect(Object.keys(mongoose.models).length).to.be.at.least(declared);
    for (const model of Object.values(mongoose.models)) {
      const collection = model.collection.collectionName;
      expect(retiredCollections.map((c) => c.name)).to.not.include(collection);
      for (const [keys, options] of model.schema.indexes()) {
        const name = (options as { name?: string }).name ?? defaultName(keys);
        expect(retiredIndexes.filter((i) => i.collection === collection).map((i) => i.name)).to.not.include(name);
      }
    }
  });
});
