import { Types } from 'mongoose';
import { AttendanceRecordModel } from '../../../models/AttendanceRecord.ts';
import { CareerOutcomeModel } from '../../../models/CareerOutcome.ts';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ProgrammeModel } from '../../../models/Programme.ts';
import { ResearchCohortFiguresModel } from '../../../models/ResearchCohortFigures.ts';
import { SurveyResponseModel } from '../../../models/SurveyResponse.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { consentedAt, consentHistories, countable } from './consent.ts';
import { countedStatuses, dayOf, firstEnrolmentKey, outcomeWindow } from './population.ts';

/**
 * The derived record of research figures per cohort (models/ResearchCohortFigures.ts): why it exists and how fresh
 * it is are in the README ("Research figures"). Everything that decides who is counted is the same rule as
 * population.ts (which the anonymised export still reads from the source): an enrolment counts while she consents
 * now; an answer or an outcome counts only if made while she consented; an answer belongs to her first enrolment in
 * that programme (she answers each programme's survey once); an outcome counts for an enrolment when it falls within
 * 12 months of its enrolment day.
 */

type Id = string | Types.ObjectId;
const oid = (id: Id) => new Types.ObjectId(String(id));

/** How often the job recomputes every cohort's record (jobs/research.ts); the promise the dashboard states. */
export const figuresRefreshMinutes = 15;

export type LikertSums = Record<string, { sum: number; n: number }>;
export type Bucket = {
  day: string;
  participants: number;
  completed: number;
  marked: number;
  attended: number;
  sessions: number;
  applied: number;
  interviewed: number;
  appointed: number;
  likertStart: LikertSums;
  likertEnd: LikertSums;
};

const emptyBucket = (day: string): Bucket => ({
  day,
  participants: 0,
  completed: 0,
  marked: 0,
  attended: 0,
  sessions: 0,
  applied: 0,
  interviewed: 0,
  appointed: 0,
  likertStart: {},
  likertEnd: {},
});

const sortedKeys = (sums: LikertSums): LikertSums =>
  Object.fromEntries(
    Object.keys(sums)
      .sort()
      .map((k) => [k, sums[k]!]),
  );

/** The figures of one cohort from the source collections, as of `now` (pure reads; nothing is written). */
export async function computeCohortBuckets(props: { cohortId: Id; programmeId: Id; now: Date }): Promise<Bucket[]> {
  const cohortId = oid(props.cohortId);
  const programmeId = oid(props.programmeId);
  const enrolments = await EnrolmentModel.find({ cohortId, status: { $in: countedStatuses } })
    .select({ userId: 1, enrolledAt: 1, createdAt: 1 })
    .lean();
  if (!enrolments.length) return [];
  const histories = await consentHistories(enrolments.map((e) => e.userId));
  const history = (userId: unknown) => histories.get(String(userId)) ?? [];
  const counted = enrolments.filter((e) => consentedAt(history(e.userId), props.now));
  if (!counted.length) return [];
  const userIds = counted.map((e) => e.userId);
  const [certificates, records, responses, outcomes, theirEnrolments] = await Promise.all([
    CertificateModel.find({ userId: { $in: userIds }, cohortId })
      .select({ userId: 1 })
      .lean(),
    AttendanceRecordModel.find({ cohortId }).select({ userId: 1, status: 1 }).lean(),
    SurveyResponseModel.find({ userId: { $in: userIds }, programmeId })
      .select({ userId: 1, moment: 1, answers: 1, answeredAt: 1 })
      .lean(),
    CareerOutcomeModel.find({ userId: { $in: userIds } })
      .select({ userId: 1, kind: 1, on: 1, createdAt: 1 })
      .lean(),
    EnrolmentModel.find({ userId: { $in: userIds }, programmeId, status: { $in: countedStatuses } })
      .select({ userId: 1, cohortId: 1, enrolledAt: 1, createdAt: 1 })
      .lean(),
  ]);
  const done = new Set(certificates.map((c) => String(c.userId)));
  const marks = new Map<string, { attended: number; absent: number }>();
  for (const r of records) {
    const m = marks.get(String(r.userId)) ?? { attended: 0, absent: 0 };
    if (r.status === 'present' || r.status === 'late') m.attended += 1;
    else if (r.status === 'absent') m.absent += 1;
    marks.set(String(r.userId), m);
  }
  const first = firstEnrolmentKey(theirEnrolments, String(programmeId));
  const buckets = new Map<string, Bucket>();
  const bucketOf = new Map<string, Bucket>();
  for (const e of counted) {
    const day = dayOf((e.enrolledAt ?? e.createdAt) as Date);
    const b = buckets.get(day) ?? emptyBucket(day);
    buckets.set(day, b);
    bucketOf.set(String(e.userId), b);
    b.participants += 1;
    if (done.has(String(e.userId))) b.completed += 1;
    const m = marks.get(String(e.userId));
    if (m && m.attended + m.absent > 0) {
      b.marked += 1;
      b.attended += m.attended;
      b.sessions += m.attended + m.absent;
    }
    const window = outcomeWindow(day);
    const kinds = new Set(
      outcomes
        .filter((o) => String(o.userId) === String(e.userId))
        .filter((o) => countable(history(e.userId), (o.createdAt as Date | undefined) ?? props.now, props.now))
        .filter((o) => o.on >= window.from && o.on <= window.to)
        .map((o) => o.kind),
    );
    if (kinds.has('applied')) b.applied += 1;
    if (kinds.has('interviewed')) b.interviewed += 1;
    if (kinds.has('appointed')) b.appointed += 1;
  }
  for (const r of responses) {
    if (r.moment !== 'start' && r.moment !== 'end') continue;
    if (first.get(`${String(r.userId)}:${String(programmeId)}`) !== String(cohortId)) continue;
    if (!countable(history(r.userId), r.answeredAt, props.now)) continue;
    const b = bucketOf.get(String(r.userId));
    if (!b) continue;
    const sums = r.moment === 'start' ? b.likertStart : b.likertEnd;
    for (const [questionId, value] of Object.entries((r.answers ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'number') continue;
      const s = sums[questionId] ?? { sum: 0, n: 0 };
      s.sum += value;
      s.n += 1;
      sums[questionId] = s;
    }
  }
  return [...buckets.values()]
    .sort((a, b) => a.day.localeCompare(b.day))
    .map((b) => ({ ...b, likertStart: sortedKeys(b.likertStart), likertEnd: sortedKeys(b.likertEnd) }));
}

export type CohortFiguresRecord = {
  _id: Types.ObjectId;
  programmeId: Types.ObjectId;
  track: string;
  version: number;
  computedAt: Date | null;
  buckets: Bucket[];
};

/** A ticket for a new computation of this cohort's record: atomic `$inc`, so tickets are strictly ordered. */
export async function takeTicket(props: { cohortId: Types.ObjectId; programmeId: Types.ObjectId; track: string }) {
  const take = () =>
    ResearchCohortFiguresModel.findOneAndUpdate(
      { _id: props.cohortId },
      {
        $inc: { ticket: 1 },
        $set: { programmeId: props.programmeId, track: props.track },
        $setOnInsert: { version: 0, computedAt: null, buckets: [] },
      },
      { upsert: true, returnDocument: 'after' },
    ).lean();
  try {
    return (await take())!.ticket;
  } catch (error) {
    // Two first computations at once: one inserted the record; the other takes the next ticket on it.
    if (!isDuplicateKeyError(error)) throw error;
    return (await take())!.ticket;
  }
}

/**
 * Recomputes one cohort's record from the source and stores it unless a newer computation (a later ticket) already
 * did. Safe to run from any number of processes at once, and twice in a row gives the same figures. Answers the
 * stored record (this computation's, or the newer one's); null when the cohort no longer exists (its record is
 * removed).
 */
export async function refreshCohortFigures(props: { cohortId: Id; now?: Date }): Promise<CohortFiguresRecord | null> {
  const cohortId = oid(props.cohortId);
  const cohort = await CohortModel.findById(cohortId).select({ programmeId: 1 }).lean();
  const programme = cohort ? await ProgrammeModel.findById(cohort.programmeId).select({ track: 1 }).lean() : null;
  if (!cohort || !programme) {
    await ResearchCohortFiguresModel.deleteOne({ _id: cohortId });
    return null;
  }
  const ticket = await takeTicket({ cohortId, programmeId: cohort.programmeId, track: programme.track });
  // Taken after the ticket: every change made before this instant is in what the reads below see.
  const computedAt = props.now ?? new Date();
  const buckets = await computeCohortBuckets({ cohortId, programmeId: cohort.programmeId, now: computedAt });
  const stored = await storeCohortFigures({ cohortId, ticket, computedAt, buckets });
  const record = stored ?? (await ResearchCohortFiguresModel.findById(cohortId).lean());
  return record as CohortFiguresRecord | null;
}

/**
 * Writes a computation's figures only if no later ticket's figures are stored (one conditional single-document
 * update). Answers the stored record, or null when a newer computation got there first (nothing is written).
 */
export async function storeCohortFigures(props: {
  cohortId: Types.ObjectId;
  ticket: number;
  computedAt: Date;
  buckets: Bucket[];
}) {
  return ResearchCohortFiguresModel.findOneAndUpdate(
    { _id: props.cohortId, version: { $lt: props.ticket } },
    { $set: { version: props.ticket, computedAt: props.computedAt, buckets: props.buckets } },
    { returnDocument: 'after' },
  ).lean();
}

/** Recomputes the records of every cohort she is (or was) enrolled in: after her consent changes. */
export async function refreshFiguresOfPerson(props: { userId: Id }): Promise<void> {
  const enrolments = await EnrolmentModel.find({ userId: oid(props.userId) })
    .select({ cohortId: 1 })
    .lean();
  for (const cohortId of new Set(enrolments.map((e) => String(e.cohortId)))) await refreshCohortFigures({ cohortId });
}

/** The job: every cohort's record, recomputed; records of cohorts that no longer exist, removed. */
export async function refreshAllCohortFigures(): Promise<{ cohorts: number }> {
  const cohorts = await CohortModel.find().select({ _id: 1 }).lean();
  for (const c of cohorts) await refreshCohortFigures({ cohortId: c._id });
  await ResearchCohortFiguresModel.deleteMany({ _id: { $nin: cohorts.map((c) => c._id) } });
  return { cohorts: cohorts.length };
}
