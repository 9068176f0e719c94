import mongoose, { type Query } from 'mongoose';

const { Long, MongoServerError } = mongoose.mongo;

/**
 * Server errors after which the driver retries a read once (its "retryable reads": a primary stepping down, a node
 * shutting down, a network timeout); on these a read here is sent again the driver's way, which retries it.
 */
const retryableReadCodes = new Set([
  6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13388, 13435, 13436, 63, 150, 134,
]);

/** The query options a `find` command carries as they are; any other sends the query the driver's way. */
const commandOptions = new Set([
  'sort',
  'limit',
  'skip',
  'batchSize',
  'projection',
  'hint',
  'collation',
  'comment',
  'maxTimeMS',
  'readConcern',
  'readPreference',
]);

type Internals = {
  op?: string;
  model: mongoose.Model<unknown> & {
    schema: { s: { hooks: { _pres: Map<string, unknown[]>; _posts: Map<string, unknown[]> } } };
  };
  _mongooseOptions: { lean?: unknown; populate?: unknown };
  _conditions: Record<string, unknown>;
  _applyTranslateAliases(): void;
  _castConditions(): void;
  _optionsForExec(): Record<string, unknown>;
  error(): unknown;
};

/**
 * Runs a lean `find` or `findOne` as the `find` command itself (and `getMore` while its reply leaves documents), and
 * answers what the query would: the same documents, cast, projected (schema `select: false` fields included) and
 * ordered by mongoose exactly as for `exec`, since it prepares the query with mongoose's own steps.
 *
 * Why: a page's rate is set by the app's CPU per request (README, Benchmarks), and the driver's cursor (a FindCursor,
 * its lazy reply, its close) costs the app about as much CPU again as the command: `npm run bench:command-cost`
 * measured a `findOne` by `_id` at 187–221 µs of app CPU through a cursor and 115 µs as one `find` command (a ping,
 * 108–123 µs). Meant for the reads every page makes (the signed-in check, a page's own few reads of bounded size);
 * the same on MongoDB and on the embedded FerretDB.
 *
 * A query this does not cover (not lean, populated, in a session, an option the command does not take) runs the
 * ordinary way, as does one whose command fails as the driver would retry (a failover), so it keeps the driver's
 * retry: the same query object, never executed here, whose preparation mongoose repeats unchanged (casting a cast
 * filter, applying the schema's projections to a projection that has them).
 */
export async function readWithoutCursor<T>(query: Query<T, unknown, unknown, unknown, 'find' | 'findOne'>): Promise<T> {
  const q = query as unknown as Internals;
  if (!coveredHere(q)) return query.exec();
  q._applyTranslateAliases();
  q._castConditions();
  const castError = q.error();
  if (castError) throw castError;
  const options = q._optionsForExec();
  if (Object.keys(options).some((key) => !commandOptions.has(key) && options[key] !== undefined)) return query.exec();

  const one = q.op === 'findOne';
  const { readPreference, batchSize, limit, ...rest } = options;
  const collection = q.model.collection.collectionName;
  const db = q.model.db.db!;
  const command: Record<string, unknown> = { find: collection, filter: q._conditions, ...rest };
  // A negative limit is the driver's "one batch of at most that many", as the command says it; findOne is one of one.
  const most = one ? 1 : Math.abs(Number(limit ?? 0));
  if (most) command.limit = most;
  if (one || Number(limit) < 0) command.singleBatch = true;
  // Without a batch size the server's first reply holds 101 documents. A limited read asks for one more than its
  // limit: a server may keep the cursor open after a batch it filled, which would cost a getMore to learn it is done.
  if (batchSize) command.batchSize = batchSize;
  else if (most && !one) command.batchSize = most + 1;
  const commandOptionsOf = readPreference
    ? { readPreference: readPreference as mongoose.mongo.ReadPreferenceLike }
    : {};
  let reply: { cursor: { firstBatch: unknown[]; id: unknown } };
  try {
    reply = (await db.command(command, commandOptionsOf)) as typeof reply;
  } catch (error) {
    if (!(error instanceof MongoServerError) || retryableReadCodes.has(error.code as number)) return query.exec();
    throw error;
  }
  const documents = reply.cursor.firstBatch;
  let cursorId = reply.cursor.id;
  while (!isZero(cursorId)) {
    const more = (await db.command(
      {
        getMore: typeof cursorId === 'number' ? Long.fromNumber(cursorId) : cursorId,
        collection,
        ...(batchSize ? { batchSize } : {}),
      },
      commandOptionsOf,
    )) as { cursor: { nextBatch: unknown[]; id: unknown } };
    for (const document of more.cursor.nextBatch) documents.push(document);
    cursorId = more.cursor.id;
  }
  return (one ? (documents[0] ?? null) : documents) as T;
}

/**
 * A lean find or findOne with no populate, no lean options (a transform, the version key left out) and no query
 * middleware on its schema (a `pre('find')` hook may change the query; none of Pathways' schemas has one).
 */
function coveredHere(q: Internals): boolean {
  if (q.op !== 'find' && q.op !== 'findOne') return false;
  if (q._mongooseOptions.lean !== true || q._mongooseOptions.populate) return false;
  const { _pres, _posts } = q.model.schema.s.hooks;
  return !_pres.get(q.op)?.length && !_posts.get(q.op)?.length;
}

/** A cursor id as the reply gives it: a number when it fits one (the driver's promoteLongs), else a Long. */
function isZero(id: unknown): boolean {
  if (typeof id === 'number' || typeof id === 'bigint') return id == 0;
  return id instanceof Long ? id.isZero() : true;
}
