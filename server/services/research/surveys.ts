import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { CertificateModel } from '../../../models/Certificate.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { NotificationModel } from '../../../models/Notification.ts';
import { ProgrammeModel } from '../../../models/Programme.ts';
import { SurveyModel, type QuestionType, type SurveyMoment } from '../../../models/Survey.ts';
import { SurveyResponseModel } from '../../../models/SurveyResponse.ts';
import { UserModel } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../../errors.ts';
import { isObjectId, oid } from '../../ids.ts';
import { canDesignSurveys } from '../../policies/research.ts';
import { absoluteUrl } from '../../settings.ts';
import { clientKeyOrNew, createOnce } from '../../submissions.ts';
import { planNotifications, registerNotificationKind, type NotificationPlan } from '../reminders/index.ts';
import { wallClockOn } from '../reminders/time.ts';
import { rollUpProgrammeFigures } from './cohortFigures.ts';

type Id = string | Types.ObjectId;

const messages = {
  noProgramme: 'is not a programme',
  // One answer whether the survey is unknown, not hers or closed: whether a survey exists is not hers to know.
  notFound: 'We could not find that survey. You may not have been invited to it, or it may have closed.',
  answered: 'You have already answered this survey.',
  likert: 'choose a number from 1 to 5',
  choice: 'choose one of the options',
  unknownQuestion: 'is not a question of this survey',
  tooLong: 'must be at most 2000 characters',
  otherKind: (id: string, type: string, title: string) =>
    `the question id "${id}" is a ${typeWords[type] ?? type} question in "${title}"; give a question of another type another id`,
};

const typeWords: Record<string, string> = { likert5: 'Likert (1–5)', choice: 'choice', text: 'free-text' };

/** A survey invitation stays open this long after her moment; unanswered by then, it is closed. */
export const answerWindowMs = 60 * 24 * 60 * 60 * 1000;
/** A survey created after her moment still invites her if the moment was at most this long ago. */
export const lateInvitationMs = 30 * 24 * 60 * 60 * 1000;

export type QuestionInput = { id: string; prompt: string; type: QuestionType; choices?: string[] };

/**
 * A researcher defines a survey; its participants are invited at their moment. The same client key (a double-click,
 * an API retry) makes one survey, so each participant is invited once (server/submissions.ts); two surveys alike may
 * both be meant (a revision), so only a key the client sent makes a repeat.
 */
export async function createSurvey(props: {
  actor: Express.User;
  title: string;
  programmeId: string;
  moment: SurveyMoment;
  questions: QuestionInput[];
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
  now?: Date;
}) {
  if (!canDesignSurveys(props.actor)) throw new ForbiddenError();
  const programme = isObjectId(props.programmeId)
    ? await ProgrammeModel.findById(props.programmeId).select({ _id: 1 }).lean()
    : null;
  if (!programme)
    throw new ValidationError('Some details need correcting.', [
      { path: 'programmeId', message: messages.noProgramme },
    ]);
  await refuseQuestionsOfAnotherKind(programme._id, props.questions);
  const inserted = await createOnce(SurveyModel, clientKeyOrNew(['survey', props.actor.id], props.submissionKey), {
    title: props.title,
    programmeId: programme._id,
    moment: props.moment,
    questions: props.questions.map((q) => ({ ...q, choices: q.type === 'choice' ? q.choices : undefined })),
    createdBy: oid(props.actor.id),
  });
  const survey = inserted.doc;
  if (!survey) throw new NotFoundError(messages.notFound);
  // A repeat is answered with the first survey: its sending invites, once.
  if (!inserted.created) return presentSurvey(survey);
  // Two surveys created at the same moment (on two processes) both passed the check above without the other. So each
  // looks again now that it is stored, and one that meets another type under one of its ids is taken back before
  // anyone is invited: both may be, neither stays beside the other.
  try {
    await refuseQuestionsOfAnotherKind(programme._id, props.questions, survey._id);
  } catch (error) {
    await SurveyModel.deleteOne({ _id: survey._id });
    throw error;
  }
  await planSurveyInvitations({ surveyIds: [survey._id], now: props.now });
  // Its Likert questions show on the impact dashboard at once (the programme's record copies them).
  await rollUpProgrammeFigures({ programmeId: programme._id });
  return presentSurvey(survey);
}

/**
 * A question id means one question across a programme's surveys (a revision, the start and the end survey): figures
 * and the export put every answer to it in one column. Given another type under the same id, a revision would file a
 * free-text answer (a name, a school) under a Likert column, which the export gives out. Another type needs another id.
 */
async function refuseQuestionsOfAnotherKind(
  programmeId: Types.ObjectId,
  questions: QuestionInput[],
  /** The survey these questions are stored in, once it is (the look after its write): not compared with itself. */
  stored?: Types.ObjectId,
): Promise<void> {
  const others = stored ? { programmeId, _id: { $ne: stored } } : { programmeId };
  const earlier = await SurveyModel.find(others).select({ title: 1, questions: 1 }).lean();
  const known = new Map<string, { type: string; title: string }>();
  for (const survey of earlier)
    for (const q of survey.questions) if (!known.has(q.id)) known.set(q.id, { type: q.type, title: survey.title });
  const problems: FieldError[] = questions.flatMap((q, i) => {
    const before = known.get(q.id);
    return before && before.type !== q.type
      ? [{ path: `questions.${i}.type`, message: messages.otherKind(q.id, before.type, before.title) }]
      : [];
  });
  if (problems.length) throw new ValidationError('Some details need correcting.', problems);
}

type SurveyRow = {
  _id: Types.ObjectId;
  title: string;
  programmeId: Types.ObjectId;
  moment: string;
  questions: { id: string; prompt: string; type: string; choices?: string[] | null }[];
  createdAt?: Date;
};
export function presentSurvey(s: SurveyRow) {
  return {
    id: String(s._id),
    title: s.title,
    programmeId: String(s.programmeId),
    moment: s.moment,
    questions: s.questions.map((q) => ({
      id: q.id,
      prompt: q.prompt,
      type: q.type,
      ...(q.type === 'choice' ? { choices: q.choices ?? [] } : {}),
    })),
    createdAt: s.createdAt?.toISOString() ?? null,
  };
}

export async function listSurveys(props: { actor: Express.User; programmeId?: string }) {
  if (!canDesignSurveys(props.actor)) throw new ForbiddenError();
  const filter = props.programmeId && isObjectId(props.programmeId) ? { programmeId: oid(props.programmeId) } : {};
  const surveys = await SurveyModel.find(filter).sort({ createdAt: -1 }).lean();
  return surveys.map(presentSurvey);
}

/**
 * The instant of a moment of her enrolment: start = when she enrolled; end = when she completed the programme, or
 * 09:00 (her zone) on the cohort's last day if that comes first; follow-ups at 09:00 her zone 6 and 12 months after
 * the end's calendar date.
 */
export function momentInstant(props: {
  moment: SurveyMoment;
  enrolledAt: Date;
  completedAt: Date | null;
  cohortEndsOn: string;
  zone: string;
}): Date {
  if (props.moment === 'start') return props.enrolledAt;
  const cohortEnd = wallClockOn(props.cohortEndsOn, 9, 0, props.zone);
  const end = props.completedAt && props.completedAt < cohortEnd ? props.completedAt : cohortEnd;
  if (props.moment === 'end') return end;
  const months = props.moment === 'followup-6m' ? 6 : 12;
  const day = DateTime.fromJSDate(end, { zone: props.zone }).plus({ months }).toISODate()!;
  return wallClockOn(day, 9, 0, props.zone);
}

export const invitationKey = (surveyId: Id, userId: Id) => `survey-invitation:${String(surveyId)}:${String(userId)}`;

/**
 * Plans the invitations of surveys to participants of their programme (one per survey and person, under the
 * reminders' unique key, so planning again — by the sweep, an enrolment, a completion — never invites twice). A
 * completion earlier than the cohort's end moves a still-scheduled "end" invitation forward.
 */
export async function planSurveyInvitations(
  props: { surveyIds?: Id[]; programmeIds?: Id[]; userIds?: Id[]; now?: Date } = {},
): Promise<number> {
  const surveyFilter: Record<string, unknown> = {};
  if (props.surveyIds) surveyFilter._id = { $in: props.surveyIds.map(oid) };
  if (props.programmeIds) surveyFilter.programmeId = { $in: props.programmeIds.map(oid) };
  const surveys = await SurveyModel.find(surveyFilter)
    .select({ title: 1, programmeId: 1, moment: 1, createdAt: 1 })
    .lean();
  if (!surveys.length) return 0;
  const enrolmentFilter: Record<string, unknown> = {
    programmeId: { $in: [...new Set(surveys.map((s) => String(s.programmeId)))].map(oid) },
    status: 'active',
  };
  if (props.userIds) enrolmentFilter.userId = { $in: props.userIds.map(oid) };
  const enrolments = await EnrolmentModel.find(enrolmentFilter)
    .select({ userId: 1, cohortId: 1, programmeId: 1, enrolledAt: 1, createdAt: 1 })
    .lean();
  if (!enrolments.length) return 0;
  const userIds = [...new Set(enrolments.map((e) => String(e.userId)))].map(oid);
  const [cohorts, certificates, users] = await Promise.all([
    CohortModel.find({ _id: { $in: [...new Set(enrolments.map((e) => String(e.cohortId)))].map(oid) } })
      .select({ endsOn: 1 })
      .lean(),
    CertificateModel.find({ userId: { $in: userIds } })
      .select({ userId: 1, cohortId: 1, programmeId: 1, issuedAt: 1 })
      .lean(),
    UserModel.find({ _id: { $in: userIds }, status: 'active' })
      .select({ timezone: 1 })
      .lean(),
  ]);
  const endsOn = new Map(cohorts.map((c) => [String(c._id), c.endsOn]));
  // Her completion of the enrolment's programme: a cohort moved to another programme keeps the first's certificate.
  const completionKey = (r: { userId: unknown; cohortId: unknown; programmeId: unknown }) =>
    `${String(r.userId)}:${String(r.cohortId)}:${String(r.programmeId)}`;
  const completed = new Map(certificates.map((c) => [completionKey(c), c.issuedAt]));
  const zones = new Map(users.map((u) => [String(u._id), u.timezone]));
  // Her latest enrolment in each programme is the one the surveys follow.
  const latest = new Map<string, (typeof enrolments)[number]>();
  for (const e of enrolments) {
    const key = `${String(e.programmeId)}:${String(e.userId)}`;
    const at = (e.enrolledAt ?? e.createdAt) as Date;
    const prev = latest.get(key);
    if (!prev || ((prev.enrolledAt ?? prev.createdAt) as Date) < at) latest.set(key, e);
  }
  const plans: NotificationPlan[] = [];
  for (const survey of surveys) {
    const createdAt = (survey.createdAt as Date | undefined) ?? new Date();
    for (const e of latest.values()) {
      if (String(e.programmeId) !== String(survey.programmeId)) continue;
      const zone = zones.get(String(e.userId));
      const cohortEndsOn = endsOn.get(String(e.cohortId));
      if (!zone || !cohortEndsOn) continue;
      const at = momentInstant({
        moment: survey.moment as SurveyMoment,
        enrolledAt: (e.enrolledAt ?? e.createdAt) as Date,
        completedAt: completed.get(completionKey(e)) ?? null,
        cohortEndsOn,
        zone,
      });
      if (at.getTime() < createdAt.getTime() - lateInvitationMs) continue;
      const sendAt = at < createdAt ? createdAt : at;
      plans.push({
        key: invitationKey(survey._id, e.userId),
        userId: e.userId,
        kind: 'survey-invitation',
        about: { type: 'survey', id: survey._id },
        sendAt,
        eventAt: new Date(sendAt.getTime() + answerWindowMs),
        subject: `A short survey: ${survey.title}`,
        data: { cohortId: String(e.cohortId) },
      });
    }
  }
  await planNotifications(plans);
  return plans.length;
}

registerNotificationKind('survey-invitation', {
  isStillRelevant: async ({ record }) => {
    const answered = await SurveyResponseModel.exists({ surveyId: oid(record.about.id), userId: record.userId });
    if (answered) return 'She has answered the survey.';
    const enrolment = await EnrolmentModel.findOne({
      cohortId: oid(String(record.data?.cohortId)),
      userId: record.userId,
    })
      .select({ status: 1 })
      .lean();
    return enrolment?.status === 'active' ? true : 'She is no longer enrolled.';
  },
  compose: async ({ record }) => {
    const survey = await SurveyModel.findById(record.about.id).select({ title: 1 }).lean();
    const title = survey?.title ?? 'Pathways survey';
    return {
      subject: `A short survey: ${title}`,
      template: 'survey-invitation',
      data: {
        title,
        surveyUrl: absoluteUrl(`/surveys/${record.about.id}`),
        closesAt: record.eventAt ? record.eventAt.toISOString() : null,
      },
    };
  },
});

/** Her invitation to a survey, when it is open now (sent or due, not cancelled, not closed). */
async function openInvitation(surveyId: Id, userId: Id, now: Date) {
  const invitation = await NotificationModel.findOne({ key: invitationKey(surveyId, userId) })
    .select({ sendAt: 1, eventAt: 1, status: 1 })
    .lean();
  if (!invitation || invitation.status === 'cancelled' || invitation.sendAt > now) return null;
  if (invitation.eventAt && invitation.eventAt <= now) return null;
  return invitation;
}

/** The surveys waiting for her: invited (whether or not she takes emails), open, not answered. */
export async function surveysWaitingFor(props: { userId: Id; now?: Date }) {
  const now = props.now ?? new Date();
  const invitations = await NotificationModel.find({ userId: oid(props.userId), kind: 'survey-invitation' })
    .select({ about: 1, sendAt: 1, eventAt: 1, status: 1 })
    .lean();
  const open = invitations.filter(
    (i) => i.status !== 'cancelled' && i.sendAt <= now && (!i.eventAt || i.eventAt > now),
  );
  if (!open.length) return [];
  const answered = new Set(
    (
      await SurveyResponseModel.find({ userId: oid(props.userId) })
        .select({ surveyId: 1 })
        .lean()
    ).map((r) => String(r.surveyId)),
  );
  const waiting = open.filter((i) => i.about && !answered.has(i.about.id));
  const surveys = await SurveyModel.find({ _id: { $in: waiting.map((i) => oid(i.about!.id)) } }).lean();
  const closes = new Map(waiting.map((i) => [i.about!.id, i.eventAt]));
  return surveys.map((s) => ({ ...presentSurvey(s), closesAt: closes.get(String(s._id))?.toISOString() ?? null }));
}

/** A survey as she may answer it: only when invited and open (404 otherwise: its existence is not hers to know). */
export async function surveyToAnswer(props: { userId: Id; surveyId: string; now?: Date }) {
  if (!isObjectId(props.surveyId)) throw new NotFoundError(messages.notFound);
  const survey = await SurveyModel.findById(props.surveyId).lean();
  if (!survey) throw new NotFoundError(messages.notFound);
  const answered = await SurveyResponseModel.exists({ surveyId: survey._id, userId: oid(props.userId) });
  const invitation = await openInvitation(survey._id, props.userId, props.now ?? new Date());
  if (!invitation && !answered) throw new NotFoundError(messages.notFound);
  return { survey: presentSurvey(survey), answered: !!answered };
}

/** Checks answers against the questions: Likert 1–5 and a choice are required, text is optional and bounded. */
export function checkAnswers(
  questions: { id: string; type: string; choices?: string[] | null }[],
  answers: Record<string, unknown>,
): { errors: FieldError[]; clean: Record<string, number | string> } {
  const errors: FieldError[] = [];
  const clean: Record<string, number | string> = {};
  const known = new Set(questions.map((q) => q.id));
  for (const key of Object.keys(answers))
    if (!known.has(key)) errors.push({ path: `answers.${key}`, message: messages.unknownQuestion });
  for (const q of questions) {
    // Her own answers only: a question id such as `constructor` is not read from Object.prototype.
    const value = Object.hasOwn(answers, q.id) ? answers[q.id] : undefined;
    const path = `answers.${q.id}`;
    if (q.type === 'likert5') {
      if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 5) clean[q.id] = value;
      else errors.push({ path, message: messages.likert });
    } else if (q.type === 'choice') {
      if (typeof value === 'string' && (q.choices ?? []).includes(value)) clean[q.id] = value;
      else errors.push({ path, message: messages.choice });
    } else if (value !== undefined && value !== null && value !== '') {
      if (typeof value !== 'string') errors.push({ path, message: 'must be text' });
      else if (value.trim().length > 2000) errors.push({ path, message: messages.tooLong });
      else clean[q.id] = value.trim();
    }
  }
  return { errors, clean };
}

/**
 * Records her answers once (unique on survey and person: a second answer is a 409, whoever races). Without an open
 * invitation it is the 404 of an unknown survey, as surveyToAnswer answers.
 */
export async function answerSurvey(props: {
  userId: Id;
  surveyId: string;
  answers: Record<string, unknown>;
  now?: Date;
}) {
  const now = props.now ?? new Date();
  if (!isObjectId(props.surveyId)) throw new NotFoundError(messages.notFound);
  const survey = await SurveyModel.findById(props.surveyId).lean();
  if (!survey) throw new NotFoundError(messages.notFound);
  if (!(await openInvitation(survey._id, props.userId, now))) {
    if (await SurveyResponseModel.exists({ surveyId: survey._id, userId: oid(props.userId) }))
      throw new ConflictError(messages.answered);
    throw new NotFoundError(messages.notFound);
  }
  const { errors, clean } = checkAnswers(survey.questions, props.answers);
  if (errors.length) throw new ValidationError('Some answers need correcting.', errors);
  try {
    const response = await SurveyResponseModel.create({
      surveyId: survey._id,
      userId: oid(props.userId),
      programmeId: survey.programmeId,
      moment: survey.moment,
      answers: clean,
      answeredAt: now,
    });
    return { id: String(response._id), surveyId: String(survey._id), answeredAt: now.toISOString() };
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new ConflictError(messages.answered);
    throw error;
  }
}
