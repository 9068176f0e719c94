import { AttendanceRecordModel } from '../../../models/AttendanceRecord.ts';
import { CareerOutcomeModel } from '../../../models/CareerOutcome.ts';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { CohortSessionModel } from '../../../models/CohortSession.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ProgrammeModel, type Track } from '../../../models/Programme.ts';
import { SurveyModel } from '../../../models/Survey.ts';
import { SurveyResponseModel } from '../../../models/SurveyResponse.ts';
import { NotFoundError } from '../../errors.ts';
import type { Types } from 'mongoose';
import { isObjectId, oid } from '../../ids.ts';
import { consentHistories, consentedAt, countable } from './consent.ts';

/**
 * The people research may count for a set of filters, and what they did: only enrolments (active or withdrawn,
 * never waitlisted) of people who consent now; answers and outcomes only when made while they consented. Shared by
 * the impact figures and the anonymised export, so both count the same people.
 */
export type ResearchFilters = { programmeId?: string; track?: Track; from?: string; to?: string };

export type PersonEnrolment = {
  userId: string;
  cohortId: string;
  programmeId: string;
  track: Track;
  enrolledAt: Date;
  cohortStartsOn: string;
  completed: boolean;
  /** Sessions marked present or late, and absent (excused and unmarked aside, as in cohort reports). */
  attended: number;
  absent: number;
};
export type Answer = {
  userId: string;
  programmeId: string;
  /** The cohort of her first enrolment in that programme: she answers a programme's survey once, for that one. */
  cohortId: string;
  moment: string;
  answers: Record<string, unknown>;
  /** The survey she answered (its own questions say what each answer is). */
  surveyId: string;
};
export type Outcome = { userId: string; kind: string; on: string };

export type Population = {
  enrolments: PersonEnrolment[];
  answers: Answer[];
  /** Outcomes within 12 months of one of her counted enrolments (from its enrolment day). */
  outcomes: Outcome[];
  questions: Map<string, { type: string; prompt: string; choices?: string[] | null }>;
  /** Each survey's questions by id: an answer is read as the question it was given to. */
  questionsOfSurvey: Map<string, Map<string, { type: string }>>;
};

/** Enrolments research counts: active or withdrawn (she took part), never waitlisted. */
export const countedStatuses: ('active' | 'withdrawn')[] = ['active', 'withdrawn'];
export const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const plusMonths = (day: string, months: number) => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return dayOf(d);
};
/** Outcomes count for an enrolment from its enrolment day to 12 months after. */
export const outcomeWindow = (day: string) => ({ from: day, to: plusMonths(day, 12) });

/**
 * The attendance marks of these cohorts that research counts: as in cohort reports, none of a session that was
 * cancelled (a register can be taken before a session is called off; the report then skips it, and so do we). Only
 * these people's, when `userIds` is given.
 */
export async function countedMarks(cohortIds: Types.ObjectId[], userIds?: Types.ObjectId[]) {
  const [records, cancelled] = await Promise.all([
    AttendanceRecordModel.find({ cohortId: { $in: cohortIds }, ...(userIds ? { userId: { $in: userIds } } : {}) })
      .select({ userId: 1, cohortId: 1, sessionId: 1, status: 1 })
      .lean(),
    CohortSessionModel.find({ cohortId: { $in: cohortIds }, status: 'cancelled' })
      .select({ _id: 1 })
      .lean(),
  ]);
  const off = new Set(cancelled.map((s) => String(s._id)));
  return records.filter((r) => !off.has(String(r.sessionId)));
}

/**
 * One answer per woman, programme, moment and question: her first (by answeredAt, then id). A moment may have
 * several surveys (surveys are never edited, so a revision is a new survey, often asking the same question ids), and
 * a figure's n must count people, as the suppression rule reads it. Pass only the answers that may be counted.
 */
export function firstAnswers<
  T extends {
    _id: unknown;
    userId: unknown;
    programmeId: unknown;
    moment: string;
    answers?: unknown;
    answeredAt: Date;
  },
>(responses: readonly T[]): (T & { answers: Record<string, unknown> })[] {
  const seen = new Set<string>();
  return [...responses]
    .sort((a, b) => a.answeredAt.getTime() - b.answeredAt.getTime() || String(a._id).localeCompare(String(b._id)))
    .map((r) => {
      const answers: Record<string, unknown> = {};
      for (const [id, value] of Object.entries((r.answers ?? {}) as Record<string, unknown>)) {
        const key = `${String(r.userId)}:${String(r.programmeId)}:${r.moment}:${id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        answers[id] = value;
      }
      return { ...r, answers };
    });
}

/** "userId:programmeId" → the cohort of her earliest enrolment in that programme (ties by cohort id). */
export function firstEnrolmentKey(
  enrolments: {
    userId: unknown;
    cohortId: unknown;
    programmeId?: unknown;
    enrolledAt?: Date | null;
    createdAt?: unknown;
  }[],
  programmeId?: string,
): Map<string, string> {
  const best = new Map<string, { at: number; cohortId: string }>();
  for (const e of enrolments) {
    const key = `${String(e.userId)}:${programmeId ?? String(e.programmeId)}`;
    const at = ((e.enrolledAt ?? e.createdAt) as Date).getTime();
    const cohortId = String(e.cohortId);
    const current = best.get(key);
    if (!current || at < current.at || (at === current.at && cohortId < current.cohortId))
      best.set(key, { at, cohortId });
  }
  return new Map([...best].map(([k, v]) => [k, v.cohortId]));
}

export async function loadPopulation(props: { filters: ResearchFilters; now: Date }): Promise<Population> {
  const { filters, now } = props;
  const programmeFilter: Record<string, unknown> = {};
  if (filters.programmeId) {
    if (!isObjectId(filters.programmeId)) throw new NotFoundError('No such programme.');
    programmeFilter._id = oid(filters.programmeId);
  }
  if (filters.track) programmeFilter.track = filters.track;
  const programmes = await ProgrammeModel.find(programmeFilter).select({ track: 1 }).lean();
  // A programme in another track than the filter's is an empty scope, not an unknown programme.
  if (filters.programmeId && !programmes.length && !(await ProgrammeModel.exists({ _id: programmeFilter._id })))
    throw new NotFoundError('No such programme.');
  const trackOf = new Map(programmes.map((p) => [String(p._id), p.track as Track]));
  const empty: Population = {
    enrolments: [],
    answers: [],
    outcomes: [],
    questions: new Map(),
    questionsOfSurvey: new Map(),
  };
  if (!programmes.length) return empty;

  const raw = await EnrolmentModel.find({
    programmeId: { $in: programmes.map((p) => p._id) },
    status: { $in: countedStatuses },
  })
    .select({ userId: 1, cohortId: 1, programmeId: 1, enrolledAt: 1, createdAt: 1 })
    .lean();
  const inRange = raw.filter((e) => {
    const day = dayOf((e.enrolledAt ?? e.createdAt) as Date);
    return (!filters.from || day >= filters.from) && (!filters.to || day <= filters.to);
  });
  const histories = await consentHistories([...new Set(inRange.map((e) => String(e.userId)))]);
  const counted = inRange.filter((e) => consentedAt(histories.get(String(e.userId)) ?? [], now));
  if (!counted.length) return empty;

  const userIds = [...new Set(counted.map((e) => String(e.userId)))];
  const cohortIds = [...new Set(counted.map((e) => String(e.cohortId)))];
  const [cohorts, certificates, records, responses, outcomes] = await Promise.all([
    CohortModel.find({ _id: { $in: cohortIds.map(oid) } })
      .select({ startsOn: 1 })
      .lean(),
    CertificateModel.find({ userId: { $in: userIds.map(oid) }, programmeId: { $in: programmes.map((p) => p._id) } })
      .select({ userId: 1, cohortId: 1, programmeId: 1 })
      .lean(),
    countedMarks(cohortIds.map(oid)),
    SurveyResponseModel.find({ programmeId: { $in: programmes.map((p) => p._id) } })
      .select({ userId: 1, programmeId: 1, moment: 1, answers: 1, answeredAt: 1, surveyId: 1 })
      .lean(),
    CareerOutcomeModel.find({ userId: { $in: userIds.map(oid) } })
      .select({ userId: 1, kind: 1, on: 1, createdAt: 1 })
      .lean(),
  ]);
  const startsOn = new Map(cohorts.map((c) => [String(c._id), c.startsOn]));
  // Completed: a certificate of her enrolment's programme in that cohort. A cohort moved to another programme keeps
  // the first's certificates, which say nothing of the programme it runs now (her enrolment's).
  const completionKey = (r: { userId: unknown; cohortId: unknown; programmeId: unknown }) =>
    `${String(r.userId)}:${String(r.cohortId)}:${String(r.programmeId)}`;
  const done = new Set(certificates.map(completionKey));
  const marks = new Map<string, { attended: number; absent: number }>();
  for (const r of records) {
    const key = `${String(r.userId)}:${String(r.cohortId)}`;
    const m = marks.get(key) ?? { attended: 0, absent: 0 };
    if (r.status === 'present' || r.status === 'late') m.attended += 1;
    else if (r.status === 'absent') m.absent += 1;
    marks.set(key, m);
  }
  const enrolments: PersonEnrolment[] = counted.map((e) => {
    const key = `${String(e.userId)}:${String(e.cohortId)}`;
    return {
      userId: String(e.userId),
      cohortId: String(e.cohortId),
      programmeId: String(e.programmeId),
      track: trackOf.get(String(e.programmeId))!,
      enrolledAt: (e.enrolledAt ?? e.createdAt) as Date,
      cohortStartsOn: startsOn.get(String(e.cohortId)) ?? '',
      completed: done.has(completionKey(e)),
      ...(marks.get(key) ?? { attended: 0, absent: 0 }),
    };
  });
  const history = (userId: string) => histories.get(userId) ?? [];
  const first = firstEnrolmentKey(raw);
  const countedEnrolments = new Set(counted.map((e) => `${String(e.userId)}:${String(e.cohortId)}`));
  const cohortOf = (r: { userId: unknown; programmeId: unknown }) =>
    first.get(`${String(r.userId)}:${String(r.programmeId)}`) ?? '';
  const answers = firstAnswers(
    responses
      .filter((r) => countedEnrolments.has(`${String(r.userId)}:${cohortOf(r)}`))
      .filter((r) => countable(history(String(r.userId)), r.answeredAt, now)),
  ).map((r) => ({
    userId: String(r.userId),
    programmeId: String(r.programmeId),
    cohortId: cohortOf(r),
    moment: r.moment,
    answers: r.answers,
    surveyId: String(r.surveyId),
  }));
  const surveys = await SurveyModel.find({ programmeId: { $in: programmes.map((p) => p._id) } })
    .select({ questions: 1 })
    .lean();
  const questions = new Map<string, { type: string; prompt: string; choices?: string[] | null }>();
  for (const s of surveys) for (const q of s.questions) if (!questions.has(q.id)) questions.set(q.id, q);
  // Each survey's own questions: an answer is read as the question it was given to (surveys.ts keeps one id one type).
  const questionsOfSurvey = new Map(surveys.map((s) => [String(s._id), new Map(s.questions.map((q) => [q.id, q]))]));
  const windows = new Map<string, { from: string; to: string }[]>();
  for (const e of enrolments) {
    const from = dayOf(e.enrolledAt);
    windows.set(e.userId, [...(windows.get(e.userId) ?? []), outcomeWindow(from)]);
  }
  const counts = outcomes
    .filter((o) => countable(history(String(o.userId)), (o.createdAt as Date | undefined) ?? now, now))
    .filter((o) => (windows.get(String(o.userId)) ?? []).some((w) => o.on >= w.from && o.on <= w.to))
    .map((o) => ({ userId: String(o.userId), kind: o.kind, on: o.on }));
  return { enrolments, answers, outcomes: counts, questions, questionsOfSurvey };
}
