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
  addRepeats,
  addSums,
  dropRepeatsBefore,
  emptyGroup,
  outcomeKindsCounted,
  peopleOf,
  personCounters,
  repeatsOfPerson,
  type GroupTotals,
  type MomentSums,
  type OutcomeKind,
  type PersonEnrolmentCounts,
  type RepeatScope,
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

/** One programme's summed figures, over all time or a date range: every view of the dashboard is cut from these. */
export type ProgrammeTotals = {
  track: Track;
  cohorts: number;
  group: GroupTotals;
  likert: { start: MomentSums; end: MomentSums };
};
/** By programme id. */
export type Breakdown = Map<string, ProgrammeTotals>;
export type Questions = Map<string, { type: string; prompt: string }>;

const emptyProgrammeTotals = (track: Track): ProgrammeTotals => ({
  track,
  cohorts: 0,
  group: emptyGroup(),
  likert: { start: {}, end: {} },
});

/** Per-programme totals straight from the source population (population.ts): what the records must add up to. */
export function breakdownOfPopulation(population: Population): Breakdown {
  const breakdown: Breakdown = new Map();
  const cohorts = new Map<string, Set<string>>();
  const trackOf = new Map(population.enrolments.map((e) => [e.programmeId, e.track]));
  const of = (programmeId: string) => {
    let totals = breakdown.get(programmeId);
    if (!totals) breakdown.set(programmeId, (totals = emptyProgrammeTotals(trackOf.get(programmeId)!)));
    return totals;
  };
  const outcomesOf = new Map<string, Outcome[]>();
  for (const o of population.outcomes) outcomesOf.set(o.userId, [...(outcomesOf.get(o.userId) ?? []), o]);
  const groups = population.enrolments.map((e) => {
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
    return g;
  });
  const byPerson = new Map<string, PersonEnrolmentCounts[]>();
  population.enrolments.forEach((e, i) => {
    const g = groups[i]!;
    const counts = Object.fromEntries(personCounters.map((c) => [c, g[c] > 0])) as PersonEnrolmentCounts['counts'];
    const at = e.enrolledAt.getTime();
    const list = byPerson.get(e.userId) ?? [];
    list.push({
      cohortId: e.cohortId,
      programmeId: e.programmeId,
      track: e.track,
      at,
      day: dayOf(e.enrolledAt),
      counts,
    });
    byPerson.set(e.userId, list);
  });
  const repeats = new Map([...byPerson].map(([userId, list]) => [userId, repeatsOfPerson(list)]));
  population.enrolments.forEach((e, i) => {
    const g = groups[i]!;
    addRepeats(g, repeats.get(e.userId)?.get(e.cohortId) ?? []);
    addGroup(of(e.programmeId).group, g);
    cohorts.set(e.programmeId, (cohorts.get(e.programmeId) ?? new Set()).add(e.cohortId));
  });
  for (const [id, set] of cohorts) of(id).cohorts = set.size;
  for (const a of population.answers) {
    if ((a.moment !== 'start' && a.moment !== 'end') || !trackOf.has(a.programmeId)) continue;
    const sums: MomentSums = {};
    for (const [id, v] of Object.entries(a.answers)) if (typeof v === 'number') sums[id] = { sum: v, n: 1 };
    addSums(of(a.programmeId).likert[a.moment], sums);
  }
  return breakdown;
}

/**
 * Cells of one group: participants, completion and attendance rates, outcomes. Counts are of people (a woman in
 * several cohorts of the group counts once), and so is every `n`: the rates stay rates of enrolments (a renewal that
 * completed the second time is one of two enrolments completed), drawn from the people enrolled or marked.
 */
function groupCells(prefix: string, g: GroupTotals, scope: RepeatScope) {
  const people = peopleOf(g, scope);
  const cells: Record<string, Cell> = {
    [`${prefix}participants`]: { value: people.participants, n: people.participants },
    [`${prefix}completionRate`]: { value: rate(g.completed, g.participants), n: people.participants },
    [`${prefix}attendanceRate`]: { value: rate(g.attended, g.sessions), n: people.marked },
  };
  for (const kind of outcomeKindsCounted) cells[`${prefix}outcomes.${kind}`] = { value: people[kind], n: people[kind] };
  return cells;
}

const likertIds = (questions: Questions) => [...questions].filter(([, q]) => q.type === 'likert5').map(([id]) => id);
const moments = ['start', 'end'] as const;

/** Pre/post means of each Likert question (start and end answers), with n. */
function likertCells(prefix: string, likert: ProgrammeTotals['likert'], ids: string[]) {
  const cells: Record<string, Cell> = {};
  for (const id of ids) {
    for (const moment of moments) {
      const { sum, n } = likert[moment][id] ?? { sum: 0, n: 0 };
      const mean = n ? Math.round((sum / n) * 100) / 100 : null;
      cells[`${prefix}likert.${id}.${moment}.mean`] = { value: mean, n };
      cells[`${prefix}likert.${id}.${moment}.n`] = { value: n, n };
    }
  }
  return cells;
}

/** A group of programmes the breakdown shows: everyone, a track, one programme. */
type Node = {
  prefix: string;
  /** Whom a woman counted in several of its enrolments is one person in. */
  scope: RepeatScope;
  programmeIds: string[];
  group: GroupTotals;
  likert: ProgrammeTotals['likert'];
  likertIds: string[];
};

/** Everyone, each track and each programme with someone counted, programmes in id order (a fixed order). */
function nodesOf(breakdown: Breakdown, questionsFor: (programmeIds: string[]) => Questions) {
  const node = (prefix: string, scope: RepeatScope): Node => ({
    prefix,
    scope,
    programmeIds: [],
    group: emptyGroup(),
    likert: { start: {}, end: {} },
    likertIds: [],
  });
  const all = node('', 'all');
  const byTrack = new Map<Track, Node>();
  const byProgramme = new Map<string, Node>();
  for (const id of [...breakdown.keys()].sort()) {
    const p = breakdown.get(id)!;
    if (!p.group.participants) continue;
    if (!byTrack.has(p.track)) byTrack.set(p.track, node(`byTrack.${p.track}.`, 'track'));
    const own = node(`byProgramme.${id}.`, 'programme');
    byProgramme.set(id, own);
    for (const n of [all, byTrack.get(p.track)!, own]) {
      n.programmeIds.push(id);
      addGroup(n.group, p.group);
      addSums(n.likert.start, p.likert.start);
      addSums(n.likert.end, p.likert.end);
    }
  }
  const trackNodes = tracks.filter((t) => byTrack.has(t)).map((t) => [t, byTrack.get(t)!] as const);
  for (const n of [all, ...byTrack.values(), ...byProgramme.values()])
    n.likertIds = likertIds(questionsFor(n.programmeIds));
  const families = [
    { parent: all, children: trackNodes.map(([, n]) => n) },
    ...trackNodes.map(([, t]) => ({ parent: t, children: t.programmeIds.map((id) => byProgramme.get(id)!) })),
  ];
  return { all, trackNodes, byProgramme, families };
}

/**
 * Every cell of the whole breakdown (everyone, by track, by programme), passed through the suppression rule at once,
 * so that a view of one track or one programme shows exactly what the breakdown shows of it: the sums declared
 * (everyone = the tracks, a track = its programmes, for participants, outcomes and Likert answers) keep any withheld
 * cell from being worked out by comparing views.
 */
function suppressBreakdown(
  breakdown: Breakdown,
  questionsFor: (ids: string[]) => Questions,
  withheld?: (cells: Record<string, Cell>) => string[],
) {
  const nodes = nodesOf(breakdown, questionsFor);
  const cells: Record<string, Cell> = {};
  const links: { from: string; to: string[] }[] = [];
  for (const n of [nodes.all, ...nodes.trackNodes.map(([, t]) => t), ...nodes.byProgramme.values()]) {
    // A group withheld takes its rates, outcomes and survey answers along: with the others' they would give its size
    // away (seven answers in one track beside everyone's twenty and another's ten leave at most three in the third).
    const own = groupCells(n.prefix, n.group, n.scope);
    const answers = likertCells(n.prefix, n.likert, n.likertIds);
    Object.assign(cells, own, answers);
    if (n !== nodes.all)
      links.push({ from: `${n.prefix}participants`, to: [...Object.keys(own), ...Object.keys(answers)] });
    for (const id of n.likertIds)
      for (const m of moments)
        links.push({ from: `${n.prefix}likert.${id}.${m}.n`, to: [`${n.prefix}likert.${id}.${m}.mean`] });
  }
  links.push({ from: 'participants', to: Object.keys(cells) });
  const sums: { total: string; parts: string[] }[] = [];
  for (const { parent, children } of nodes.families) {
    const sum = (name: string) => ({
      total: `${parent.prefix}${name}`,
      parts: children.map((c) => `${c.prefix}${name}`),
    });
    sums.push(sum('participants'), ...outcomeKindsCounted.map((k) => sum(`outcomes.${k}`)));
    for (const id of parent.likertIds) for (const m of moments) sums.push(sum(`likert.${id}.${m}.n`));
  }
  const { values, suppressed } = suppressFigures({ cells, sums, links, withheld: withheld?.(cells) });
  return { cells, values, hidden: new Set(suppressed), nodes };
}

/**
 * The pure part: the view the filters ask for, cut from the whole breakdown after suppression. A filtered view shows
 * a figure only when the breakdown shows the same cell; over a date range, a cell is also withheld when all time
 * withholds it or when all time's figure differs from the range's by 1 to 4 people (that difference would be a small
 * figure of its own).
 */
export function impactFigures(props: {
  breakdown: Breakdown;
  /** Over a date range: the breakdown over all time. */
  allTime?: Breakdown;
  filters: ResearchFilters;
  /** Every programme (by id) and its track. */
  trackOf: Map<string, Track>;
  questionsFor: (programmeIds: string[]) => Questions;
}) {
  const { filters, trackOf, questionsFor } = props;
  const reference = props.allTime && suppressBreakdown(props.allTime, questionsFor);
  const withheld = reference
    ? (cells: Record<string, Cell>) =>
        Object.keys(cells).filter((name) => {
          const whole = reference.cells[name];
          const gap = whole ? whole.n - cells[name]!.n : 0;
          return !whole || reference.hidden.has(name) || (gap > 0 && gap < suppressionThreshold);
        })
    : undefined;
  const { values, hidden } = suppressBreakdown(props.breakdown, questionsFor, withheld);

  const programmeTrack = filters.programmeId ? trackOf.get(filters.programmeId) : undefined;
  const matches = !filters.programmeId || !filters.track || programmeTrack === filters.track;
  const viewTrack = programmeTrack ?? filters.track;
  const prefix = !matches
    ? null
    : filters.programmeId
      ? `byProgramme.${filters.programmeId}.`
      : filters.track
        ? `byTrack.${filters.track}.`
        : '';
  const suppressed = new Set<string>();
  const at = (source: string | null, name: string) => (source === null ? null : `${source}${name}`);
  const read = (name: string, source: string | null) => {
    if (source === null || !(source in values) || hidden.has(source)) {
      suppressed.add(name);
      return null;
    }
    return values[source] ?? null;
  };
  const group = (name: string, source: string | null) => ({
    participants: read(`${name}participants`, at(source, `participants`)),
    completionRate: read(`${name}completionRate`, at(source, `completionRate`)),
    attendanceRate: read(`${name}attendanceRate`, at(source, `attendanceRate`)),
    outcomes: Object.fromEntries(
      outcomeKindsCounted.map((k) => [k, read(`${name}outcomes.${k}`, at(source, `outcomes.${k}`))]),
    ) as Record<OutcomeKind, number | null>,
  });
  const inScope = [...trackOf.keys()].filter(
    (id) => matches && inScopeOf(filters)({ _id: id, track: trackOf.get(id) }),
  );
  const questions = questionsFor(inScope);
  const overall = group('', prefix);
  const likert = likertIds(questions).map((id) => {
    const moment = (m: (typeof moments)[number]) => ({
      mean: read(`likert.${id}.${m}.mean`, at(prefix, `likert.${id}.${m}.mean`)),
      n: read(`likert.${id}.${m}.n`, at(prefix, `likert.${id}.${m}.n`)),
    });
    return { questionId: id, prompt: questions.get(id)?.prompt ?? id, start: moment('start'), end: moment('end') };
  });
  // Every track, and a view's own track, is listed whether or not anyone in it is counted: listing only tracks with
  // someone would tell "none" from "1 to 4", which the figures themselves withhold.
  const trackViews: [Track, string][] =
    prefix === '' ? tracks.map((t) => [t, `byTrack.${t}.`]) : prefix !== null && viewTrack ? [[viewTrack, prefix]] : [];
  const byTrack = Object.fromEntries(trackViews.map(([t, source]) => [t, group(`byTrack.${t}.`, source)])) as Partial<
    Record<Track, ReturnType<typeof group>>
  >;
  // Cohorts with someone counted: at most the number of participants, so it is withheld with them (4 cohorts beside
  // "fewer than 5" would say 4). An empty scope (a programme and a track it is not in) is empty whatever the data.
  const cohortCount = inScope.reduce((sum, id) => sum + (props.breakdown.get(id)?.cohorts ?? 0), 0);
  const cohorts = prefix === null ? 0 : overall.participants === null ? null : cohortCount;
  if (cohorts === null) suppressed.add('cohorts');
  return {
    cohorts,
    ...overall,
    likert,
    byTrack,
    suppressed: [...suppressed].sort(),
  };
}

/** Every programme, by title, with what the dashboard's filters show: a handful of documents. */
export async function researchProgrammes(): Promise<ResearchProgramme[]> {
  return ProgrammeModel.find().select({ title: 1, track: 1 }).sort({ title: 1 }).lean<ResearchProgramme[]>();
}
export type ResearchProgramme = { _id: Types.ObjectId; title: string; track: Track };

/** Whether a programme is in scope of the filters. */
const inScopeOf = (filters: ResearchFilters) => (p: { _id: unknown; track?: string }) =>
  (!filters.programmeId || String(p._id) === filters.programmeId) && (!filters.track || p.track === filters.track);

/** Every programme, from the source (the reference computation reads no records); one the filter names must exist. */
async function allProgrammes(filters: ResearchFilters) {
  if (filters.programmeId && !isObjectId(filters.programmeId)) throw new NotFoundError('No such programme.');
  const programmes = await researchProgrammes();
  if (filters.programmeId && !programmes.some((p) => String(p._id) === filters.programmeId))
    throw new NotFoundError('No such programme.');
  return programmes;
}

/**
 * Questions of the surveys of these programmes, by id (the first definition of an id wins, surveys oldest first), as
 * a function of the programmes asked about.
 */
async function questionsOf(programmeIds: Types.ObjectId[]): Promise<(ids: string[]) => Questions> {
  const surveys = await SurveyModel.find({ programmeId: { $in: programmeIds } })
    .select({ programmeId: 1, questions: 1 })
    .sort({ _id: 1 })
    .lean();
  return (ids) => {
    const wanted = new Set(ids);
    const questions: Questions = new Map();
    for (const s of surveys)
      if (wanted.has(String(s.programmeId)))
        for (const q of s.questions) if (!questions.has(q.id)) questions.set(q.id, q);
    return questions;
  };
}

/** The same from the records' copies: the Likert questions of the programmes asked about, surveys oldest first. */
const questionsOfRecords =
  (records: readonly ProgrammeFiguresRecord[]) =>
  (ids: string[]): Questions => {
    const wanted = new Set(ids);
    const all = records.filter((r) => wanted.has(String(r._id))).flatMap((r) => r.likertQuestions ?? []);
    all.sort((a, b) => String(a.surveyId).localeCompare(String(b.surveyId)));
    const questions: Questions = new Map();
    for (const q of all) if (!questions.has(q.id)) questions.set(q.id, { type: 'likert5', prompt: q.prompt });
    return questions;
  };

type ProgrammeRecords = { programmes: ResearchProgramme[]; records: ProgrammeFiguresRecord[] };

/**
 * Every programme (for the filter, by title) and every record (the figures of one view are cut from all of them); a
 * programme the filter names must be there, whatever its track (a track it is not in gives an empty view).
 */
function scoped(records: ProgrammeFiguresRecord[], filters: ResearchFilters): ProgrammeRecords {
  const programmes = records
    .map((r) => ({ _id: r._id, title: r.title!, track: r.track as Track }))
    .sort((a, b) => a.title.localeCompare(b.title));
  if (filters.programmeId && !records.some((r) => String(r._id) === filters.programmeId))
    throw new NotFoundError('No such programme.');
  return { programmes, records };
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

type Summed = GroupTotals & { likertStart?: MomentSums; likertEnd?: MomentSums };

function programmeTotalsOf(track: Track, periods: Summed[], cohorts: number, from?: string): ProgrammeTotals {
  const totals = emptyProgrammeTotals(track);
  totals.cohorts = cohorts;
  for (const g of periods) {
    addGroup(totals.group, g);
    addSums(totals.likert.start, g.likertStart ?? {});
    addSums(totals.likert.end, g.likertEnd ?? {});
  }
  dropRepeatsBefore(totals.group, from);
  return totals;
}

/**
 * Every programme's totals from the records (one small document per programme): over all time, each record's
 * `total`; over a date range, its whole months plus, from the month documents, the days of the (at most two) months
 * the range cuts through, and all time's too (a range withholds what all time withholds). Also answers when the
 * oldest cohort record in them was computed.
 */
async function breakdownOfRecords(filters: ResearchFilters, records: readonly ProgrammeFiguresRecord[]) {
  const withTotals = records.filter((r) => r.total).map((record) => ({ track: record.track as Track, record }));
  const ranged = Boolean(filters.from || filters.to);
  const cut = ranged ? await daysOfMonthsCut(filters, withTotals) : new Map<string, DayTotals[]>();
  const allTime: Breakdown = new Map();
  const inRange: Breakdown = new Map();
  let computedAt: Date | null = null;
  for (const { track, record } of withTotals) {
    if (record.computedAt && (!computedAt || record.computedAt < computedAt)) computedAt = record.computedAt;
    allTime.set(String(record._id), programmeTotalsOf(track, [record.total!], record.total!.cohorts));
    if (!ranged) continue;
    // A programme's cohorts are its own, so distinct cohorts add up across programmes.
    const cohorts = new Set<string>();
    const periods: Summed[] = [];
    for (const m of record.months) {
      const overlap = monthOverlap(m.month, filters);
      const days = overlap === 'whole' ? [m] : overlap === 'part' ? (cut.get(monthKey(record, m)) ?? []) : [];
      for (const d of days) {
        if ('day' in d && !dayInRange(d.day, filters)) continue;
        periods.push(d);
        for (const id of d.cohortIds) cohorts.add(String(id));
      }
    }
    inRange.set(String(record._id), programmeTotalsOf(track, periods, cohorts.size, filters.from));
  }
  return ranged ? { breakdown: inRange, allTime, computedAt } : { breakdown: allTime, computedAt };
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
  const { programmes, records, recruitment } = ranged
    ? { ...(await programmeRecords(props.filters)), recruitment: recruitmentSumsOf(props.filters) }
    : await fromOverview(props.filters);
  const [{ breakdown, allTime, computedAt }, boards] = await Promise.all([
    breakdownOfRecords(props.filters, records),
    recruitment.then(presentRecruitment),
  ]);
  const figures = impactFigures({
    breakdown,
    allTime,
    filters: props.filters,
    trackOf: new Map(records.map((r) => [String(r._id), r.track as Track])),
    questionsFor: questionsOfRecords(records),
  });
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
  const { filters } = props;
  const programmes = await allProgrammes(filters);
  const ranged = Boolean(filters.from || filters.to);
  const breakdownOf = async (range: ResearchFilters) =>
    breakdownOfPopulation(await loadPopulation({ filters: range, now }));
  const figures = impactFigures({
    breakdown: await breakdownOf({ from: filters.from, to: filters.to }),
    allTime: ranged ? await breakdownOf({}) : undefined,
    filters,
    trackOf: new Map(programmes.map((p) => [String(p._id), p.track])),
    questionsFor: await questionsOf(programmes.map((p) => p._id)),
  });
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
