import { Types } from 'mongoose';
import { CareerOutcomeModel } from '../../../models/CareerOutcome.ts';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ProgrammeModel } from '../../../models/Programme.ts';
import {
  ResearchCohortFiguresModel,
  ResearchOverviewModel,
  ResearchProgrammeFiguresModel,
  ResearchProgrammeMonthModel,
} from '../../../models/ResearchCohortFigures.ts';
import { SurveyModel } from '../../../models/Survey.ts';
import { SurveyResponseModel } from '../../../models/SurveyResponse.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { consentedAt, consentHistories, countable } from './consent.ts';
import {
  addGroup,
  addRepeats,
  addSums,
  emptyGroup,
  outcomeKindsCounted,
  repeatsOfPerson,
  repeatsOverAllTime,
  type GroupTotals,
  type MomentSums,
  type PersonEnrolmentCounts,
} from './figureSums.ts';
import { countedMarks, countedStatuses, dayOf, firstAnswers, firstEnrolmentKey, outcomeWindow } from './population.ts';
import { recruitmentSumsOf, type RecruitmentSums } from './recruitment.ts';
import { oid } from '../../ids.ts';

/**
 * The derived record of research figures per cohort (models/ResearchCohortFigures.ts): why it exists and how fresh
 * it is are in the README ("Research figures"). Everything that decides who is counted is the same rule as
 * population.ts (which the anonymised export still reads from the source): an enrolment counts while she consents
 * now; an answer or an outcome counts only if made while she consented; an answer belongs to her first enrolment in
 * that programme (she answers each programme's survey once); an outcome counts for an enrolment when it falls within
 * 12 months of its enrolment day.
 */

type Id = string | Types.ObjectId;

/** How often the job recomputes every cohort's record (jobs/research.ts); the promise the dashboard states. */
export const figuresRefreshMinutes = 15;

export type Bucket = { day: string } & GroupTotals & { likertStart: MomentSums; likertEnd: MomentSums };

const emptyBucket = (day: string): Bucket => ({ day, ...emptyGroup(), likertStart: {}, likertEnd: {} });

const sortedKeys = (sums: MomentSums): MomentSums =>
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
    // Of the programme the cohort runs now: one it was moved from keeps that programme's certificates.
    CertificateModel.find({ userId: { $in: userIds }, cohortId, programmeId })
      .select({ userId: 1 })
      .lean(),
    countedMarks([cohortId]),
    SurveyResponseModel.find({ userId: { $in: userIds }, programmeId })
      .select({ userId: 1, programmeId: 1, moment: 1, answers: 1, answeredAt: 1 })
      .lean(),
    CareerOutcomeModel.find({ userId: { $in: userIds } })
      .select({ userId: 1, kind: 1, on: 1, createdAt: 1 })
      .lean(),
    // Every programme's: a woman counted in another cohort too is one person in the figures (repeatsOfPerson).
    EnrolmentModel.find({ userId: { $in: userIds }, status: { $in: countedStatuses } })
      .select({ userId: 1, cohortId: 1, programmeId: 1, enrolledAt: 1, createdAt: 1 })
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
  const first = firstEnrolmentKey(
    theirEnrolments.filter((e) => programmeId.equals(e.programmeId)),
    String(programmeId),
  );
  const kindsWithin = (userId: unknown, day: string) => {
    const window = outcomeWindow(day);
    return new Set(
      outcomes
        .filter((o) => String(o.userId) === String(userId))
        .filter((o) => countable(history(userId), (o.createdAt as Date | undefined) ?? props.now, props.now))
        .filter((o) => o.on >= window.from && o.on <= window.to)
        .map((o) => o.kind),
    );
  };
  const repeats = await repeatsOfCohort({
    cohortId,
    programmeId,
    enrolments: theirEnrolments,
    markedHere: new Set([...marks].filter(([, m]) => m.attended + m.absent > 0).map(([userId]) => userId)),
    kindsWithin,
  });
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
    const kinds = kindsWithin(e.userId, day);
    if (kinds.has('applied')) b.applied += 1;
    if (kinds.has('interviewed')) b.interviewed += 1;
    if (kinds.has('appointed')) b.appointed += 1;
    addRepeats(b, repeats.get(String(e.userId)) ?? []);
  }
  const countedAnswers = firstAnswers(
    responses
      .filter((r) => r.moment === 'start' || r.moment === 'end')
      .filter((r) => first.get(`${String(r.userId)}:${String(programmeId)}`) === String(cohortId))
      .filter((r) => countable(history(r.userId), r.answeredAt, props.now)),
  );
  for (const r of countedAnswers) {
    const b = bucketOf.get(String(r.userId));
    if (!b) continue;
    const sums = r.moment === 'start' ? b.likertStart : b.likertEnd;
    for (const [questionId, value] of Object.entries(r.answers)) {
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

/**
 * The repeat keys of each woman counted in this cohort (by user id), from all her counted enrolments in any
 * programme, each with what it counts in (marked at a session, each outcome step within 12 months of it): she consents
 * now, so every one of them is counted. The marks of her other cohorts are read here, hers only.
 */
async function repeatsOfCohort(props: {
  cohortId: Types.ObjectId;
  programmeId: Types.ObjectId;
  enrolments: {
    userId: unknown;
    cohortId: unknown;
    programmeId: unknown;
    enrolledAt?: Date | null;
    createdAt?: unknown;
  }[];
  markedHere: Set<string>;
  kindsWithin: (userId: unknown, day: string) => Set<string>;
}): Promise<Map<string, string[]>> {
  const others = props.enrolments.filter((e) => !props.cohortId.equals(e.cohortId as Types.ObjectId));
  if (!others.length) return new Map();
  const [programmes, otherMarks] = await Promise.all([
    ProgrammeModel.find({ _id: { $in: [props.programmeId, ...others.map((e) => e.programmeId)] } })
      .select({ track: 1 })
      .lean(),
    countedMarks(
      [...new Set(others.map((e) => String(e.cohortId)))].map(oid),
      [...new Set(others.map((e) => String(e.userId)))].map(oid),
    ),
  ]);
  // An enrolment in a programme that no longer exists is counted nowhere (population.ts reads existing programmes').
  const trackOf = new Map(programmes.map((p) => [String(p._id), p.track as string]));
  const marked = new Set(
    otherMarks
      .filter((r) => ['present', 'late', 'absent'].includes(r.status))
      .map((r) => `${String(r.userId)}:${String(r.cohortId)}`),
  );
  const byPerson = new Map<string, PersonEnrolmentCounts[]>();
  for (const e of props.enrolments) {
    const userId = String(e.userId);
    const cohortId = String(e.cohortId);
    const here = props.cohortId.equals(e.cohortId as Types.ObjectId);
    // This cohort's enrolments count in the programme the cohort runs now, as its record does.
    const programmeId = here ? String(props.programmeId) : String(e.programmeId);
    const track = trackOf.get(programmeId);
    if (!track) continue;
    const at = ((e.enrolledAt ?? e.createdAt) as Date).getTime();
    const day = dayOf(new Date(at));
    const kinds = props.kindsWithin(e.userId, day);
    const counts = {
      participants: true,
      marked: here ? props.markedHere.has(userId) : marked.has(`${userId}:${cohortId}`),
      ...Object.fromEntries(outcomeKindsCounted.map((k) => [k, kinds.has(k)])),
    } as PersonEnrolmentCounts['counts'];
    const list = byPerson.get(userId) ?? [];
    list.push({ cohortId, programmeId, track, at, day, counts });
    byPerson.set(userId, list);
  }
  const repeats = new Map<string, string[]>();
  for (const [userId, list] of byPerson)
    if (list.length > 1) repeats.set(userId, repeatsOfPerson(list).get(String(props.cohortId)) ?? []);
  return repeats;
}

export type CohortFiguresRecord = {
  _id: Types.ObjectId;
  programmeId: Types.ObjectId;
  track: string;
  version: number;
  computedAt: Date | null;
  buckets: Bucket[];
};

type TicketedModel =
  typeof ResearchCohortFiguresModel | typeof ResearchProgrammeFiguresModel | typeof ResearchOverviewModel;

/** A ticket for a new computation of a record: atomic `$inc` on one document, so tickets are strictly ordered. */
async function ticketFor(
  model: TicketedModel,
  id: Types.ObjectId | string,
  set: Record<string, unknown>,
  empty: Record<string, unknown>,
) {
  const take = () =>
    (model as typeof ResearchCohortFiguresModel)
      .findOneAndUpdate(
        { _id: id },
        {
          $inc: { ticket: 1 },
          ...(Object.keys(set).length ? { $set: set } : {}),
          $setOnInsert: { version: 0, computedAt: null, ...empty },
        },
        { upsert: true, returnDocument: 'after' },
      )
      .lean();
  try {
    return (await take())!.ticket;
  } catch (error) {
    // Two first computations at once: one inserted the record; the other takes the next ticket on it.
    if (!isDuplicateKeyError(error)) throw error;
    return (await take())!.ticket;
  }
}

/** Writes a computation's result only if no later ticket's result is stored (one conditional update). */
async function storeIfNewest(
  model: TicketedModel,
  id: Types.ObjectId | string,
  ticket: number,
  set: Record<string, unknown>,
) {
  return (model as typeof ResearchCohortFiguresModel)
    .findOneAndUpdate(
      { _id: id, version: { $lt: ticket } },
      { $set: { version: ticket, ...set } },
      { returnDocument: 'after' },
    )
    .lean();
}

export const takeTicket = (props: { cohortId: Types.ObjectId; programmeId: Types.ObjectId; track: string }) =>
  ticketFor(
    ResearchCohortFiguresModel,
    props.cohortId,
    { programmeId: props.programmeId, track: props.track },
    { buckets: [] },
  );

/**
 * Writes a cohort computation's figures only if no later ticket's figures are stored. Answers the stored record,
 * or null when a newer computation got there first (nothing is written).
 */
export const storeCohortFigures = (props: {
  cohortId: Types.ObjectId;
  ticket: number;
  computedAt: Date;
  buckets: Bucket[];
}) =>
  storeIfNewest(ResearchCohortFiguresModel, props.cohortId, props.ticket, {
    computedAt: props.computedAt,
    buckets: props.buckets,
  });

/**
 * Recomputes one cohort's record from the source and stores it unless a newer computation (a later ticket) already
 * did; then (unless `rollUp` is false) rolls its programme's record up again. Safe to run from any number of
 * processes at once, and twice in a row gives the same figures. Answers the stored record (this computation's, or
 * the newer one's); null when the cohort no longer exists (its record is removed).
 */
export async function refreshCohortFigures(props: {
  cohortId: Id;
  now?: Date;
  rollUp?: boolean;
}): Promise<CohortFiguresRecord | null> {
  const cohortId = oid(props.cohortId);
  const cohort = await CohortModel.findById(cohortId).select({ programmeId: 1 }).lean();
  const programme = cohort ? await ProgrammeModel.findById(cohort.programmeId).select({ track: 1 }).lean() : null;
  if (!cohort || !programme) {
    const gone = await ResearchCohortFiguresModel.findOneAndDelete({ _id: cohortId }).lean();
    if (gone && props.rollUp !== false) await rollUpProgrammeFigures({ programmeId: gone.programmeId });
    return null;
  }
  const ticket = await takeTicket({ cohortId, programmeId: cohort.programmeId, track: programme.track });
  // Taken after the ticket: every change made before this instant is in what the reads below see.
  const computedAt = props.now ?? new Date();
  const buckets = await computeCohortBuckets({ cohortId, programmeId: cohort.programmeId, now: computedAt });
  const stored = await storeCohortFigures({ cohortId, ticket, computedAt, buckets });
  const record = stored ?? (await ResearchCohortFiguresModel.findById(cohortId).lean());
  if (props.rollUp !== false) await rollUpProgrammeFigures({ programmeId: cohort.programmeId });
  return record as CohortFiguresRecord | null;
}

export type DayTotals = Bucket & { cohortIds: Types.ObjectId[] };
export type MonthTotals = Omit<DayTotals, 'day'> & { month: string };
export type ProgrammeTotal = GroupTotals & { likertStart: MomentSums; likertEnd: MomentSums; cohorts: number };
export type ProgrammeFiguresRecord = {
  _id: Types.ObjectId;
  /** Absent on a record written before these copies existed (it is rolled up again when read). */
  title?: string;
  track?: string;
  likertQuestions?: LikertQuestion[];
  version: number;
  computedAt: Date | null;
  total: ProgrammeTotal | null;
  months: MonthTotals[];
};

/** The id of a programme's month of day rows (models/ResearchCohortFigures.ts). */
export const programmeMonthId = (programmeId: Id, month: string) => `${String(programmeId)}:${month}`;
/** YYYY-MM of a YYYY-MM-DD day. */
export const monthOf = (day: string) => day.slice(0, 7);

function emptyPeriod(): Omit<DayTotals, 'day'> {
  return { ...emptyGroup(), likertStart: {}, likertEnd: {}, cohortIds: [] };
}

/** Adds a period's counters, Likert sums and cohorts (once each) into another's. */
function addPeriod(into: Omit<DayTotals, 'day'>, from: Omit<DayTotals, 'day'>): void {
  addGroup(into, from);
  addSums(into.likertStart, from.likertStart);
  addSums(into.likertEnd, from.likertEnd);
  const known = new Set(into.cohortIds.map(String));
  for (const id of from.cohortIds) if (!known.has(String(id))) into.cohortIds.push(id);
}

const withSortedSums = <T extends { likertStart: MomentSums; likertEnd: MomentSums }>(p: T): T => ({
  ...p,
  likertStart: sortedKeys(p.likertStart),
  likertEnd: sortedKeys(p.likertEnd),
});

/**
 * Rolls a programme's record up from its cohorts' records (computing, from the source, the record of any cohort
 * that has none yet): the figures by enrolment day, summed over cohorts, then by month and over all time. Ticketed
 * like a cohort's record, so the stored roll-up is always one that started after the cohort records it was asked to
 * include were written. The month documents are written first, each only if no later roll-up wrote it, then the
 * programme's record; months left with no day are deleted.
 */
export async function rollUpProgrammeFigures(props: {
  programmeId: Id;
  /** false: the caller rebuilds the overview itself, once after several roll-ups. */
  overview?: boolean;
}): Promise<ProgrammeFiguresRecord | null> {
  const programmeId = oid(props.programmeId);
  const record = await rollUpProgramme(programmeId);
  if (props.overview !== false) await rebuildResearchOverview();
  return record;
}

async function rollUpProgramme(programmeId: Types.ObjectId): Promise<ProgrammeFiguresRecord | null> {
  // The ticket comes first: what is read after it (the programme's title, its surveys, its cohorts' records) is at
  // least as new as any roll-up with an earlier ticket read, so the newest stored roll-up has the newest copies.
  const ticket = await ticketFor(ResearchProgrammeFiguresModel, programmeId, {}, { total: null, months: [] });
  const [programme, cohorts, records, likertQuestions] = await Promise.all([
    ProgrammeModel.findById(programmeId).select({ title: 1, track: 1 }).lean(),
    CohortModel.find({ programmeId }).select({ _id: 1 }).lean(),
    ResearchCohortFiguresModel.find({ programmeId }).lean(),
    likertQuestionsOf(programmeId),
  ]);
  if (!programme) {
    await ResearchProgrammeFiguresModel.deleteOne({ _id: programmeId });
    await ResearchProgrammeMonthModel.deleteMany({ programmeId });
    return null;
  }
  const byCohort = new Map(records.filter((r) => r.computedAt).map((r) => [String(r._id), r as CohortFiguresRecord]));
  const days = new Map<string, DayTotals>();
  let computedAt: Date | null = null;
  for (const c of cohorts.sort((a, b) => String(a._id).localeCompare(String(b._id)))) {
    const record = byCohort.get(String(c._id)) ?? (await refreshCohortFigures({ cohortId: c._id, rollUp: false }));
    if (!record?.computedAt) continue;
    if (!computedAt || record.computedAt < computedAt) computedAt = record.computedAt;
    for (const b of record.buckets) {
      if (!b.participants) continue;
      const d = days.get(b.day) ?? { day: b.day, ...emptyPeriod() };
      days.set(b.day, d);
      addPeriod(d, { ...b, cohortIds: [c._id] });
    }
  }
  const months = new Map<string, { totals: MonthTotals; days: DayTotals[] }>();
  const total = emptyPeriod();
  for (const d of [...days.values()].sort((a, b) => a.day.localeCompare(b.day))) {
    const month = monthOf(d.day);
    const m = months.get(month) ?? { totals: { month, ...emptyPeriod() }, days: [] };
    months.set(month, m);
    m.days.push(withSortedSums(d));
    addPeriod(m.totals, d);
    addPeriod(total, d);
  }
  for (const [month, m] of months) await storeMonthIfNewest({ programmeId, month, ticket, days: m.days });
  const { cohortIds, ...overall } = total;
  const stored = await storeIfNewest(ResearchProgrammeFiguresModel, programmeId, ticket, {
    title: programme.title,
    track: programme.track,
    likertQuestions,
    computedAt: computedAt ?? new Date(),
    total: withSortedSums({ ...overall, repeats: repeatsOverAllTime(overall.repeats), cohorts: cohortIds.length }),
    months: [...months.values()].map((m) => withSortedSums(m.totals)),
  });
  // Months this roll-up found empty (and any an older roll-up left behind): every current month is at this ticket or
  // a later one by now.
  await ResearchProgrammeMonthModel.deleteMany({ programmeId, version: { $lt: ticket } });
  // Records rolled up before the months existed held every day in themselves: drop those rows (once), since a read
  // decodes the whole document. The native collection, as the schema no longer declares the field.
  await ResearchProgrammeFiguresModel.collection.updateOne(
    { _id: programmeId, days: { $exists: true } },
    { $unset: { days: '' } },
  );
  return (stored ??
    (await ResearchProgrammeFiguresModel.findById(programmeId).lean())) as unknown as ProgrammeFiguresRecord | null;
}

export type LikertQuestion = { surveyId: Types.ObjectId; id: string; prompt: string };

/**
 * The Likert questions of a programme's surveys, in the order the surveys were created and, within one, as asked:
 * the order the dashboard lists them in (the first definition of a question id wins there).
 */
export async function likertQuestionsOf(programmeId: Id): Promise<LikertQuestion[]> {
  const surveys = await SurveyModel.find({ programmeId: oid(programmeId) })
    .select({ questions: 1 })
    .sort({ _id: 1 })
    .lean();
  return surveys.flatMap((s) =>
    s.questions.filter((q) => q.type === 'likert5').map((q) => ({ surveyId: s._id, id: q.id, prompt: q.prompt })),
  );
}

/** One month's day rows, written only if no later roll-up's are stored (a newer one's insert wins the unique `_id`). */
async function storeMonthIfNewest(props: {
  programmeId: Types.ObjectId;
  month: string;
  ticket: number;
  days: DayTotals[];
}) {
  const _id = programmeMonthId(props.programmeId, props.month);
  try {
    await ResearchProgrammeMonthModel.updateOne(
      { _id, version: { $lt: props.ticket } },
      {
        $set: { version: props.ticket, days: props.days },
        $setOnInsert: { programmeId: props.programmeId, month: props.month },
      },
      { upsert: true },
    );
  } catch (error) {
    // The month is stored at a later ticket: the filter missed it and the upsert's insert met its `_id`.
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/** Recomputes the records of every cohort she is (or was) enrolled in, and their programmes': after her consent changes. */
export async function refreshFiguresOfPerson(props: { userId: Id }): Promise<void> {
  const enrolments = await EnrolmentModel.find({ userId: oid(props.userId) })
    .select({ cohortId: 1, programmeId: 1 })
    .lean();
  for (const cohortId of new Set(enrolments.map((e) => String(e.cohortId))))
    await refreshCohortFigures({ cohortId, rollUp: false });
  for (const programmeId of new Set(enrolments.map((e) => String(e.programmeId))))
    await rollUpProgrammeFigures({ programmeId, overview: false });
  await rebuildResearchOverview();
}

/** The job: every cohort's record recomputed, then every programme's rolled up; records of what is gone, removed. */
export async function refreshAllCohortFigures(): Promise<{ cohorts: number }> {
  const cohorts = await CohortModel.find().select({ _id: 1 }).lean();
  for (const c of cohorts) await refreshCohortFigures({ cohortId: c._id, rollUp: false });
  await ResearchCohortFiguresModel.deleteMany({ _id: { $nin: cohorts.map((c) => c._id) } });
  const programmes = await ProgrammeModel.find().select({ _id: 1 }).lean();
  for (const p of programmes) await rollUpProgrammeFigures({ programmeId: p._id, overview: false });
  await ResearchProgrammeFiguresModel.deleteMany({ _id: { $nin: programmes.map((p) => p._id) } });
  await ResearchProgrammeMonthModel.deleteMany({ programmeId: { $nin: programmes.map((p) => p._id) } });
  await rebuildResearchOverview();
  return { cohorts: cohorts.length };
}

const overviewId = 'all';

/** One programme in the overview: its record without the months. */
export type OverviewProgramme = {
  programmeId: Types.ObjectId;
  title: string;
  track: string;
  computedAt: Date | null;
  total: ProgrammeTotal | null;
  likertQuestions: LikertQuestion[];
};
export type ResearchOverviewRecord = {
  computedAt: Date | null;
  programmes: OverviewProgramme[];
  recruitment: RecruitmentSums | null;
};

/**
 * Rebuilds the research overview (models/ResearchCohortFigures.ts) from every programme's record (rolling up any
 * programme that has none, or an unfinished one) and every closed recruitment round, ticketed like the records: the
 * reads start after its ticket, so the newest stored overview includes every roll-up and round stored before it.
 * Answers the stored overview (this rebuild's, or a newer one's).
 */
export async function rebuildResearchOverview(): Promise<ResearchOverviewRecord> {
  const ticket = await ticketFor(ResearchOverviewModel, overviewId, {}, { programmes: [], recruitment: null });
  const computedAt = new Date();
  const [programmes, records, recruitment] = await Promise.all([
    ProgrammeModel.find().select({ _id: 1 }).sort({ _id: 1 }).lean(),
    ResearchProgrammeFiguresModel.find()
      .select({ title: 1, track: 1, computedAt: 1, total: 1, likertQuestions: 1 })
      .lean<ProgrammeFiguresRecord[]>(),
    recruitmentSumsOf({}),
  ]);
  const byId = new Map(records.map((r) => [String(r._id), r]));
  const entries: OverviewProgramme[] = [];
  for (const { _id } of programmes) {
    const stored = byId.get(String(_id));
    const record = stored?.computedAt && stored.total && stored.title ? stored : await rollUpProgramme(_id);
    if (record?.title && record.total)
      entries.push({
        programmeId: record._id,
        title: record.title,
        track: record.track!,
        computedAt: record.computedAt,
        total: record.total,
        likertQuestions: record.likertQuestions ?? [],
      });
  }
  const stored = await storeIfNewest(ResearchOverviewModel, overviewId, ticket, {
    computedAt,
    programmes: entries,
    recruitment,
  });
  return (stored ?? (await ResearchOverviewModel.findById(overviewId).lean())) as unknown as ResearchOverviewRecord;
}

/** The overview as stored, or null when it was never built. */
export async function readResearchOverview(): Promise<ResearchOverviewRecord | null> {
  const stored = (await ResearchOverviewModel.findById(overviewId).lean()) as ResearchOverviewRecord | null;
  return stored?.computedAt && stored.recruitment ? stored : null;
}
