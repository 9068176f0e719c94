import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { ConflictError, NotFoundError, ValidationError } from '../server/errors.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { confirmFirst, dialogText, type Confirmation } from '../server/http/confirmFirst.ts';
import { flash } from '../server/http/flash.ts';
import { sendKeepable } from '../server/http/keepableAnswers.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { isoDate, objectId, paging, text, timezone } from '../server/http/validate.ts';
import { pageInMemory } from '../server/pagination.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';
import {
  attendanceChart,
  attendanceCsv,
  calendarFeed,
  calendarFeedUrl,
  chartStatuses,
  cohortAttendanceReport,
  cohortFormChoices,
  type CohortInput,
  cohortsFor,
  createCohort,
  enrolByEmail,
  enrolParticipant,
  flagLabels,
  importEnrolments,
  listEnrolments,
  loadRunCohort,
  loadVisibleCohort,
  maySelfEnrol,
  moduleDueDatesOf,
  myAttendance,
  namesOf,
  pageCohortsFor,
  presentCohort,
  presentReportRow,
  readableAttendance,
  rotateCalendarToken,
  sessionsOf,
  updateCohort,
  joinsTheWaitlist,
  waitlistPositionOf,
  withdrawalToConfirm,
  withdrawParticipant,
} from '../server/services/cohorts/index.ts';

const messages = {
  created: (name: string) => `Cohort "${name}" created.`,
  saved: 'Cohort settings saved.',
  joined: 'You are enrolled. Your sessions are below.',
  waitlisted: (position: number) =>
    `The cohort is full, so you are on the waitlist (number ${position}). We will email you if a place frees up.`,
  left: 'You have left the cohort.',
  leftWaitlist: 'You have left the waitlist.',
  alreadyJoined: 'You are already enrolled in this cohort.',
  alreadyWaiting: 'You are already on the waitlist of this cohort.',
  enrolled: (name: string) => `${name} is enrolled.`,
  enrolledWaitlist: (name: string, position: number) =>
    `The cohort is full: ${name} is on the waitlist (number ${position}).`,
  withdrawn: 'Withdrawn.',
  promoted: (n: number) => ` ${n} ${n === 1 ? 'person moved' : 'people moved'} up from the waitlist.`,
  rotated: 'Your calendar address has changed. Subscribe again with the new one; the old one no longer works.',
  // Asked before acting, on the confirmation page and in the form's dialog (server/http/confirmFirst.ts).
  confirmLeave: (cohort: string, waitlisted: boolean): Omit<Confirmation, 'back'> =>
    waitlisted
      ? {
          question: `Leave the waitlist of “${cohort}”?`,
          consequences: ['You lose your place in the queue: joining again puts you at its end.'],
          yes: 'Yes, leave the waitlist',
        }
      : {
          question: `Leave the cohort “${cohort}”?`,
          consequences: [
            'Your place goes to the next person on the waitlist, if there is one, and the cohort’s reminders stop.',
          ],
          yes: 'Yes, leave the cohort',
        },
  confirmWithdraw: (name: string, cohort: string, waitlisted: boolean): Omit<Confirmation, 'back'> =>
    waitlisted
      ? {
          question: `Remove ${name} from the waitlist of “${cohort}”?`,
          consequences: ['She loses her place in the queue.'],
          yes: `Yes, remove ${name}`,
        }
      : {
          question: `Withdraw ${name} from “${cohort}”?`,
          consequences: [
            'Her place goes to the next person on the waitlist, if there is one, and the cohort’s reminders to her stop.',
          ],
          yes: `Yes, withdraw ${name}`,
        },
  confirmRotate: {
    question: 'Make a new calendar address?',
    consequences: [
      'The old address stops working at once: calendars subscribed to it stop showing your sessions until you subscribe again with the new one.',
    ],
    yes: 'Yes, make a new address',
  } satisfies Omit<Confirmation, 'back'>,
};

/** Before she leaves: which cohort, and what follows (nothing to ask when she is not in it). */
const confirmLeave = confirmFirst(async (req) => {
  const cohortId = String(req.params.id);
  const found = await withdrawalToConfirm({ actor: req.user!, cohortId, userId: req.user!.id });
  return found && { ...messages.confirmLeave(found.cohort.name, found.waitlisted), back: `/cohorts/${cohortId}` };
});
/** Before someone is withdrawn by those who run the cohort: who, from which cohort, and what follows. */
const confirmWithdraw = confirmFirst(async (req) => {
  const cohortId = String(req.params.id);
  const found = await withdrawalToConfirm({ actor: req.user!, cohortId, userId: String(req.params.userId) });
  return (
    found && {
      ...messages.confirmWithdraw(found.name, found.cohort.name, found.waitlisted),
      back: `/cohorts/${cohortId}/people`,
    }
  );
});
const confirmRotate = confirmFirst(async () => ({ ...messages.confirmRotate, back: '/calendar' }));

export const cohortSchema = z.strictObject({
  programmeId: objectId,
  name: text(120),
  capacity: z.number().int().min(1).max(10_000),
  timezone,
  startsOn: isoDate,
  endsOn: isoDate,
  facilitatorIds: z.array(objectId).max(20),
  selfEnrolment: z.boolean().optional(),
  attendanceThreshold: z.number().int().min(0).max(100).optional(),
  lateAfterMinutes: z.number().int().min(0).max(240).optional(),
});
const cohortView = z.object({
  id: z.string(),
  programmeId: z.string(),
  name: z.string(),
  capacity: z.number(),
  timezone: z.string(),
  startsOn: z.string(),
  endsOn: z.string(),
  facilitatorIds: z.array(z.string()),
  selfEnrolment: z.boolean(),
  attendanceThreshold: z.number(),
  lateAfterMinutes: z.number(),
});
const enrolBody = z.strictObject({ userId: objectId });
const enrolResult = z.object({ status: z.enum(['active', 'waitlisted']), position: z.number().optional() });
const enrolmentList = z.object({
  items: z.array(
    z.object({
      userId: z.string(),
      name: z.string(),
      status: z.enum(['active', 'waitlisted']),
      position: z.number().optional(),
    }),
  ),
});
const reportRow = z.object({
  userId: z.string(),
  name: z.string(),
  sessions: z.number(),
  present: z.number(),
  late: z.number(),
  excused: z.number(),
  absent: z.number(),
  unmarked: z.number(),
  rate: z.number().nullable(),
  flags: z.array(z.string()),
});

/** Web form fields arrive as strings; checkboxes as a string, an array or nothing. */
const cohortFormSchema = z.preprocess((raw) => {
  const b = (raw ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (v === undefined || v === '' ? undefined : Number(v));
  return {
    programmeId: b.programmeId,
    name: b.name,
    capacity: num(b.capacity),
    timezone: b.timezone,
    startsOn: b.startsOn,
    endsOn: b.endsOn,
    facilitatorIds: b.facilitatorIds === undefined ? [] : [b.facilitatorIds].flat(),
    selfEnrolment: b.selfEnrolment === 'on' || b.selfEnrolment === 'true',
    attendanceThreshold: num(b.attendanceThreshold),
    lateAfterMinutes: num(b.lateAfterMinutes),
  };
}, cohortSchema);
const emailForm = z.object({ email: z.string().trim().min(3, 'enter an email address').max(320) });
// Not trimmed: the import names rows by their line in the text as she typed it.
const csvForm = z.object({
  csv: z
    .string()
    .max(100_000)
    .refine((csv) => csv.trim() !== '', 'paste at least one email address'),
});

const now = () => new Date();
const enrolments = (user: Express.User, cohortId: string) =>
  loadRunCohort({ actor: user, cohortId }).then((cohort) => listEnrolments({ actor: user, cohort }));

async function renderCohortForm(
  req: Request,
  res: Response,
  locals: {
    cohort?: CohortInput & { id: string };
    values: Record<string, unknown>;
    /** The settings version the edit form was opened at (server/versions.ts). */
    version?: unknown;
    errors?: Record<string, string>;
    errorList?: unknown[];
    status?: number;
  },
) {
  res.status(locals.status ?? 200).render('cohorts/form', {
    title: locals.cohort ? `Edit ${locals.cohort.name}` : 'New cohort',
    ...(await cohortFormChoices({ currentProgrammeId: locals.cohort?.programmeId })),
    ...locals,
    errors: locals.errors ?? {},
    errorList: locals.errorList ?? [],
  });
}

async function showCohort(req: Request, res: Response) {
  const { cohort, enrolment, runs } = await loadVisibleCohort({ actor: req.user!, cohortId: String(req.params.id) });
  const joinable = !runs && (!enrolment || enrolment.status === 'withdrawn');
  const [sessions, facilitators, mine, mayJoin, waitlistPosition, dueDates] = await Promise.all([
    sessionsOf(cohort._id),
    namesOf(cohort.facilitatorIds),
    enrolment?.status === 'active' ? myAttendance({ actor: req.user!, cohort, now: now() }) : null,
    joinable ? maySelfEnrol({ actor: req.user!, cohort }) : false,
    enrolment?.status === 'waitlisted' ? waitlistPositionOf({ cohortId: cohort._id, userId: req.user!.id }) : null,
    moduleDueDatesOf(cohort),
  ]);
  const [people, waitsIfJoining] = await Promise.all([
    runs ? listEnrolments({ actor: req.user!, cohort }) : [],
    mayJoin ? joinsTheWaitlist(cohort) : false,
  ]);
  res.render('cohorts/show', {
    title: cohort.name,
    cohort: presentCohort(cohort),
    sessions,
    facilitators: [...facilitators.values()],
    enrolment,
    runs,
    mayJoin,
    waitsIfJoining,
    mine,
    waitlistPosition,
    people,
    dueDates: dueDates.filter((d) => d.dueOn),
    now: now(),
    confirmLeave: enrolment ? dialogText(messages.confirmLeave(cohort.name, enrolment.status === 'waitlisted')) : '',
  });
}

async function showReport(req: Request, res: Response) {
  const cohortId = String(req.params.id);
  // Who may see it is checked as the report is read (the report's reads wait for no one; a refusal is the page's).
  const cohortRead = loadRunCohort({ actor: req.user!, cohortId });
  const [cohort, report] = await Promise.all([
    cohortRead,
    cohortAttendanceReport({ cohortId, cohort: cohortRead, now: now() }),
  ]);
  res.render('cohorts/attendance', {
    title: `Attendance: ${cohort.name}`,
    cohort: presentCohort(cohort),
    report,
    flagLabels,
    chart: attendanceChart(report.sessions),
    chartStatuses,
  });
}

/**
 * Every participant's row for those who run the cohort, her own row for someone enrolled in it. The page's download
 * starts with a byte-order mark, as the other exports' do, so a spreadsheet reads names such as Siân as UTF-8; the
 * API's file is the CSV alone.
 */
async function sendCsv(req: Request, res: Response, forSpreadsheet: boolean) {
  const { cohort, rows } = await readableAttendance({
    actor: req.user!,
    cohortId: String(req.params.id),
    now: now(),
    emails: true,
  });
  const csv = attendanceCsv({ rows });
  res
    .set('Content-Disposition', downloadDisposition(`${cohort.name} attendance`, 'csv'))
    .type('text/csv; charset=utf-8')
    .send(forSpreadsheet ? `\uFEFF${csv}` : csv);
}

async function showPeople(req: Request, res: Response, locals: Record<string, unknown> = {}, status = 200) {
  const cohort = await loadRunCohort({ actor: req.user!, cohortId: String(req.params.id) });
  res.status(status).render('cohorts/people', {
    title: `People: ${cohort.name}`,
    cohort: presentCohort(cohort),
    people: await listEnrolments({ actor: req.user!, cohort }),
    imported: null,
    confirmWithdraw: (name: string, waitlisted: boolean) =>
      dialogText(messages.confirmWithdraw(name, cohort.name, waitlisted)),
    ...locals,
  });
}

export function registerCohortRoutes(web: Router, api: Router): void {
  // ── API ──
  apiOperation(
    api,
    {
      method: 'post',
      path: '/cohorts',
      tag: 'cohorts',
      summary: 'Create a cohort',
      access: ['admin'],
      body: cohortSchema,
      success: { status: 201, description: 'The cohort', schema: cohortView },
      location: (id) => `/cohorts/${id}`,
      idempotent: true,
    },
    async ({ user, body, req }) =>
      presentCohort(await createCohort({ actor: user, input: body, submissionKey: clientSubmissionKey(req) })),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/cohorts',
      tag: 'cohorts',
      summary: 'Cohorts you run, are enrolled in, or may join (mayJoin)',
      access: [],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'A page of cohorts, in the order they were made; nextCursor gives the next page',
        schema: z.object({
          items: z.array(
            cohortView.extend({
              programmeTitle: z.string(),
              runs: z.boolean(),
              myStatus: z.string().nullable(),
              mayJoin: z.boolean(),
            }),
          ),
          nextCursor: z.string().nullable(),
        }),
      },
    },
    async ({ user, query }) => pageCohortsFor({ actor: user, ...query }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/cohorts/:id',
      tag: 'cohorts',
      summary: 'A cohort',
      access: [],
      success: { status: 200, description: 'The cohort', schema: cohortView },
    },
    async ({ user, params }) => presentCohort((await loadVisibleCohort({ actor: user, cohortId: params.id! })).cohort),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/cohorts/:id/enrolments',
      tag: 'cohorts',
      summary: 'Enrol someone (facilitators, admins; yourself when self-enrolment is open)',
      access: [],
      body: enrolBody,
      success: { status: 201, description: 'Enrolled or waitlisted', schema: enrolResult },
      errors: [409],
    },
    async ({ user, params, body }) => enrolParticipant({ actor: user, cohortId: params.id!, userId: body.userId }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/cohorts/:id/enrolments',
      tag: 'cohorts',
      summary: 'Enrolled people, then the waitlist in order',
      access: ['facilitator'],
      success: { status: 200, description: 'Enrolments', schema: enrolmentList },
    },
    async ({ user, params }) => ({
      items: (await enrolments(user, params.id!)).map(({ userId, name, status, position }) => ({
        userId,
        name,
        status,
        ...(position ? { position } : {}),
      })),
    }),
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/cohorts/:id/enrolments/:userId',
      tag: 'cohorts',
      summary: 'Withdraw someone (the first waitlisted person moves up)',
      access: [],
      success: { status: 204, description: 'Withdrawn' },
    },
    async ({ user, params }) => {
      await withdrawParticipant({ actor: user, cohortId: params.id!, userId: params.userId! });
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/cohorts/:id/attendance',
      tag: 'attendance',
      summary: 'Attendance per participant (rate between 0 and 1); a participant of the cohort gets her own row',
      access: [],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'A page of rows, one per participant in user id order; nextCursor gives the next page',
        schema: z.object({ items: z.array(reportRow), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, params, query }) => {
      const { rows } = await readableAttendance({ actor: user, cohortId: params.id!, now: now() });
      const page = pageInMemory(rows, query, (row) => row.userId);
      return { items: page.rows.map(presentReportRow), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/cohorts/:id/attendance.csv',
      tag: 'attendance',
      summary: 'Attendance per participant as CSV; a participant of the cohort gets her own row',
      access: [],
      success: { status: 200, description: 'CSV', contentType: 'text/csv' },
    },
    async ({ req, res }) => sendCsv(req, res, false),
  );

  // ── Web ──
  web.get('/cohorts', requireSignIn, async (req, res) =>
    res.render('cohorts/index', { title: 'Cohorts', cohorts: await cohortsFor({ actor: req.user! }) }),
  );
  web.get('/cohorts/new', requireRole('admin'), (req, res) =>
    renderCohortForm(req, res, {
      values: { timezone: 'Europe/London', capacity: 20, attendanceThreshold: 75, lateAfterMinutes: 10 },
    }),
  );
  web.post('/cohorts', requireRole('admin'), async (req, res) => {
    const form = parseForm(cohortFormSchema, req.body);
    if (!form.ok)
      return renderCohortForm(req, res, { values: req.body, errors: form.errors, errorList: form.list, status: 422 });
    try {
      const cohort = await createCohort({
        actor: req.user!,
        input: form.data,
        submissionKey: clientSubmissionKey(req),
      });
      flash(req, 'success', messages.created(cohort.name));
      res.redirect(303, `/cohorts/${String(cohort._id)}`);
    } catch (error) {
      const { errors, list } = formErrorsFrom(error);
      return renderCohortForm(req, res, { values: req.body, errors, errorList: list, status: 422 });
    }
  });
  web.get('/cohorts/:id', requireSignIn, showCohort);
  web.get('/cohorts/:id/edit', requireSignIn, async (req, res) => {
    const stored = await loadRunCohort({ actor: req.user!, cohortId: String(req.params.id) });
    const cohort = presentCohort(stored);
    // The version she opens it at goes with the form: a save by someone else meanwhile is a 409, never undone.
    return renderCohortForm(req, res, { cohort, values: cohort, version: versionForForm(stored.version) });
  });
  web.post('/cohorts/:id/edit', requireSignIn, async (req, res) => {
    const stored = await loadRunCohort({ actor: req.user!, cohortId: String(req.params.id) });
    const cohort = presentCohort(stored);
    // Sent back, a refused form keeps the version she opened, so a save by someone else meanwhile is still noticed.
    const version = req.body.version;
    // A facilitator's form has no programme field (updateCohort keeps the cohort's). Facilitators are not defaulted:
    // an admin who unticks every box sends no facilitatorIds at all, and means none; a facilitator's save keeps them
    // whatever it sends (updateCohort).
    const form = parseForm(cohortFormSchema, { programmeId: cohort.programmeId, ...req.body });
    if (!form.ok)
      return renderCohortForm(req, res, {
        cohort,
        values: req.body,
        version,
        errors: form.errors,
        errorList: form.list,
        status: 422,
      });
    try {
      const { promoted } = await updateCohort({
        actor: req.user!,
        cohortId: cohort.id,
        input: form.data,
        expectedVersion: versionFromForm(version),
      });
      flash(req, 'success', messages.saved + (promoted.length ? messages.promoted(promoted.length) : ''));
      res.redirect(303, `/cohorts/${cohort.id}`);
    } catch (error) {
      // Saved by someone else since she opened it: her changes come back unsaved, with the version now stored, so
      // that sending them again (knowing) replaces the other changes.
      if (error instanceof ConflictError && !error.errors.length) {
        const latest = await loadRunCohort({ actor: req.user!, cohortId: cohort.id });
        return renderCohortForm(req, res, {
          cohort: presentCohort(latest),
          values: req.body,
          version: versionForForm(latest.version),
          errorList: [{ path: '(cohort)', message: error.message }],
          status: 409,
        });
      }
      const { errors, list } = formErrorsFrom(error);
      return renderCohortForm(req, res, { cohort, values: req.body, version, errors, errorList: list, status: 422 });
    }
  });
  web.post('/cohorts/:id/join', requireSignIn, async (req, res) => {
    const cohortId = String(req.params.id);
    let result;
    try {
      result = await enrolParticipant({ actor: req.user!, cohortId, userId: req.user!.id });
    } catch (error) {
      // A second press of "Enrol" (a double click, a page left open): she is in already; her page shows where.
      if (!(error instanceof ConflictError)) throw error;
      const { enrolment } = await loadVisibleCohort({ actor: req.user!, cohortId });
      flash(req, 'info', enrolment?.status === 'waitlisted' ? messages.alreadyWaiting : messages.alreadyJoined);
      return res.redirect(303, `/cohorts/${cohortId}`);
    }
    flash(
      req,
      result.status === 'active' ? 'success' : 'info',
      result.status === 'active' ? messages.joined : messages.waitlisted(result.position!),
    );
    res.redirect(303, `/cohorts/${String(req.params.id)}`);
  });
  web.post('/cohorts/:id/leave', requireSignIn, confirmLeave, async (req, res) => {
    const cohortId = String(req.params.id);
    // What she leaves: a place, or a place in the queue (she was never in the cohort).
    const { enrolment: leaving } = await loadVisibleCohort({ actor: req.user!, cohortId });
    try {
      await withdrawParticipant({ actor: req.user!, cohortId, userId: req.user!.id });
    } catch (error) {
      // A second press of "Yes, leave": she has left already, which is what she asked. Never in it: the 404 stands.
      if (!(error instanceof NotFoundError)) throw error;
      const { enrolment } = await loadVisibleCohort({ actor: req.user!, cohortId });
      if (enrolment?.status !== 'withdrawn') throw error;
    }
    flash(req, 'success', leaving?.status === 'waitlisted' ? messages.leftWaitlist : messages.left);
    res.redirect(303, '/cohorts');
  });
  web.get('/cohorts/:id/people', requireSignIn, (req, res) => showPeople(req, res));
  web.post('/cohorts/:id/people', requireSignIn, async (req, res) => {
    const form = parseForm(emailForm, req.body);
    if (!form.ok) return showPeople(req, res, { values: req.body, errors: form.errors, errorList: form.list }, 422);
    try {
      const result = await enrolByEmail({ actor: req.user!, cohortId: String(req.params.id), email: form.data.email });
      flash(
        req,
        'success',
        result.status === 'active'
          ? messages.enrolled(result.name)
          : messages.enrolledWaitlist(result.name, result.position!),
      );
      res.redirect(303, `/cohorts/${String(req.params.id)}/people`);
    } catch (error) {
      if ((error as { status?: number }).status === 409)
        return showPeople(
          req,
          res,
          {
            values: req.body,
            errors: { email: (error as Error).message },
            errorList: [{ path: 'email', message: (error as Error).message }],
          },
          422,
        );
      const { errors, list } = formErrorsFrom(error);
      return showPeople(req, res, { values: req.body, errors, errorList: list }, 422);
    }
  });
  web.post('/cohorts/:id/people/import', requireSignIn, async (req, res) => {
    const form = parseForm(csvForm, req.body);
    if (!form.ok) return showPeople(req, res, { values: req.body, errors: form.errors, errorList: form.list }, 422);
    try {
      const { rows, toCorrect } = await importEnrolments({
        actor: req.user!,
        cohortId: String(req.params.id),
        csv: form.data.csv,
        ip: req.ip,
      });
      if (!toCorrect) return showPeople(req, res, { imported: rows });
      // The refused lines stay in the box, their reasons at it, for her to correct and import again (WCAG 3.3.1).
      return showPeople(req, res, {
        imported: rows,
        values: { csv: toCorrect.csv },
        errors: { csv: toCorrect.message },
        errorList: [{ path: 'csv', message: toCorrect.message }],
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const { errors, list } = formErrorsFrom(error);
      return showPeople(req, res, { values: req.body, errors, errorList: list }, 422);
    }
  });
  web.post('/cohorts/:id/people/:userId/withdraw', requireSignIn, confirmWithdraw, async (req, res) => {
    const { promoted } = await withdrawParticipant({
      actor: req.user!,
      cohortId: String(req.params.id),
      userId: String(req.params.userId),
    });
    flash(req, 'success', messages.withdrawn + (promoted.length ? messages.promoted(promoted.length) : ''));
    res.redirect(303, `/cohorts/${String(req.params.id)}/people`);
  });
  web.get('/cohorts/:id/attendance', requireSignIn, showReport);
  web.get('/cohorts/:id/attendance.csv', requireSignIn, (req, res) => sendCsv(req, res, true));

  web.get('/calendar', requireSignIn, async (req, res) =>
    res.render('cohorts/calendar', {
      title: 'Your calendar',
      feedUrl: await calendarFeedUrl({ userId: req.user!.id }),
      confirmRotate: dialogText(messages.confirmRotate),
    }),
  );
  web.post('/calendar/token', requireSignIn, confirmRotate, async (req, res) => {
    await rotateCalendarToken({ userId: req.user!.id });
    flash(req, 'success', messages.rotated);
    res.redirect(303, '/calendar');
  });
  web.get('/calendar/:token.ics', async (req, res) => {
    const feed = await calendarFeed({ token: String(req.params.token), now: now() });
    res.type('text/calendar; charset=utf-8').set('Cache-Control', 'private, max-age=300');
    sendKeepable(res, feed);
  });
}
