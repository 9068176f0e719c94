import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { ResearchParticipantModel } from '../../../models/ResearchParticipant.ts';
import { surveyMoments } from '../../../models/Survey.ts';
import { toCsv, type CsvCell } from '../../csv.ts';
import { ForbiddenError } from '../../errors.ts';
import { canSeeResearch } from '../../policies/research.ts';
import { recordAuditEvent } from '../audit/events.ts';
import { coarsen } from './anonymise.ts';
import { outcomeKindsCounted } from './figureSums.ts';
import { dayOf, loadPopulation, outcomeWindow, type PersonEnrolment, type ResearchFilters } from './population.ts';

/**
 * The anonymised export: one row per consenting participant, keyed by a research id drawn at random for each
 * export. Ids are not stable across exports on purpose: two exports cannot be joined row by row, so filtering twice
 * cannot single a person out by difference. Within one export, her row is her only row.
 */
export const dataDictionary: { column: string; meaning: string }[] = [
  {
    column: 'researchId',
    meaning: 'A random id drawn for this export only; not her user id, not the same in another export.',
  },
  {
    column: 'track',
    meaning: 'Programme track (governing-board, aspiring-leader, new-head), or "other" when coarsened.',
  },
  {
    column: 'cohortYear',
    meaning: 'Year her cohort started (her latest enrolment in scope), or "other" when coarsened.',
  },
  {
    column: 'region',
    meaning:
      'Region she gave, coarsened to her country code, then "other", so that no row is unique on region × phase × cohort year × track.',
  },
  { column: 'phase', meaning: 'School phase she gave (primary, secondary, …), or "other".' },
  {
    column: 'completed',
    meaning: 'yes when she completed the programme in that cohort (a certificate of that programme was issued).',
  },
  {
    column: 'attendanceRate',
    meaning: '(present + late) / (present + late + absent) of her marked sessions, 0–1; empty when none were marked.',
  },
  {
    column: '<moment>.<questionId>',
    meaning:
      'Her answer to a Likert (1–5) or choice question at that moment (start, end, followup-6m, followup-12m). Free-text answers are never exported.',
  },
  {
    column: 'applied, interviewed, appointed',
    meaning: 'yes when she recorded that step within 12 months of her enrolment, while consenting.',
  },
];

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export async function researchExport(props: {
  actor: Express.User;
  filters: ResearchFilters;
  ip?: string | null;
  now?: Date;
}): Promise<{ csv: string; rows: number }> {
  if (!canSeeResearch(props.actor)) throw new ForbiddenError();
  const now = props.now ?? new Date();
  const population = await loadPopulation({ filters: props.filters, now });
  const latest = new Map<string, PersonEnrolment>();
  for (const e of population.enrolments) {
    const prev = latest.get(e.userId);
    if (!prev || prev.enrolledAt < e.enrolledAt) latest.set(e.userId, e);
  }
  const userIds = [...latest.keys()];
  const contexts = new Map(
    (
      await ResearchParticipantModel.find({ userId: { $in: userIds.map((id) => new Types.ObjectId(id)) } })
        .select({ userId: 1, country: 1, region: 1, phase: 1 })
        .lean()
    ).map((c) => [String(c.userId), c]),
  );
  // An answer is exported only when the question it was given to, in its own survey, is Likert or choice: never a
  // free-text answer, whatever another survey of the programme asked under the same id.
  const exportable = (a: (typeof population.answers)[number], qid: string) => {
    const type = population.questionsOfSurvey.get(a.surveyId)?.get(qid)?.type;
    return type === 'likert5' || type === 'choice';
  };
  const answerColumns = [...population.questions]
    .filter(([, q]) => q.type === 'likert5' || q.type === 'choice')
    .flatMap(([id]) => surveyMoments.map((m) => `${m}.${id}`))
    .filter((col) =>
      population.answers.some((a) => {
        const qid = col.slice(a.moment.length + 1);
        return col === `${a.moment}.${qid}` && qid in a.answers && exportable(a, qid);
      }),
    );
  const rows = userIds.map((userId) => {
    const e = latest.get(userId)!;
    const c = contexts.get(userId);
    const answers: Record<string, CsvCell> = {};
    for (const a of population.answers.filter((x) => x.userId === userId && x.programmeId === e.programmeId)) {
      for (const [qid, value] of Object.entries(a.answers))
        if (exportable(a, qid)) answers[`${a.moment}.${qid}`] = value as CsvCell;
    }
    // Her row is one enrolment: a step counts when dated within 12 months of that one's day (as the dictionary says),
    // not of an earlier enrolment the population also counted.
    const window = outcomeWindow(dayOf(e.enrolledAt));
    const outcomes = population.outcomes.filter((o) => o.userId === userId && o.on >= window.from && o.on <= window.to);
    return {
      region: c?.region ?? '',
      country: c?.country ?? '',
      phase: c?.phase ?? '',
      track: e.track as string,
      cohortYear: e.cohortStartsOn.slice(0, 4),
      completed: yesNo(e.completed),
      attendanceRate: e.attended + e.absent ? Math.round((e.attended / (e.attended + e.absent)) * 1000) / 1000 : null,
      answers,
      outcomes: Object.fromEntries(outcomeKindsCounted.map((k) => [k, yesNo(outcomes.some((o) => o.kind === k))])),
    };
  });
  // Shuffled, so row order (which follows enrolment order) says nothing either.
  const safe = coarsen(rows).map((r) => ({ r, sortKey: randomBytes(4).readUInt32BE() }));
  safe.sort((a, b) => a.sortKey - b.sortKey);
  const header = [
    'researchId',
    'track',
    'cohortYear',
    'region',
    'phase',
    'completed',
    'attendanceRate',
    ...answerColumns,
    ...outcomeKindsCounted,
  ];
  const csv = toCsv({
    header,
    rows: safe.map(({ r }) => [
      randomBytes(8).toString('hex'),
      r.track,
      r.cohortYear,
      r.region,
      r.phase,
      r.completed,
      r.attendanceRate,
      ...answerColumns.map((col) => r.answers[col] ?? null),
      ...outcomeKindsCounted.map((k) => r.outcomes[k]),
    ]),
  });
  await recordAuditEvent({
    action: 'research-exported',
    actor: { id: props.actor.id, name: props.actor.name },
    ip: props.ip ?? null,
    detail: JSON.stringify({ filters: props.filters, rows: safe.length }),
    at: now,
  });
  return { csv, rows: safe.length };
}
