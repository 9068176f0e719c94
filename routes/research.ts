import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { tracks } from '../models/Programme.ts';
import { trackNames } from '../server/services/learning/certificates.ts';
import { withheldInWords } from '../server/services/research/withheldInWords.ts';
import { questionTypes, surveyMomentLabels, surveyMoments } from '../models/Survey.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { repeatedChoiceProblem } from '../server/choices.ts';
import { countries, isCountryCode } from '../server/countries.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { flash } from '../server/http/flash.ts';
import type { FieldError } from '../server/errors.ts';
import { formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { isoDate, objectId, optionalText, paging, parseInput, text } from '../server/http/validate.ts';
import { pageInMemory } from '../server/pagination.ts';
import { phaseLabels, phases } from '../server/vocabulary.ts';
import {
  consentState,
  researchContext,
  saveResearchContext,
  setResearchConsent,
} from '../server/services/research/consent.ts';
import { consentText } from '../server/services/research/consentText.ts';
import { dataDictionary, researchExport } from '../server/services/research/export.ts';
import { impactDashboard, researchImpact, researchProgrammes } from '../server/services/research/impact.ts';
import {
  answerSurvey,
  createSurvey,
  listSurveys,
  surveysWaitingFor,
  surveyToAnswer,
} from '../server/services/research/surveys.ts';
import { chartOf } from '../server/services/research/charts.ts';
import { suppressionThreshold } from '../server/services/research/suppression.ts';
import { formatDateTime } from '../server/time.ts';
import type { OwnAccountRouters } from './index.ts';

const messages = {
  consentOn: 'Thank you: your records may now be counted in research, without your name.',
  consentOff: 'Your records are no longer counted in research from now on.',
  contextSaved: 'Your details for research are saved.',
  surveyCreated: 'The survey is saved; participants are invited at that moment of their enrolment.',
  answered: 'Thank you: your answers are recorded.',
  dateOrder: 'must not be before the start date',
};

const consentSchema = z.strictObject({ consented: z.boolean() });
const consentResult = z.object({
  consented: z.boolean(),
  textVersion: z.string().nullable(),
  at: z.string().nullable(),
});
const questionSchema = z
  .strictObject({
    id: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1–40 lower-case letters, digits or dashes'),
    prompt: text(300),
    type: z.enum(questionTypes),
    choices: z.array(text(100)).min(2, 'give at least two choices').max(10).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.type === 'choice' && !q.choices)
      ctx.addIssue({ code: 'custom', path: ['choices'], message: 'a choice question needs its choices' });
    if (q.type !== 'choice' && q.choices)
      ctx.addIssue({ code: 'custom', path: ['choices'], message: 'only a choice question has choices' });
    const repeated = q.choices && repeatedChoiceProblem(q.choices);
    if (repeated) ctx.addIssue({ code: 'custom', path: ['choices'], message: repeated });
  });
export const surveySchema = z
  .strictObject({
    title: text(200),
    programmeId: objectId,
    moment: z.enum(surveyMoments),
    questions: z.array(questionSchema).min(1, 'add at least one question').max(30),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.questions.forEach((q, i) => {
      if (seen.has(q.id)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: 'is used twice' });
      seen.add(q.id);
    });
  });
const surveyOut = z
  .object({
    id: z.string(),
    title: z.string(),
    programmeId: z.string(),
    moment: z.string(),
    questions: z.array(z.any()),
  })
  .loose();
const answersSchema = z.strictObject({
  answers: z.record(z.string().max(40), z.union([z.number(), z.string().max(5000)])),
});
const impactQuery = z
  .strictObject({
    programmeId: objectId.optional(),
    track: z.enum(tracks).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
  })
  // Compared only when both are dates: an invalid start has its own message, and "before the start" would be a guess.
  .refine((q) => !isoDate.safeParse(q.from).success || !isoDate.safeParse(q.to).success || q.from! <= q.to!, {
    path: ['to'],
    message: messages.dateOrder,
  });
const exportQuery = z.strictObject({ programmeId: objectId.optional(), track: z.enum(tracks).optional() });
const likertOut = z.object({ mean: z.number().nullable(), n: z.number().nullable() });
const groupOut = z.object({
  participants: z.number().nullable(),
  completionRate: z.number().nullable(),
  attendanceRate: z.number().nullable(),
  outcomes: z.object({
    applied: z.number().nullable(),
    interviewed: z.number().nullable(),
    appointed: z.number().nullable(),
  }),
});
const impactOut = groupOut
  .extend({
    cohorts: z.number().nullable(),
    likert: z.array(z.object({ questionId: z.string(), prompt: z.string(), start: likertOut, end: likertOut })),
    byTrack: z.record(z.string(), groupOut),
    panels: z.object({
      rounds: z.number().nullable(),
      readyBeforeInterview: z.number().nullable(),
      trainedShare: z.number().nullable(),
    }),
    recruitment: z.any(),
    suppressed: z.array(z.string()),
    threshold: z.number(),
    computedAt: z.string().nullable().describe('When the oldest per-cohort record summed here was computed'),
    refreshMinutes: z.number().describe('Records are recomputed at least this often'),
  })
  .loose();

const emptyToUndefined = (raw: unknown) =>
  Object.fromEntries(Object.entries({ ...(raw as object) }).filter(([, v]) => v !== '' && v !== undefined));
const presentConsent = (s: { consented: boolean; textVersion: string | null; at: Date | null }) => ({
  consented: s.consented,
  textVersion: s.textVersion,
  at: s.at ? s.at.toISOString() : null,
});

async function renderConsentPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const [state, context] = await Promise.all([
    consentState({ userId: req.user!.id }),
    researchContext({ userId: req.user!.id }),
  ]);
  res.status(status).render('research/consent', {
    title: 'Research consent',
    state,
    consentText,
    countries,
    phases,
    phaseLabels,
    values: context,
    ...extra,
  });
}

async function renderDashboard(req: Request, res: Response) {
  // Only the page's own fields are read (a link may carry others); a filter that cannot be read is a 422 at its
  // field with what she typed kept, and no figures: never everyone's figures in place of the ones she asked for.
  const typed = emptyToUndefined(
    Object.fromEntries(Object.entries(req.query).filter(([key]) => dashboardFields.includes(key))),
  );
  const form = parseForm(impactQuery, typed);
  if (!form.ok)
    return res.status(422).render('research/dashboard', {
      title: 'Impact dashboard',
      impact: null,
      threshold: suppressionThreshold,
      filters: typed,
      programmes: await researchProgrammes(),
      tracks,
      charts: [],
      errors: form.errors,
      errorList: form.list,
    });
  const filters = form.data;
  const { impact, programmes } = await impactDashboard({ actor: req.user!, filters });
  // The export takes the programme and track filters, not the dates (README "Export"); the page says so.
  const exportFilters = emptyToUndefined({ programmeId: filters.programmeId, track: filters.track });
  const exportQueryString = new URLSearchParams(exportFilters as Record<string, string>).toString();
  res.render('research/dashboard', {
    title: 'Impact dashboard',
    impact,
    threshold: suppressionThreshold,
    filters,
    exportHref: `/research/export.csv${exportQueryString ? `?${exportQueryString}` : ''}`,
    programmes,
    tracks,
    charts: chartOf(impact),
    withheld: impact.suppressed.map((key) =>
      withheldInWords(key, {
        trackNames,
        programmeTitles: Object.fromEntries(programmes.map((p) => [String(p._id), p.title])),
        questionPrompts: Object.fromEntries(impact.likert.map((q) => [q.questionId, q.prompt])),
      }),
    ),
    computedAt: impact.computedAt ? formatDateTime(new Date(impact.computedAt), req.user!.timezone) : null,
    errors: {},
  });
}
const dashboardFields: readonly string[] = ['programmeId', 'track', 'from', 'to'];

/**
 * Web survey builder: up to 8 question rows; a row left wholly blank (no id, prompt or choices) is left out, any other
 * row is a question, so a half-filled row is an error on that row; choices one per line.
 */
const builderRows = 8;
function surveyFromForm(body: Record<string, unknown>) {
  const questions = [];
  /** The form row of each question, so that errors land on the row she typed in. */
  const rowOf: number[] = [];
  for (let i = 0; i < builderRows; i++) {
    const field = (name: string) => String(body[`q${i}-${name}`] ?? '').trim();
    const type = field('type') || 'likert5';
    const choices = field('choices')
      .split(/\r?\n/)
      .map((c) => c.trim())
      .filter(Boolean);
    if (!field('id') && !field('prompt') && !choices.length) continue;
    rowOf.push(i);
    questions.push({ id: field('id'), prompt: field('prompt'), type, ...(type === 'choice' ? { choices } : {}) });
  }
  const input = {
    title: String(body.title ?? ''),
    programmeId: String(body.programmeId ?? ''),
    moment: String(body.moment ?? ''),
    questions,
  };
  return { input, rowOf };
}

/** Field errors on questions (`questions.<index>.<field>`) renamed to the form rows they came from. */
function onFormRows(list: FieldError[], rowOf: number[]) {
  const moved = list.map((e) => ({
    ...e,
    path: e.path.replace(/^questions\.(\d+)(?=\.|$)/, (whole, k: string) =>
      rowOf[Number(k)] === undefined ? whole : `questions.${rowOf[Number(k)]}`,
    ),
  }));
  return { list: moved, errors: Object.fromEntries(moved.map((e) => [e.path, e.message])) };
}

async function renderBuilder(res: Response, status = 200, extra: Record<string, unknown> = {}) {
  res.status(status).render('research/survey-form', {
    title: 'New survey',
    programmes: await researchProgrammes(),
    moments: surveyMoments,
    momentLabels: surveyMomentLabels,
    questionTypes,
    rows: builderRows,
    values: {},
    ...extra,
  });
}

/** Web answers: Likert radios arrive as "1".."5". */
function answersFromForm(questions: { id: string; type: string }[], body: Record<string, unknown>) {
  const answers: Record<string, unknown> = {};
  for (const q of questions) {
    const raw = body[`answer-${q.id}`];
    if (raw === undefined || raw === '') continue;
    answers[q.id] = q.type === 'likert5' && /^[1-5]$/.test(String(raw)) ? Number(raw) : raw;
  }
  return answers;
}

async function renderAnswerForm(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const { survey, answered } = await surveyToAnswer({ userId: req.user!.id, surveyId: String(req.params.id) });
  res.status(status).render('research/survey-answer', { title: survey.title, survey, answered, values: {}, ...extra });
}

export function registerResearchRoutes(web: Router, api: Router, own: OwnAccountRouters): void {
  apiOperation(
    own.api,
    {
      method: 'put',
      path: '/me/research-consent',
      tag: 'research',
      summary: 'Give or withdraw your consent to research use of your records (off by default)',
      access: [],
      body: consentSchema,
      success: { status: 200, description: 'Your consent now', schema: consentResult },
    },
    async ({ user, body }) => presentConsent(await setResearchConsent({ userId: user.id, consented: body.consented })),
  );
  apiOperation(
    own.api,
    {
      method: 'get',
      path: '/me/research-consent',
      tag: 'research',
      summary: 'Your research consent and the version of the text you agreed to',
      access: [],
      success: { status: 200, description: 'Your consent now', schema: consentResult },
    },
    async ({ user }) => presentConsent(await consentState({ userId: user.id })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/surveys',
      tag: 'research',
      summary: 'Define a survey of a programme at one moment of each participant’s enrolment',
      access: ['researcher'],
      body: surveySchema,
      success: { status: 201, description: 'The survey', schema: surveyOut },
      idempotent: true,
    },
    async ({ user, body, req }) => createSurvey({ actor: user, ...body, submissionKey: clientSubmissionKey(req) }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/surveys',
      tag: 'research',
      summary: 'Surveys (definitions only, never answers)',
      access: ['researcher'],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'A page of surveys, in the order they were made; nextCursor gives the next page',
        schema: z.object({ items: z.array(surveyOut), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, query }) => {
      const page = pageInMemory(await listSurveys({ actor: user }), query, (survey) => survey.id);
      return { items: page.rows, nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/surveys/:id/responses',
      tag: 'research',
      summary: 'Answer a survey you were invited to (once)',
      access: [],
      body: answersSchema,
      success: {
        status: 201,
        description: 'Recorded',
        schema: z.object({ id: z.string(), surveyId: z.string(), answeredAt: z.string() }),
      },
      errors: [409],
    },
    async ({ user, body, params }) =>
      answerSurvey({ userId: user.id, surveyId: String(params.id), answers: body.answers }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/surveys',
      tag: 'research',
      summary: 'Surveys waiting for you',
      access: [],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'A page of open, unanswered surveys, in the order they were made; nextCursor gives the next page',
        schema: z.object({ items: z.array(surveyOut), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, query }) => {
      const page = pageInMemory(await surveysWaitingFor({ userId: user.id }), query, (survey) => survey.id);
      return { items: page.rows, nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/research/impact',
      tag: 'research',
      summary: 'Impact figures of consenting participants; figures from fewer than 5 people are null and named',
      access: ['researcher'],
      query: impactQuery,
      success: { status: 200, description: 'Aggregates only', schema: impactOut },
    },
    async ({ user, query }) => researchImpact({ actor: user, filters: query }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/research/export.csv',
      tag: 'research',
      summary: 'Anonymised export: one row per consenting participant, random research ids (audited)',
      access: ['researcher'],
      query: exportQuery,
      success: { status: 200, description: 'CSV', contentType: 'text/csv' },
    },
    async ({ user, query, req, res }) => sendExport(req, res, user, query, false),
  );

  // ── Web ──
  own.web.get('/account/research', requireSignIn, (req, res) => renderConsentPage(req, res));
  own.web.post('/account/research', requireSignIn, async (req, res) => {
    const consented = req.body?.consented === 'yes';
    await setResearchConsent({ userId: req.user!.id, consented });
    flash(req, 'success', consented ? messages.consentOn : messages.consentOff);
    res.redirect(303, '/account/research');
  });
  own.web.post('/account/research/context', requireSignIn, async (req, res) => {
    const form = parseForm(contextFormSchema, emptyToUndefined(req.body));
    if (!form.ok)
      return renderConsentPage(req, res, 422, { values: req.body ?? {}, errors: form.errors, errorList: form.list });
    await saveResearchContext({
      userId: req.user!.id,
      country: form.data.country ?? '',
      region: form.data.region ?? '',
      phase: form.data.phase ?? '',
    });
    flash(req, 'success', messages.contextSaved);
    res.redirect(303, '/account/research');
  });

  web.get('/research', requireRole('researcher'), renderDashboard);
  web.get('/research/data-dictionary', requireRole('researcher'), (_req, res) =>
    res.render('research/data-dictionary', { title: 'Data dictionary of the research export', dataDictionary }),
  );
  web.get('/research/export.csv', requireRole('researcher'), async (req, res) => {
    const query = parseInput(exportQuery, emptyToUndefined(req.query));
    await sendExport(req, res, req.user!, query, true);
  });

  web.get('/surveys', requireSignIn, async (req, res) => {
    const designer = req.user!.roles.some((r) => r === 'admin' || r === 'researcher');
    res.render('research/surveys', {
      title: 'Surveys',
      designer,
      surveys: designer ? await listSurveys({ actor: req.user! }) : [],
      waiting: await surveysWaitingFor({ userId: req.user!.id }),
      programmes: new Map((await researchProgrammes()).map((p) => [String(p._id), p.title])),
      momentLabels: surveyMomentLabels,
    });
  });
  web.get('/surveys/new', requireRole('researcher'), (_req, res) => renderBuilder(res));
  web.post('/surveys', requireRole('researcher'), async (req, res) => {
    const { input, rowOf } = surveyFromForm(req.body ?? {});
    const refuse = (list: FieldError[]) => {
      const { errors, list: errorList } = onFormRows(list, rowOf);
      return renderBuilder(res, 422, { values: req.body ?? {}, errors, errorList });
    };
    const form = parseForm(surveySchema, input);
    if (!form.ok) return refuse(form.list);
    try {
      await createSurvey({ actor: req.user!, ...form.data, submissionKey: clientSubmissionKey(req) });
    } catch (error) {
      return refuse(formErrorsFrom(error).list);
    }
    flash(req, 'success', messages.surveyCreated);
    res.redirect(303, '/surveys');
  });
  web.get('/surveys/:id', requireSignIn, (req, res) => renderAnswerForm(req, res));
  web.post('/surveys/:id', requireSignIn, async (req, res) => {
    const { survey } = await surveyToAnswer({ userId: req.user!.id, surveyId: String(req.params.id) });
    try {
      await answerSurvey({
        userId: req.user!.id,
        surveyId: survey.id,
        answers: answersFromForm(survey.questions, req.body ?? {}),
      });
    } catch (error) {
      const { errors, list } = formErrorsFrom(error);
      return renderAnswerForm(req, res, 422, { values: req.body ?? {}, errors, errorList: list });
    }
    flash(req, 'success', messages.answered);
    res.redirect(303, '/surveys');
  });
}

const contextFormSchema = z.object({
  country: z.string().trim().toUpperCase().refine(isCountryCode, 'choose a country from the list').optional(),
  region: optionalText(100).optional(),
  phase: z.enum(phases).optional(),
});

/**
 * The page's download starts with a byte-order mark, as the other exports' do, so a spreadsheet reads regions such as
 * Île-de-France as UTF-8; the API's file is the CSV alone.
 */
async function sendExport(
  req: Request,
  res: Response,
  user: Express.User,
  filters: z.output<typeof exportQuery>,
  forSpreadsheet: boolean,
) {
  const { csv } = await researchExport({ actor: user, filters, ip: req.ip ?? null });
  res
    .type('text/csv; charset=utf-8')
    .set('Content-Disposition', downloadDisposition('pathways-research-export', 'csv'))
    .set('Cache-Control', 'no-store')
    .send(forSpreadsheet ? `\uFEFF${csv}` : csv);
}
