import { RecruitmentRoundModel } from '../../../models/RecruitmentRound.ts';
import { tracks, type Track } from '../../../models/Programme.ts';
import { ForbiddenError } from '../../errors.ts';
import { canSeeResearch } from '../../policies/research.ts';
import { addUpFigures, suppressTotals } from '../boards/fairness.ts';
import { loadPopulation, type Population, type PersonEnrolment, type ResearchFilters } from './population.ts';
import { suppressFigures, suppressionThreshold, type Cell } from './suppression.ts';

export const outcomeKindsCounted = ['applied', 'interviewed', 'appointed'] as const;
type OutcomeKind = (typeof outcomeKindsCounted)[number];

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const rate = (num: number, den: number): number | null => (den ? round3(num / den) : null);

/** Cells of one group of enrolments: participants, completion and attendance rates, outcomes. */
function groupCells(prefix: string, enrolments: PersonEnrolment[], outcomes: Population['outcomes']) {
  const people = new Set(enrolments.map((e) => e.userId));
  const marked = enrolments.filter((e) => e.attended + e.absent > 0);
  const attended = marked.reduce((s, e) => s + e.attended, 0);
  const sessions = marked.reduce((s, e) => s + e.attended + e.absent, 0);
  const cells: Record<string, Cell> = {
    [`${prefix}participants`]: { value: people.size, n: people.size },
    [`${prefix}completionRate`]: {
      value: rate(enrolments.filter((e) => e.completed).length, enrolments.length),
      n: people.size,
    },
    [`${prefix}attendanceRate`]: { value: rate(attended, sessions), n: new Set(marked.map((e) => e.userId)).size },
  };
  for (const kind of outcomeKindsCounted) {
    const who = new Set(outcomes.filter((o) => o.kind === kind && people.has(o.userId)).map((o) => o.userId));
    cells[`${prefix}outcomes.${kind}`] = { value: who.size, n: who.size };
  }
  return cells;
}

/** Pre/post means of each Likert question (start and end answers), with n. */
function likertCells(population: Population) {
  const cells: Record<string, Cell> = {};
  const ids: string[] = [];
  for (const [id, q] of population.questions) {
    if (q.type !== 'likert5') continue;
    ids.push(id);
    for (const moment of ['start', 'end'] as const) {
      const values = population.answers
        .filter((a) => a.moment === moment && typeof a.answers[id] === 'number')
        .map((a) => a.answers[id] as number);
      const mean = values.length ? Math.round((values.reduce((s, v) => s + v, 0) / values.length) * 100) / 100 : null;
      cells[`likert.${id}.${moment}.mean`] = { value: mean, n: values.length };
      cells[`likert.${id}.${moment}.n`] = { value: values.length, n: values.length };
    }
  }
  return { cells, ids };
}

/** The pure part: figures of a population, every one passed through the suppression rule. */
export function impactFigures(population: Population) {
  const presentTracks = tracks.filter((t) => population.enrolments.some((e) => e.track === t));
  const cells: Record<string, Cell> = { ...groupCells('', population.enrolments, population.outcomes) };
  const links: { from: string; to: string[] }[] = [];
  for (const t of presentTracks) {
    const trackCells = groupCells(
      `byTrack.${t}.`,
      population.enrolments.filter((e) => e.track === t),
      population.outcomes,
    );
    Object.assign(cells, trackCells);
    links.push({ from: `byTrack.${t}.participants`, to: Object.keys(trackCells) });
  }
  links.push({ from: 'participants', to: Object.keys(cells) });
  const likert = likertCells(population);
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
    cohorts: new Set(population.enrolments.map((e) => e.cohortId)).size,
    ...overall,
    likert: likert.ids.map((id) => ({
      questionId: id,
      prompt: population.questions.get(id)?.prompt ?? id,
      start: { mean: values[`likert.${id}.start.mean`] ?? null, n: values[`likert.${id}.start.n`] ?? null },
      end: { mean: values[`likert.${id}.end.mean`] ?? null, n: values[`likert.${id}.end.n`] ?? null },
    })),
    byTrack: Object.fromEntries(presentTracks.map((t) => [t, group(`byTrack.${t}.`)])) as Partial<
      Record<Track, ReturnType<typeof group>>
    >,
    suppressed,
  };
}

/**
 * Panels' training before interviews and the gender figures boards recorded, from closed recruitment rounds in the
 * date range (boards' own suppression rule for the gender figures, server/services/boards/fairness.ts).
 */
async function recruitmentFigures(filters: ResearchFilters) {
  const rounds = (
    await RecruitmentRoundModel.find({ status: 'closed' })
      .select({ closedAt: 1, readinessRecord: 1, genderFigures: 1 })
      .lean()
  ).filter((r) => {
    const day = r.closedAt ? r.closedAt.toISOString().slice(0, 10) : '';
    return (!filters.from || day >= filters.from) && (!filters.to || day <= filters.to);
  });
  const recorded = rounds.filter((r) => r.readinessRecord);
  const members = recorded.flatMap((r) => r.readinessRecord?.members ?? []);
  const trained = members.filter((m) => m.status === 'valid').length;
  const panelCells = suppressFigures({
    cells: { 'panels.trainedShare': { value: rate(trained, members.length), n: members.length } },
  });
  return {
    panels: {
      rounds: recorded.length,
      readyBeforeInterview: recorded.filter((r) => r.readinessRecord?.ready === true).length,
      trainedShare: panelCells.values['panels.trainedShare'] ?? null,
    },
    recruitment: suppressTotals(addUpFigures(rounds)),
    suppressed: panelCells.suppressed,
  };
}

/** GET /api/v1/research/impact: aggregates only, of consenting participants, small numbers withheld. */
export async function researchImpact(props: { actor: Express.User; filters: ResearchFilters; now?: Date }) {
  if (!canSeeResearch(props.actor)) throw new ForbiddenError();
  const now = props.now ?? new Date();
  const population = await loadPopulation({ filters: props.filters, now });
  const figures = impactFigures(population);
  const boards = await recruitmentFigures(props.filters);
  return {
    filters: props.filters,
    threshold: suppressionThreshold,
    ...figures,
    panels: boards.panels,
    recruitment: boards.recruitment,
    suppressed: [...figures.suppressed, ...boards.suppressed],
  };
}
