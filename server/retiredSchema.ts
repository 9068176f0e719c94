import type { Db } from 'mongodb';

/**
 * What earlier versions of Pathways stored and this one no longer reads: dropped when the app starts, so an upgraded
 * database does not keep them for ever. Each stale index still costs every write to its collection (on the embedded
 * database patch 0010 keeps an order index beside it too), and the retired read models hold copies of people's
 * names and emails that erasure no longer visits. Everything listed here is derived or spent data; the sources it was
 * built from are kept.
 *
 * Add an entry when a release stops declaring an index or a collection. Names are the ones mongoose gave them
 * (fields and directions joined by underscores).
 */
export const retiredCollections: readonly { name: string; why: string }[] = [
  { name: 'learnerrecords', why: 'learning progress read model, retired in December 2026 (issue 11)' },
  { name: 'cohortrecords', why: 'cohort progress read model, retired in December 2026 (issue 11)' },
  { name: 'cohortsnapshots', why: 'roster and attendance snapshots, retired in December 2026 (issue 11)' },
  { name: 'snapshotrepairs', why: 'repair rows of the snapshots, retired with them (issue 11)' },
  { name: 'singleuses', why: 'claim rows of emailed links, now used up by a conditional update (issue 11)' },
  {
    name: 'sessionregisters',
    why: "sessions' register copies, kept in the sessions themselves since 8 December 2026 (the repair writes them)",
  },
];

export const retiredIndexes: readonly { collection: string; name: string; why: string }[] = [
  ...['at_-1', 'actorId_1_at_-1', 'targetId_1_at_-1', 'action_1_at_-1'].map((name) => ({
    collection: 'auditevents',
    name,
    why: 'now ends in _id, the audit pages’ tie-breaker',
  })),
  { collection: 'researchconsents', name: 'userId_1_at_1', why: 'now ends in _id' },
  { collection: 'notifications', name: 'userId_1_sendAt_-1', why: 'now ends in _id, the lists’ tie-breaker' },
  { collection: 'users', name: 'calendarToken_1', why: 'feeds find her by the user id in their address' },
  { collection: 'recruitmentrounds', name: 'status_1', why: 'replaced by (status, closedAt)' },
  { collection: 'directoryprofiles', name: 'country_1_visibility_1', why: 'now ends in _id' },
  { collection: 'directoryprofiles', name: 'topics_1_visibility_1', why: 'now ends in _id' },
  { collection: 'networkmemberships', name: 'networkId_1_userId_1', why: 'unique on (userId, networkId) instead' },
  { collection: 'networkmemberships', name: 'userId_1_status_1', why: 'served by the unique (userId, networkId)' },
  {
    collection: 'certificates',
    name: 'userId_1_cohortId_1',
    why: 'unique on (userId, cohortId, programmeId) instead: a cohort moved to another programme owes its certificate too',
  },
  {
    collection: 'networkpostreports',
    name: 'networkId_1_createdAt_-1',
    why: 'now (networkId, _id): the moderation list pages by id',
  },
  {
    collection: 'networkpostreports',
    name: 'postId_1_reporterId_1',
    why: 'unique on (postId, replyId, reporterId) instead, so a reply can be reported too',
  },
];

/** Server answers meaning "already gone": NamespaceNotFound and IndexNotFound (MongoDB and FerretDB alike). */
const alreadyGone = (error: unknown) => {
  const e = error as { code?: number; codeName?: string };
  return e.code === 26 || e.code === 27 || e.codeName === 'NamespaceNotFound' || e.codeName === 'IndexNotFound';
};

/**
 * Drops whatever of the retired collections and indexes this database still has, and says what it dropped.
 * Several processes may start at once: a drop that finds the thing already gone is not an error.
 */
export async function dropRetiredSchema(db: Db): Promise<{ collections: string[]; indexes: string[] }> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const dropped = { collections: [] as string[], indexes: [] as string[] };
  for (const { name } of retiredCollections) {
    if (!existing.has(name)) continue;
    try {
      await db.collection(name).drop();
      dropped.collections.push(name);
    } catch (error) {
      if (!alreadyGone(error)) throw error;
    }
  }
  for (const collection of new Set(retiredIndexes.map((i) => i.collection))) {
    if (!existing.has(collection)) continue;
    const indexes = await db
      .collection(collection)
      .indexes()
      .catch((error: unknown) => (alreadyGone(error) ? [] : Promise.reject(error)));
    const present = new Set(indexes.map((i) => i.name));
    for (const { name } of retiredIndexes.filter((i) => i.collection === collection)) {
      if (!present.has(name)) continue;
      try {
        await db.collection(collection).dropIndex(name);
        dropped.indexes.push(`${collection}.${name}`);
      } catch (error) {
        if (!alreadyGone(error)) throw error;
      }
    }
  }
  return dropped;
}
