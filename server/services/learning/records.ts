import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { CompletionModel } from '../../../models/Completion.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { CohortRecordModel, LearnerRecordModel, encodeCohortRecord, encodeLearnerRecord, readCohortRecord, readLearnerRecord, type CohortRecord, type LearnerRecord } from '../../../models/LearningRecord.ts';
import { QuizAttemptModel } from '../../../models/QuizAttempt.ts';
import { UserModel } from '../../../models/User.ts';

/**
 * Keeps the learning read models (models/LearningRecord.ts) in step with the truth. Each document is read and
 * replaced under an in-process lock per document, because FerretDB 1.x applies updates as read-modify-write
 * without atomicity: two completions landing together must not overwrite each other. (With several app
 * processes, run `rebuildAllLearningRecords` after deploys; see README "Limits".) A missing document is rebuilt
 * from Completion/Enrolment/Certificate on first read; at start, `ensureLearningRecords` builds them all in one pass.
 */
const oid = (id: string | Types.ObjectId) => (typeof id === 'string' ? new Types.ObjectId(id) : id);
const locks = new Map<string, Promise<unknown>>();

async function withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const settled = run.catch(() => undefined);
  locks.set(key, settled);
  try {
    return await run;
  } finally {
    if (locks.get(key) === settled) locks.delete(key);
  }
}

const maxDate = (a: Date | null | undefined, b: Date | null | undefined) => (!a ? (b ?? null) : !b ? a : a > b ? a : b);

/** Recomputes a person's record from the truth (scans; used on first read and for repairs). */
export async function rebuildLearnerRecord(userId: string | Types.ObjectId): Promise<LearnerRecord> {
  const user = oid(userId);
  const [enrolments, completions, certificates, attempts] = await Promise.all([
    EnrolmentModel.find({ userId: user, status: 'active' }, { cohortId: 1, programmeId: 1, enrolledAt: 1, createdAt: 1 }).lean(),
    CompletionModel.find({ userId: user }, { cohortId: 1, moduleId: 1, completedAt: 1 }).lean(),
    CertificateModel.find({ userId: user }, { cohortId: 1, expiresAt: 1 }).lean(),
    QuizAttemptModel.find({ userId: user }, { cohortId: 1, attemptedAt: 1 }).lean(),
  ]);
  const cohorts = await CohortModel.find({ _id: { $in: enrolments.map((e) => e.cohortId) } }, { name: 1 }).lean();
  const names = new Map(cohorts.map((c) => [String(c._id), c.name]));
  const record = {
    _id: user,
    rebuiltAt: new Date(),
    enrolments: enrolments.map((e) => {
      const mine = completions.filter((c) => String(c.cohortId) === String(e.cohortId));
      const certificate = certificates.find((c) => String(c.cohortId) === String(e.cohortId));
      let last: Date | null = null;
      for (const c of mine) last = maxDate(last, c.completedAt);
      for (const a of attempts) if (String(a.cohortId) === String(e.cohortId)) last = maxDate(last, a.attemptedAt);
      return {
        cohortId: e.cohortId, programmeId: e.programmeId, cohortName: names.get(String(e.cohortId)) ?? '',
        enrolledAt: e.enrolledAt ?? (e as { createdAt?: Date }).createdAt ?? new Date(0),
        completed: [...new Set(mine.map((c) => String(c.moduleId)))].map(oid), lastActivityAt: last,
        certificateId: certificate?._id ?? null, certificateExpiresAt: certificate?.expiresAt ?? null,
      };
    }),
  };
  await LearnerRecordModel.replaceOne({ _id: user }, encodeLearnerRecord(record as unknown as LearnerRecord), { upsert: true });
  return record as unknown as LearnerRecord;
}

export async function rebuildCohortRecord(cohortId: string | Types.ObjectId): Promise<CohortRecord | null> {
  const cohort = await CohortModel.findById(oid(cohortId), { programmeId: 1 }).lean();
  if (!cohort) return null;
  const [enrolments, completions, attempts] = await Promise.all([
    EnrolmentModel.find({ cohortId: cohort._id, status: 'active' }, { userId: 1 }).lean(),
    CompletionModel.find({ cohortId: cohort._id }, { userId: 1, moduleId: 1, completedAt: 1, reflection: 1, reflectionShared: 1 }).lean(),
    QuizAttemptModel.find({ cohortId: cohort._id }, { userId: 1, attemptedAt: 1 }).lean(),
  ]);
  // One primary-key lookup per member, only when rebuilding: a `$in` on _id is a full scan on FerretDB 1.x.
  const users = await Promise.all(enrolments.map((e) => UserModel.findById(e.userId, { name: 1 }).lean()));
  const record = {
    _id: cohort._id,
    programmeId: cohort.programmeId,
    rebuiltAt: new Date(),
    members: enrolments.map((e, i) => {
      const mine = completions.filter((c) => String(c.userId) === String(e.userId));
      let last: Date | null = null;
      for (const c of mine) last = maxDate(last, c.completedAt);
      for (const a of attempts) if (String(a.userId) === String(e.userId)) last = maxDate(last, a.attemptedAt);
      return { userId: e.userId, name: users[i]?.name ?? 'Unknown', completed: [...new Set(mine.map((c) => String(c.moduleId)))].map(oid), lastActivityAt: last };
    }),
    sharedReflections: completions
      .filter((c) => c.reflectionShared && c.reflection)
      .map((c) => ({ completionId: c._id, userId: c.userId, moduleId: c.moduleId, reflection: c.reflection ?? '', completedAt: c.completedAt })),
  };
  await CohortRecordModel.replaceOne({ _id: cohort._id }, encodeCohortRecord(record as unknown as CohortRecord), { upsert: true });
  return record as unknown as CohortRecord;
}

/** The one-pass build started at boot, while it runs: a missing record waits for it rather than scanning alone. */
let bulkBuild: Promise<unknown> | null = null;

/** Her record: one primary-key read (rebuilt from the truth the first time). */
export async function learnerRecord(userId: string | Types.ObjectId): Promise<LearnerRecord> {
  const found = await readLearnerRecord(oid(userId));
  if (found) return found;
  if (bulkBuild) {
    await bulkBuild;
    const built = await readLearnerRecord(oid(userId));
    if (built) return built;
  }
  return withLock(`learner:${String(userId)}`, () => rebuildLearnerRecord(userId));
}

export async function cohortRecord(cohortId: string | Types.ObjectId): Promise<CohortRecord | null> {
  const found = await readCohortRecord(oid(cohortId));
  if (found) return found;
  if (bulkBuild) {
    await bulkBuild;
    const built = await readCohortRecord(oid(cohortId));
    if (built) return built;
  }
  return withLock(`cohort:${String(cohortId)}`, () => rebuildCohortRecord(cohortId));
}

/** Reads, changes and replaces a learner's record under its lock; a missing record (or enrolment) is rebuilt instead. */
async function changeLearner(userId: string, cohortId: string, change: (e: LearnerRecord['enrolments'][number]) => void): Promise<void> {
  await withLock(`learner:${userId}`, async () => {
    const record = await readLearnerRecord(oid(userId));
    const enrolment = record?.enrolments.find((e) => String(e.cohortId) === cohortId);
    if (!record || !enrolment) return void (await rebuildLearnerRecord(userId));
    change(enrolment);
    await LearnerRecordModel.replaceOne({ _id: record._id }, encodeLearnerRecord(record));
  });
}

async function changeCohort(cohortId: string, change: (r: CohortRecord) => boolean): Promise<void> {
  await withLock(`cohort:${cohortId}`, async () => {
    const record = await readCohortRecord(oid(cohortId));
    if (!record || !change(record)) return void (await rebuildCohortRecord(cohortId));
    await CohortRecordModel.replaceOne({ _id: record._id }, encodeCohortRecord(record));
  });
}

/** After a completion was inserted (or a quiz attempted: `moduleId` null). */
export async function recordActivity(props: { userId: string; cohortId: string; moduleId: string | null; at: Date; sharedReflection?: { completionId: Types.ObjectId; reflection: string } }): Promise<void> {
  const add = (list: Types.ObjectId[]) => {
    if (props.moduleId && !list.some((id) => String(id) === props.moduleId)) list.push(oid(props.moduleId));
  };
  await changeLearner(props.userId, props.cohortId, (e) => {
    add(e.completed);
    e.lastActivityAt = maxDate(e.lastActivityAt, props.at);
  });
  await changeCohort(props.cohortId, (r) => {
    const member = r.members.find((m) => String(m.userId) === props.userId);
    if (!member) return false;
    add(member.completed);
    member.lastActivityAt = maxDate(member.lastActivityAt, props.at);
    if (props.sharedReflection && props.moduleId) {
      r.sharedReflections.push({ completionId: props.sharedReflection.completionId, userId: oid(props.userId), moduleId: oid(props.moduleId), reflection: props.sharedReflection.reflection, completedAt: props.at });
    }
    return true;
  });
}

export async function recordSharing(props: { cohortId: string; completion: { _id: Types.ObjectId; userId: Types.ObjectId; moduleId: Types.ObjectId; reflection?: string | null; completedAt: Date }; shared: boolean }): Promise<void> {
  await changeCohort(props.cohortId, (r) => {
    r.sharedReflections = r.sharedReflections.filter((s) => String(s.completionId) !== String(props.completion._id));
    if (props.shared) r.sharedReflections.push({ completionId: props.completion._id, userId: props.completion.userId, moduleId: props.completion.moduleId, reflection: props.completion.reflection ?? '', completedAt: props.completion.completedAt });
    return true;
  });
}

export async function recordCertificate(props: { userId: string; cohortId: string; certificateId: Types.ObjectId; expiresAt: Date | null }): Promise<void> {
  await changeLearner(props.userId, props.cohortId, (e) => {
    e.certificateId = props.certificateId;
    e.certificateExpiresAt = props.expiresAt;
  });
}

/** Enrolment changes (from the cohorts area's events): rebuild both records concerned. */
export async function refreshEnrolment({ userId, cohortId }: { userId: string; cohortId: string }): Promise<void> {
  await withLock(`learner:${userId}`, () => rebuildLearnerRecord(userId));
  await withLock(`cohort:${cohortId}`, () => rebuildCohortRecord(cohortId));
}

/**
 * Rebuilds every record from the truth in one pass: one scan of each source collection, grouped in memory, then
 * written in batches. Used at start when the records are missing (first run of this version, data loaded by other
 * means, a restored backup) and as a repair tool (`rebuildAllLearningRecords` from a script).
 */
export async function rebuildAllLearningRecords(): Promise<{ learners: number; cohorts: number }> {
  const [enrolments, completions, certificates, attempts, cohorts] = await Promise.all([
    EnrolmentModel.find({ status: 'active' }, { userId: 1, cohortId: 1, programmeId: 1, enrolledAt: 1, createdAt: 1 }).lean(),
    CompletionModel.find({}, { userId: 1, cohortId: 1, moduleId: 1, completedAt: 1, reflection: 1, reflectionShared: 1 }).lean(),
    CertificateModel.find({}, { userId: 1, cohortId: 1, expiresAt: 1 }).lean(),
    QuizAttemptModel.find({}, { userId: 1, cohortId: 1, attemptedAt: 1 }).lean(),
    CohortModel.find({}, { name: 1, programmeId: 1 }).lean(),
  ]);
  const users = await UserModel.find({}, { name: 1 }).lean();
  const names = new Map(users.map((u) => [String(u._id), u.name]));
  const key = (userId: unknown, cohortId: unknown) => `${String(userId)}:${String(cohortId)}`;
  const done = new Map<string, Set<string>>();
  const last = new Map<string, Date>();
  const touch = (k: string, at: Date) => {
    const before = last.get(k);
    if (!before || at > before) last.set(k, at);
  };
  for (const c of completions) {
    const k = key(c.userId, c.cohortId);
    if (!done.has(k)) done.set(k, new Set());
    done.get(k)!.add(String(c.moduleId));
    touch(k, c.completedAt);
  }
  for (const a of attempts) touch(key(a.userId, a.cohortId), a.attemptedAt);
  const certificateOf = new Map(certificates.map((c) => [key(c.userId, c.cohortId), c]));
  const cohortById = new Map(cohorts.map((c) => [String(c._id), c]));
  const now = new Date();

  const learners = new Map<string, LearnerRecord>();
  const cohortRecords = new Map<string, CohortRecord>(cohorts.map((c) => [String(c._id), { _id: c._id, programmeId: c.programmeId, members: [], sharedReflections: [], rebuiltAt: now }]));
  for (const e of enrolments) {
    const k = key(e.userId, e.cohortId);
    const completed = [...(done.get(k) ?? [])].map(oid);
    const certificate = certificateOf.get(k);
    if (!learners.has(String(e.userId))) learners.set(String(e.userId), { _id: e.userId, enrolments: [], rebuiltAt: now });
    learners.get(String(e.userId))!.enrolments.push({
      cohortId: e.cohortId, programmeId: e.programmeId, cohortName: cohortById.get(String(e.cohortId))?.name ?? '',
      enrolledAt: e.enrolledAt ?? (e as { createdAt?: Date }).createdAt ?? new Date(0), completed, lastActivityAt: last.get(k) ?? null,
      certificateId: certificate?._id ?? null, certificateExpiresAt: certificate?.expiresAt ?? null,
    });
    cohortRecords.get(String(e.cohortId))?.members.push({ userId: e.userId, name: names.get(String(e.userId)) ?? 'Unknown', completed, lastActivityAt: last.get(k) ?? null });
  }
  for (const c of completions) {
    if (c.reflectionShared && c.reflection) cohortRecords.get(String(c.cohortId))?.sharedReflections.push({ completionId: c._id, userId: c.userId, moduleId: c.moduleId, reflection: c.reflection, completedAt: c.completedAt });
  }
  await LearnerRecordModel.deleteMany({});
  await CohortRecordModel.deleteMany({});
  const batches = <T>(list: T[]) => Array.from({ length: Math.ceil(list.length / 1000) }, (_, i) => list.slice(i * 1000, (i + 1) * 1000));
  for (const batch of batches([...learners.values()])) await LearnerRecordModel.insertMany(batch.map(encodeLearnerRecord), { ordered: false });
  for (const batch of batches([...cohortRecords.values()])) await CohortRecordModel.insertMany(batch.map(encodeCohortRecord), { ordered: false });
  return { learners: learners.size, cohorts: cohortRecords.size };
}

/**
 * On start, after the app listens: build the records when there are enrolments but no records yet (a large
 * database takes a while; requests that need a record meanwhile wait for this build). True when it built them.
 */
export async function ensureLearningRecords(): Promise<boolean> {
  if ((await LearnerRecordModel.estimatedDocumentCount()) > 0 || (await EnrolmentModel.estimatedDocumentCount()) === 0) return false;
  bulkBuild = rebuildAllLearningRecords();
  try {
    await bulkBuild;
  } finally {
    bulkBuild = null;
  }
  return true;
}
