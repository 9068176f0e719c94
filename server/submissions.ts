import { createHash } from 'node:crypto';
import { Types, type Model, type Schema } from 'mongoose';
import { isDuplicateKeyError } from './db.ts';
import { SubmissionReusedError } from './errors.ts';
import { giveBackAllowanceOnce, spendAllowanceOnce, type Allowance } from './services/rateLimits.ts';

/**
 * Creating once however often a create is sent (a double-click, a client retrying after a lost response), with
 * several app processes: the created document stores a `submissionKey` under a unique index, so a repeat's insert is
 * a duplicate key and is answered with the first one's document. No read-then-write check, no in-memory set.
 *
 * The key is scoped to its author (and whatever else the caller names, e.g. the mentorship), so one person's key
 * never finds another's record. It comes from the client when she sends one (a form's hidden `_submission` field,
 * the API's `Idempotency-Key` header); without one, from the content that makes two records the same one (the
 * caller's `content`), so an identical create repeated without a key is also kept once. The key is fixed at insert:
 * erasing a person's text later does not recompute it, so blanked rows never collide.
 *
 * A client key comes with a hash of the request it was sent with (`withFingerprint`), stored beside the key: the same
 * key sent again with a different body is not a repeat but a mistake (a client reusing keys, a form sent back with
 * changed content), refused with SubmissionReusedError (422) instead of silently answering with the first record.
 */
export const submissionKeyField = 'submissionKey';

/** What a client may send as a key: 8–100 letters, digits, `-`, `_`, `.`, `:` (a UUID fits). */
export const clientKeyPattern = /^[A-Za-z0-9._:-]{8,100}$/;

/**
 * Without a client key, free text (a post, a reply, a message) is the same submission only when it is sent again
 * within this many minutes: a double-click or a retry comes within seconds, while "Thanks!" said again next week is
 * a new reply. The window is a fixed block of the clock, so a repeat that straddles its edge is stored twice (at most
 * once in 600 for a repeat a second later); a client that sends a key never meets that edge.
 */
export const textRepeatWindowMinutes = 10;

/** The field beside the key that holds the hash of the request a client key came with. */
export const submissionFingerprintField = 'submissionFingerprint';
const fingerprintSuffix = /~fp:([A-Za-z0-9_-]{43})$/;

/** Sorted keys, so that the same body with its fields in another order is the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  return value;
}

/** A file uploaded with a request: its field, its name as sent and its bytes. */
export type SentFile = { field: string; name: string; bytes: Buffer };

/**
 * A client key with the hash of the request it came with, as the services receive it (`~` is never in a client
 * key, clientKeyPattern). submissionKey keeps it on the key; createOnce takes it off and stores it beside the key.
 * The request is its body and its uploaded files (each by field, name and a hash of its bytes), so the same key sent
 * again with another file is not a repeat; an empty file (a file field left empty) is no file, as nothing stores it.
 * A request without files hashes as its body alone, as fingerprints stored before files counted were made.
 */
export function withFingerprint(clientKey: string, body: unknown, files: readonly SentFile[] = []): string {
  const sent = files
    .filter((f) => f.bytes.length > 0)
    .map((f) => ({ field: f.field, name: f.name, sha256: createHash('sha256').update(f.bytes).digest('base64url') }))
    .sort((a, b) => (a.field + a.name + a.sha256 < b.field + b.name + b.sha256 ? -1 : 1));
  const request = sent.length ? { body: body ?? null, files: sent } : (body ?? null);
  const digest = createHash('sha256')
    .update(JSON.stringify(canonical(request)))
    .digest('base64url');
  return `${clientKey}~fp:${digest}`;
}

function splitFingerprint(key: string): { key: string; fingerprint?: string } {
  const match = fingerprintSuffix.exec(key);
  return match ? { key: key.slice(0, match.index), fingerprint: match[1] } : { key };
}

export function submissionKey(props: {
  scope: string[];
  clientKey?: string;
  content: unknown[];
  /** Free text: a repeat without a key counts only within textRepeatWindowMinutes (a fact, such as an outcome's
   * kind and day or a meeting's time, is the same one whenever it is sent again). */
  text?: boolean;
  now?: Date;
}): string {
  const scope = props.scope.join(':');
  if (props.clientKey) return `k:${scope}:${props.clientKey}`;
  const window = props.text
    ? [Math.floor((props.now ?? new Date()).getTime() / (textRepeatWindowMinutes * 60_000))]
    : [];
  // Hashed: the key must not carry her text (erasure blanks the text, not this field).
  const digest = createHash('sha256')
    .update(JSON.stringify([...props.content, ...window]))
    .digest('base64url');
  return `c:${scope}:${digest}`;
}

/** The key of a document created outside this mechanism (seed data, imports): its own, never a repeat. */
export const newSubmissionKey = () => `auto:${String(new Types.ObjectId())}`;

/**
 * For creates where only a key the client sent makes a repeat (two boards, programmes or certificates alike may
 * both be meant): that key in its scope, else a key of its own.
 */
export const clientKeyOrNew = (scope: string[], clientKey: string | undefined): string =>
  clientKey ? submissionKey({ scope, clientKey, content: [] }) : newSubmissionKey();

/** The `submissionKey` path of a keyed model's schema: one of its own unless a create names one. */
export const submissionKeyPath = { type: String, default: newSubmissionKey };

/**
 * Makes a model's creates keyed (`schema.plugin(keyedSubmissions)`, with `submissionKey: submissionKeyPath` among its
 * paths): the key is unique, and since rows stored before keys existed must get one first, the model's indexes are
 * built by connectDatabase after its `repairBeforeIndexes` (backfillSubmissionKeys), never on their own.
 */
export function keyedSubmissions(schema: Schema): void {
  schema.set('autoIndex', false);
  schema.static('repairBeforeIndexes', function repairBeforeIndexes(this: Model<unknown>): Promise<number> {
    return backfillSubmissionKeys(this);
  });
  schema.index({ [submissionKeyField]: 1 }, { unique: true });
  schema.add({ [submissionFingerprintField]: { type: String } });
}

/** The raw document type of a model (its first type parameter). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RawOf<M> = M extends Model<infer T, any, any, any, any, any, any> ? T : never;

/**
 * Inserts `doc` with its key; a repeat (duplicate key) returns the document the first insert stored, `created:
 * false`. `doc` is null only when that first document was removed meanwhile (its create was undone). A repeat whose
 * request differs from the first one's (both fingerprinted; rows stored before fingerprints match any) throws
 * SubmissionReusedError.
 *
 * With an `allowance` (messages, posts, requests an hour), only a new submission spends a use: a repeat of one
 * already stored is answered with it before anything is spent (a retry after the limit was reached, or in a later
 * window, still gets its record, as the first sending's answer), and copies sent at the same moment spend one use
 * between them, by the submission's key (spendAllowanceOnce), so none of them is refused for another's use. A use
 * stays spent when the insert finds a repeat: it is that record's, whichever copy spent it. An insert that fails
 * otherwise stored nothing and gives its use back.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createOnce<M extends Model<any>, T = RawOf<M>>(
  model: M,
  keyWithFingerprint: string,
  doc: Record<string, unknown>,
  options: { allowance?: Allowance } = {},
): Promise<
  { created: true; doc: T & { _id: Types.ObjectId } } | { created: false; doc: (T & { _id: Types.ObjectId }) | null }
> {
  const { key, fingerprint } = splitFingerprint(keyWithFingerprint);
  const repeatOf = async () => {
    const first = await model.findOne({ [submissionKeyField]: key }).lean<T & { _id: Types.ObjectId }>();
    const stored = (first as Record<string, unknown> | null)?.[submissionFingerprintField];
    if (first && fingerprint && typeof stored === 'string' && stored !== fingerprint)
      throw new SubmissionReusedError(model.modelName, first as Record<string, unknown>);
    return { created: false as const, doc: first };
  };
  const { allowance } = options;
  let spent = false;
  if (allowance) {
    const stored = await repeatOf();
    if (stored.doc) return stored;
    spent = await spendAllowanceOnce({ ...allowance, submission: key });
  }
  try {
    // Through the model's `create`, the one write every other insert uses (and race tests hold).
    const created = await (model as unknown as Model<Record<string, unknown>>).create({
      ...doc,
      [submissionKeyField]: key,
      ...(fingerprint ? { [submissionFingerprintField]: fingerprint } : {}),
    });
    return { created: true, doc: created.toObject() as T & { _id: Types.ObjectId } };
  } catch (error) {
    if (isDuplicateKeyError(error)) return repeatOf();
    if (allowance && spent) await giveBackAllowanceOnce({ ...allowance, submission: key });
    throw error;
  }
}

/**
 * Gives every document written before keys existed a key of its own (`legacy:<id>`), so the unique index builds on
 * any database (MongoDB indexes a missing field as null, and two nulls collide; FerretDB does not, but the rows are
 * then alike everywhere). Each write is conditional on the key still missing, so several processes starting at once
 * agree. Nothing to do once the index exists. Returns how many documents got a key.
 */
export async function backfillSubmissionKeys<T>(model: Model<T>): Promise<number> {
  const indexes = await model.collection.indexes().catch((error: { code?: number }) => {
    if (error.code === 26) return []; // NamespaceNotFound: nothing stored yet
    throw error;
  });
  if (indexes.some((i) => i.key && Object.keys(i.key).join() === submissionKeyField && i.unique)) return 0;
  const rows = await model
    .find({ [submissionKeyField]: { $exists: false } }, { _id: 1 })
    .lean<{ _id: Types.ObjectId }[]>();
  if (!rows.length) return 0;
  const result = await model.bulkWrite(
    rows.map((r) => ({
      updateOne: {
        filter: { _id: r._id, [submissionKeyField]: { $exists: false } },
        update: { $set: { [submissionKeyField]: `legacy:${String(r._id)}` } },
      },
    })),
    { ordered: false },
  );
  return result.modifiedCount;
}
