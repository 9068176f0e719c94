import mongoose, { type Query } from 'mongoose';

const { Long, MongoNetworkError, MongoServerError } = mongoose.mongo;

/**
 * Server errors after which the driver retries a read once (its "retryable reads": a primary stepping down, a node
 * shutting down, a network timeout); on these, and on a network error, a read here is sent again the driver's way,
 * which retries it.
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

/**
 * How many documents the one reply may hold when the query says no batch size or limit (the server's default is 101).
 * A reply is also at most 16 MB; a read that does not fit is read again the driver's way. Not more: our FerretDB
 * answers a find asking for 100,000 about 150 µs slower than one asking for 10,000, whatever it returns (measured
 * on 7 December, 1,000 finds each).
 */
const oneReplyBatch = 10_000;

type Internals = {
  op?: string;
  model: mongoose.Model<unknown> & {
    schema: { s: { hooks: { _pres: Map<string, unknown[]>; _posts: Map<string, unknown[]> } } };
    base: { options: Record<string, unknown> };
    db: { options?: Record<string, unknown> };
  };
  _mongooseOptions: { lean?: unknown; populate?: unknown };
  _transforms?: unknown[];
  _conditions: Record<string, unknown>;
  _fields?: Record<string, unknown>;
  _applyTranslateAliases(): void;
  _castConditions(): void;
  _optionsForExec(): Record<string, unknown>;
  error(): unknown;
};

type CursorReply = { cursor: { firstBatch: unknown[]; id: unknown } };

/**
 * Runs a lean `find` or `findOne` as one `find` command, and answers what the query would: the same documents, cast,
 * projected (schema `select: false` fields included) and ordered by mongoose exactly as for `exec`, since it prepares
 * the query with mongoose's own steps.
 *
 * Why: a page's rate is set by the app's CPU per request (README, Benchmarks), and the driver's cursor (a FindCursor,
 * its lazy reply, its close) costs the app about as much CPU again as the command, more with many documents:
 * `npm run bench:command-cost` (7 December) measured a `findOne` by `_id` at 193 µs of app CPU through mongoose's
 * cursor and 160 µs here, 100 documents at 537 and 288 µs (a ping, 103 µs). Meant for the reads every page makes (the
 * signed-in check, a page's own few reads of bounded size); the same on MongoDB and on the embedded FerretDB.
 *
 * The whole answer comes in the one reply (at most `oneReplyBatch` documents unless the query sets its own batch
 * size, and at most 16 MB). One that does not fit is not continued here: its cursor is closed and the query read the
 * ordinary way, whose cursor keeps its `getMore`s in one session on one server, as MongoDB requires. A query this does
 * not cover (not lean, populated, in a session, with find middleware, `orFail` or a transform, a read preference
 * other than the primary, or an option the command does not take) runs the ordinary way, as does one whose command
 * fails as the driver would retry (a failover, a network error), so it keeps the driver's retry: the same query, never
 * executed here, its projection as it was given.
 */
export async function readWithoutCursor<T>(query: Query<T, unknown, unknown, unknown, 'find' | 'findOne'>): Promise<T> {
  const q = query as unknown as Internals;
  if (!coveredHere(q)) return query.exec();
  q._applyTranslateAliases();
  q._castConditions();
  const castError = q.error();
  if (castError) throw castError;
  // Mongoose's preparation rewrites the projection (`+path` becomes the path kept); the ordinary way starts from it.
  const fieldsAsGiven = q._fields && { ...q._fields };
  const ordinary = () => {
    q._fields = fieldsAsGiven;
    return query.exec();
  };
  const options = q._optionsForExec();
  const { readPreference, readConcern, batchSize, limit, ...rest } = options;
  if (Object.keys(options).some((key) => !commandOptions.has(key) && options[key] !== undefined)) return ordinary();
  if (Number(batchSize) < 0) return ordinary();

  const one = q.op === 'findOne';
  const collection = q.model.collection;
  const db = q.model.db.db!;
  const command: Record<string, unknown> = { find: collection.collectionName, filter: q._conditions };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) command[key] = value;
  // A negative limit is the driver's "one batch of at most that many", as the command says it; findOne is one of one.
  const most = one ? 1 : Math.abs(Number(limit ?? 0));
  if (most) command.limit = most;
  if (one || Number(limit) < 0) command.singleBatch = true;
  // A limited read asks for one more than its limit: a server may keep the cursor open after a batch it filled,
  // which would leave it open for nothing.
  if (batchSize != null) command.batchSize = batchSize;
  else if (!one) command.batchSize = most ? most + 1 : oneReplyBatch;
  // What the query does not say, the collection's settings (the connection string's) do, as for the driver's find.
  const native = (collection as unknown as { collection?: mongoose.mongo.Collection }).collection;
  const concern = readConcern ?? (native?.readConcern ? { level: native.readConcern.level } : undefined);
  if (concern) command.readConcern = concern;
  const preference = (readPreference as mongoose.mongo.ReadPreferenceLike | undefined) ?? native?.readPreference;
  // Reads from secondaries go the ordinary way: closing a cursor that did not fit could reach another server.
  const mode = typeof preference === 'string' ? preference : preference?.mode;
  if (mode && mode !== 'primary') return ordinary();

  // One explicit session for the command and, when the answer did not fit, for closing its cursor.
  const session = db.client.startSession({ causalConsistency: false });
  let reply: CursorReply;
  try {
    const sent = { session, ...(preference ? { readPreference: preference } : {}) };
    try {
      reply = (await db.command(command, sent)) as CursorReply;
    } catch (error) {
      const retryable =
        error instanceof MongoNetworkError ||
        (error instanceof MongoServerError && retryableReadCodes.has(error.code as number));
      if (retryable) return ordinary();
      throw error;
    }
    const cursorId = reply.cursor.id;
    if (!isZero(cursorId)) {
      await db
        .command({ killCursors: collection.collectionName, cursors: [asLong(cursorId)] }, sent)
        .catch(() => undefined);
      return ordinary();
    }
  } finally {
    await session.endSession();
  }
  const documents = reply.cursor.firstBatch;
  return (one ? (documents[0] ?? null) : documents) as T;
}

/**
 * A lean find or findOne with no populate, no lean options (a transform, the version key left out), no query
 * middleware on its schema (a `pre('find')` hook may change the query; none of Pathways' schemas has one) and no
 * global `maxTimeMS` or `allowDiskUse` (which mongoose's own find adds; Pathways sets neither).
 */
function coveredHere(q: Internals): boolean {
  if (q.op !== 'find' && q.op !== 'findOne') return false;
  if (q._mongooseOptions.lean !== true || q._mongooseOptions.populate) return false;
  // `orFail()` and `transform()` act on exec's result.
  if (q._transforms?.length) return false;
  const globals = [q.model.db.options, q.model.base.options];
  if (globals.some((o) => o?.maxTimeMS != null || o?.allowDiskUse != null)) return false;
  const { _pres, _posts } = q.model.schema.s.hooks;
  return !_pres.get(q.op)?.length && !_posts.get(q.op)?.length;
}

/** A cursor id as the reply gives it: a number when it fits one (the driver's promoteLongs), else a Long. */
function isZero(id: unknown): boolean {
  if (typeof id === 'number' || typeof id === 'bigint') return id == 0;
  return id instanceof Long ? id.isZero() : true;
}

const asLong = (id: unknown) =>
  typeof id === 'number' ? Long.fromNumber(id) : typeof id === 'bigint' ? Long.fromBigInt(id) : id;
