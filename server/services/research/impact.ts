import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { ProgrammeModel, tracks, type Track } from '../../../models/Programme.ts';
import { ResearchProgrammeFiguresModel, ResearchProgrammeMonthModel } from '../../../models/ResearchCohortFigures.ts';
import { SurveyModel } from '../../../models/Survey.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { isObjectId } from '../../ids.ts';
import { canSeeResearch } from '../../policies/research.ts';
import {
  figuresRefreshMinutes,
  programmeMonthId,
  readResearchOverview,
  rebuildResearchOverview,
  rollUpProgrammeFigures,
  type ResearchOverviewRecord,
  type DayTotals,
  type MonthTotals,
  type ProgrammeFiguresRecord,
} from './cohortFigures.ts';
import {
  addGroup,
  addSums,
  emptyGroup,
  outcomeKindsCounted,
  type GroupTotals,
  type MomentSums,
  type OutcomeKind,
} from './figureSums.ts';
import {
  dayOf,
  loadPopulation,
  outcomeWindow,
  type Outcome,
  type Population,
  type ResearchFilters,
} from './population.ts';
import { presentRecruitment, recruitmentSumsOf, type RecruitmentSums } from './recruitment.ts';
import { suppressFigures, suppressionThreshold, type Cell } from './suppression.ts';

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const rate = (num: number, den: number): number | null => (den ? round3(num / den) : null);

export type ImpactTotals = {
  cohorts: number;
  all: GroupTotals;
  byTrack: Partial<Record<Track, GroupTotals>>;
  likert: { start: MomentSums; end: MomentSums };
};
export type Questions = Map<string, { type: string; prompt: string }>;

/** Totals straight from the source population (population.ts): the reference the per-cohort records must equal. */
export function totalsOfPopulation(population: Population): ImpactTotals {
  const totals: ImpactTotals = { cohorts: 0, all: emptyGroup(), byTrack: {}, likert: { start: {}, end: {} } };
  totals.cohorts = new Set(population.enrolments.map((e) => e.cohortId)).size;
  const outcomesOf = new Map<string, Outcome[]>();
  for (const o of population.outcomes) outcomesOf.set(o.userId, [...(outcomesOf.get(o.userId) ?? []), o]);
  for (const e of population.enrolments) {
    const g = emptyGroup();
    g.participants = 1;
    g.completed = e.completed ? 1 : 0;
    if (e.attended + e.absent > 0) {
      g.marked = 1;
      g.attended = e.attended;
      g.sessions = e.attended + e.absent;
    }
    const window = outcomeWindow(dayOf(e.enrolledAt));
    for (const kind of outcomeKindsCounted)
      g[kind] = (outcomesOf.get(e.userId) ?? []).some(
        (o) => o.kind === kind && o.on >= window.from && o.on <= window.to,
      )
        ? 1
        : 0;
    addGroup(totals.all, g);
    addGroup((totals.byTrack[e.track] ??= emptyGroup()), g);
  }
  for (const a of population.answers) {
    if (a.moment !== 'start' && a.moment !== 'end') continue;
    const sums: MomentSums = {};
    for (const [id, v] of Object.entries(a.answers)) if (typeof v === 'number') sums[id] = { sum: v, n: 1 };
    addSums(totals.likert[a.moment], sums);
  }
  return totals;
}

/** Cells of one group: participants, completion and attendance rates, outcomes. */
function groupCells(prefix: string, g: GroupTotals) {
  const cells: Record<string, Cell> = {
    [`${prefix}participants`]: { value: g.participants, n: g.participants },
    [`${prefix}completionRate`]: { value: rate(g.completed, g.participants), n: g.participants },
    [`${prefix}attendanceRate`]: { value: rate(g.attended, g.sessions), n: g.marked },
  };
  for (const kind of outcomeKindsCounted) cells[`${prefix}outcomes.${kind}`] = { value: g[kind], n: g[kind] };
  return cells;
}

/** Pre/post means of each Likert question (start and end answers), with n. */
function likertCells(totals: ImpactTotals, questions: Questions) {
  const cells: Record<string, Cell> = {};
  const ids: string[] = [];
  for (const [id, q] of questions) {
    if (q.type !== 'likert5') continue;
    ids.push(id);
    for (const moment of ['start', 'end'] as const) {
      const { sum, n } = totals.likert[moment][id] ?? { sum: 0, n: 0 };
      const mean = n ? Math.round((sum / n) * 100) / 100 : null;
      cells[`likert.${id}.${moment}.mean`] = { value: mean, n };
      cells[`likert.${id}.${moment}.n`] = { value: n, n };
    }
  }
  return { cells, ids };
}

/** The pure part: figures of the summed totals, every one passed through the suppression rule. */
export function impactFigures(totals: ImpactTotals, questions: Questions) {
  const presentTracks = tracks.filter((t) => (totals.byTrack[t]?.participants ?? 0) > 0);
  const cells: Record<string, Cell> = { ...groupCells('', totals.all) };
  const links: { from: string; to: string[] }[] = [];
  for (const t of presentTracks) {
    const trackCells = groupCells(`byTrack.${t}.`, totals.byTrack[t]!);
    Object.assign(cells, trackCells);
    links.push({ from: `byTrack.${t}.participants`, to: Object.keys(trackCells) });
  }
  links.push({ from: 'participants', to: Object.keys(cells) });
  const likert = likertCells(totals, questions);
  Object.assign(cells, likert.cells);
  for (const id of likert.ids)
    for (const m of ['start', 'end']) links.push({ from: `likert.${id}.${m}.n`, to: [`likert.${id}.${m}.mean`] });
  const sums = [
    { total: 'participants', parts: presentTracks.map((t) => `byTrack.${t}.participants`) },
    ...outcomeKindsCounted.map((k) => ({
      total: `outcomes.${k}`,
      parts: presentTracks.map((t) => `byTrack.${t}.outcomes.${k}`),
    })),
  ];
  const { values, suppressed } = suppressFigures({ cells, sums, links });
  const group = (prefix: string) => ({
    participants: values[`${prefix}participants`] ?? null,
    completionRate: values[`${prefix}completionRate`] ?? null,
    attendanceRate: values[`${prefix}attendanceRate`] ?? null,
    outcomes: Object.fromEntries(
      outcomeKindsCounted.map((k) => [k, values[`${prefix}outcomes.${k}`] ?? null]),
    ) as Record<OutcomeKind, number | null>,
  });
  const overall = group('');
  return {
    cohorts: totals.cohorts,
    ...overall,
    likert: likert.ids.map((id) => ({
      questionId: id,
      prompt: questions.get(id)?.prompt ?? id,
      start: { mean: values[`likert.${id}.start.mean`] ?? null, n: values[`likert.${id}.start.n`] ?? null },
      end: { mean: values[`likert.${id}.end.mean`] ?? null, n: values[`likert.${id}.end.n`] ?? null },
    })),
    byTrack: Object.fromEntries(presentTracks.map((t) => [t, group(`byTrack.${t}.`)])) as Partial<
      Record<Track, ReturnType<typeof group>>
    >,
    suppressed,
  };
}

/** Every programme, by title, with what the dashboard's filters show: a handful of documents. */
export async function researchProgrammes(): Promise<ResearchProgramme[]> {
  return ProgrammeModel.find().select({ title: 1, track: 1 }).sort({ title: 1 }).lean<ResearchProgramme[]>();
}
export type ResearchProgramme = { _id: Types.ObjectId; title: string; track: Track };

/** Whether a programme is in scope of the filters. */
const inScopeOf = (filters: ResearchFilters) => (p: { _id: Types.ObjectId; track?: string }) =>
  (!filters.programmeId || String(p._id) === filters.programmeId) && (!filters.track || p.track === filters.track);

/** The programmes in scope of the filters, from the source (the reference computation reads no records). */
async function programmesInScope(filters: ResearchFilters) {
  if (filters.programmeId && !isObjectId(filters.programmeId)) throw new NotFoundError('No such programme.');
  const programmes = (await researchProgrammes()).filter(inScopeOf(filters));
  if (filters.programmeId && !programmes.length) throw new NotFoundError('No such programme.');
  return programmes;
}

/** Questions of the surveys of these programmes, by id (the first definition of an id wins, surveys oldest first). */
async function questionsOf(programmeIds: Types.ObjectId[]): Promise<Questions> {
  const surveys = await SurveyModel.find({ programmeId: { $in: programmeIds } })
    .select({ questions: 1 })
    .sort({ _id: 1 })
    .lean();
  const questions: Questions = new Map();
  for (const s of surveys) for (const q of s.questions) if (!questions.has(q.id)) questions.set(q.id, q);
  return questions;
}

/** The same from the records' copies: the Likert questions of every programme in scope, surveys oldest first. */
function questionsOfRecords(records: readonly ProgrammeFiguresRecord[]): Questions {
  const all = records.flatMap((r) => r.likertQuestions ?? []);
  all.sort((a, b) => String(a.surveyId).localeCompare(String(b.surveyId)));
  const questions: Questions = new Map();
  for (const q of all) if (!questions.has(q.id)) questions.set(q.id, { type: 'likert5', prompt: q.prompt });
  return questions;
}

type ProgrammeRecords = { programmes: ResearchProgramme[]; inScope: ProgrammeFiguresRecord[] };

/** Every programme (for the filter, by title) and the records in scope; a programme the filter names must be there. */
function scoped(records: readonly ProgrammeFiguresRecord[], filters: ResearchFilters): ProgrammeRecords {
  const programmes = records
    .map((r) => ({ _id: r._id, title: r.title!, track: r.track as Track }))
    .sort((a, b) => a.title.localeCompare(b.title));
  const inScope = records.filter(inScopeOf(filters));
  if (filters.programmeId && !inScope.length) throw new NotFoundError('No such programme.');
  return { programmes, inScope };
}

/**
 * A programme the filter names but the derived records do not hold yet: 404 when it does not exist, so a made-up id
 * costs one read and writes nothing (rolling it up would take a ticket, an upsert, first).
 */
async function assertNamedProgrammeExists(filters: ResearchFilters): Promise<void> {
  if (!(await ProgrammeModel.exists({ _id: filters.programmeId }))) throw new NotFoundError('No such programme.');
}

/**
 * For a date range: every programme's record, in one read: the dashboard's programme filter (title and track are
 * copied into the records) and the records in scope of the filters. A record the roll-up has not finished, or one written before the
 * copies existed, is rolled up here (computing any missing cohort record from the source); so is every programme
 * when no record exists yet (a new database before the refresh job's first run), and a programme named by the filter
 * that has none. A programme made without its creation event (written straight to the database) is listed from the
 * job's next run.
 */
async function programmeRecords(filters: ResearchFilters): Promise<ProgrammeRecords> {
  if (filters.programmeId && !isObjectId(filters.programmeId)) throw new NotFoundError('No such programme.');
  const read = (await ResearchProgrammeFiguresModel.find()
    .select({ title: 1, track: 1, computedAt: 1, total: 1, likertQuestions: 1, months: 1 })
    .lean()) as unknown as ProgrammeFiguresRecord[];
  const programmeIds = read.length
    ? read.map((r) => r._id)
    : (await ProgrammeModel.find().select({ _id: 1 }).lean()).map((p) => p._id);
  if (filters.programmeId && !programmeIds.some((id) => String(id) === filters.programmeId)) {
    await assertNamedProgrammeExists(filters);
    programmeIds.push(new Types.ObjectId(filters.programmeId));
  }
  const byId = new Map(read.map((r) => [String(r._id), r]));
  const records: ProgrammeFiguresRecord[] = [];
  for (const id of programmeIds) {
    const stored = byId.get(String(id));
    const record =
      stored?.computedAt && stored.total && stored.title ? stored : await rollUpProgrammeFigures({ programmeId: id });
    if (record?.title) records.push(record);
  }
  return scoped(records, filters);
}

/**
 * The same from the research overview, one document (rebuilt here when it was never built, and when the filter names
 * a programme it does not hold yet, which is then rolled up if it exists), and its recruitment sums.
 */
async function fromOverview(
  filters: ResearchFilters,
): Promise<ProgrammeRecords & { recruitment: Promise<RecruitmentSums> }> {
  if (filters.programmeId && !isObjectId(filters.programmeId)) throw new NotFoundError('No such programme.');
  const holds = (o: ResearchOverviewRecord) =>
    !filters.programmeId || o.programmes.some((p) => String(p.programmeId) === filters.programmeId);
  let overview = await readResearchOverview();
  if (overview && !holds(overview)) await assertNamedProgrammeExists(filters);
  if (!overview || !holds(overview)) overview = await rebuildResearchOverview();
  const records: ProgrammeFiguresRecord[] = overview.programmes.map((p) => ({
    _id: p.programmeId,
    title: p.title,
    track: p.track,
    likertQuestions: p.likertQuestions,
    version: 0,
    computedAt: p.computedAt,
    total: p.total,
    months: [],
  }));
  return { ...scoped(records, filters), recruitment: Promise.resolve(overview.recruitment!) };
}

/**
 * Totals from the programmes' records (one small document per programme in scope): over all time, each record's
 * `total`; over a date range, its whole months plus, from the month documents, the days of the (at most two) months
 * the range cuts through. Also answers when the oldest cohort record in them was computed.
 */
async function totalsFromRecords(filters: ResearchFilters, records: readonly ProgrammeFiguresRecord[]) {
  const inScope = records.filter((r) => r.total).map((record) => ({ track: record.track as Track, record }));
  const ranged = Boolean(filters.from || filters.to);
  const cut = ranged ? await daysOfMonthsCut(filters, inScope) : new Map<string, DayTotals[]>();
  const totals: ImpactTotals = { cohorts: 0, all: emptyGroup(), byTrack: {}, likert: { start: {}, end: {} } };
  let computedAt: Date | null = null;
  const add = (track: Track, g: GroupTotals & { likertStart?: MomentSums; likertEnd?: MomentSums }) => {
    addGroup(totals.all, g);
    addGroup((totals.byTrack[track] ??= emptyGroup()), g);
    addSums(totals.likert.start, g.likertStart ?? {});
    addSums(totals.likert.end, g.likertEnd ?? {});
  };
  for (const { track, record } of inScope) {
    if (record.computedAt && (!computedAt || record.computedAt < computedAt)) computedAt = record.computedAt;
    if (!ranged) {
      add(track, record.total!);
      totals.cohorts += record.total!.cohorts;
      continue;
    }
    // A programme's cohorts are its own, so distinct cohorts add up across programmes.
    const cohorts = new Set<string>();
    for (const m of record.months) {
      const overlap = monthOverlap(m.month, filters);
      const periods = overlap === 'whole' ? [m] : overlap === 'part' ? (cut.get(monthKey(record, m)) ?? []) : [];
      for (const d of periods) {
        if ('day' in d && !dayInRange(d.day, filters)) continue;
        add(track, d);
        for (const id of d.cohortIds) cohorts.add(String(id));
      }
    }
    totals.cohorts += cohorts.size;
  }
  return { totals, computedAt };
}

const dayInRange = (day: string, filters: ResearchFilters) =>
  (!filters.from || day >= filters.from) && (!filters.to || day <= filters.to);

/** Whether a YYYY-MM month lies wholly inside the range, partly, or outside it (days are YYYY-MM-DD strings). */
function monthOverlap(month: string, filters: ResearchFilters): 'whole' | 'part' | 'none' {
  const first = `${month}-01`;
  const last = DateTime.fromISO(first, { zone: 'utc' }).endOf('month').toISODate()!;
  if ((filters.to && filters.to < first) || (filters.from && filters.from > last)) return 'none';
  if ((!filters.from || filters.from <= first) && (!filters.to || filters.to >= last)) return 'whole';
  return 'part';
}

const monthKey = (record: ProgrammeFiguresRecord, m: MonthTotals) => programmeMonthId(record._id, m.month);

/** The day rows of the months a date range cuts through, one read for every programme in scope. */
async function daysOfMonthsCut(filters: ResearchFilters, inScope: { record: ProgrammeFiguresRecord }[]) {
  const ids = inScope.flatMap(({ record }) =>
    record.months.filter((m) => monthOverlap(m.month, filters) === 'part').map((m) => monthKey(record, m)),
  );
  if (!ids.length) return new Map<string, DayTotals[]>();
  const months = await ResearchProgrammeMonthModel.find({ _id: { $in: ids } })
    .select({ days: 1 })
    .lean();
  return new Map(months.map((m) => [String(m._id), m.days as unknown as DayTotals[]]));
}

/**
 * GET /api/v1/research/impact: aggregates only, of consenting participants, small numbers withheld. Summed from the
 * per-cohort records (cohortFigures.ts); `computedAt` says how fresh the oldest of them is.
 */
export async function researchImpact(props: { actor: Express.User; filters: ResearchFilters }) {
  return (await impactDashboard(props)).impact;
}

/** The impact figures and every programme (for the dashboard's filter), from the programmes' records. */
export async function impactDashboard(props: { actor: Express.User; filters: ResearchFilters }) {
  if (!canSeeResearch(props.actor)) throw new ForbiddenError();
  const ranged = Boolean(props.filters.from || props.filters.to);
  // Over all time, the overview answers in one read; a date range needs the months and the rounds closed in it.
  const { programmes, inScope, recruitment } = ranged
    ? { ...(await programmeRecords(props.filters)), recruitment: recruitmentSumsOf(props.filters) }
    : await fromOverview(props.filters);
  const [{ totals, computedAt }, boards] = await Promise.all([
    totalsFromRecords(props.filters, inScope),
    recruitment.then(presentRecruitment),
  ]);
  const figures = impactFigures(totals, questionsOfRecords(inScope));
  const impact = {
    filters: props.filters,
    threshold: suppressionThreshold,
    computedAt: computedAt ? computedAt.toISOString() : null,
    refreshMinutes: figuresRefreshMinutes,
    ...figures,
    panels: boards.panels,
    recruitment: boards.recruitment,
    suppressed: [...figures.suppressed, ...boards.suppressed],
  };
  return { impact, programmes };
}

/**
 * The same figures computed from the source collections at `now` (every consenting participant's records): what the
 * records must add up to. Used by the tests; too slow for a page at scale (README "Research figures").
 */
export async function researchImpactFromSource(props: { actor: Express.User; filters: ResearchFilters; now?: Date }) {
  if (!canSeeResearch(props.actor)) throw new ForbiddenError();
  const now = props.now ?? new Date();
  const programmes = await programmesInScope(props.filters);
  const population = await loadPopulation({ filters: props.filters, now });
  const figures = impactFigures(totalsOfPopulation(population), await questionsOf(programmes.map((p) => p._id)));
  const boards = presentRecruitment(await recruitmentSumsOf(props.filters));
  return {
    filters: props.filters,
    threshold: suppressionThreshold,
    ...figures,
    panels: boards.panels,
    recruitment: boards.recruitment,
    suppressed: [...figures.suppressed, ...boards.suppressed],
  };
}
