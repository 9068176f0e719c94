import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { attendanceStatuses, type AttendanceStatus } from '../models/AttendanceRecord.ts';
import { requireSignIn } from '../server/auth.ts';
import { ConflictError, DomainError, ValidationError } from '../server/errors.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { apiOperation } from '../server/http/api.ts';
import { confirmFirst, dialogText, type Confirmation } from '../server/http/confirmFirst.ts';
import { flash } from '../server/http/flash.ts';
import { formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { paging, text } from '../server/http/validate.ts';
import { objectIdPattern } from '../server/ids.ts';
import { pageInListOrder } from '../server/pagination.ts';
import {
  cancelSession,
  checkIn,
  checkInCodeFor,
  checkInCodeForLoaded,
  checkInOffered,
  checkInWindow,
  getRegister,
  registerForLoaded,
  loadRunCohort,
  loadRunSession,
  loadVisibleSession,
  markOf,
  presentCohort,
  presentRegister,
  presentSession,
  recordAttendance,
  registerNoteAsStored,
  registerNoteMaxLength,
  registerOpensAt,
  type RecordInput,
  rescheduleSession,
  scheduleSession,
  sessionIcs,
  visibleSessionsOf,
} from '../server/services/cohorts/index.ts';
import { formatDateTime, toWallClock } from '../server/time.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';

const messages = {
  scheduled: 'Session scheduled.',
  changed: 'Session changed. Participants will be told.',
  cancelled: 'Session cancelled. Participants will be told.',
  saved: (n: number) => `Register saved (${n} ${n === 1 ? 'row' : 'rows'}).`,
  nothingToSave: 'Nothing to save: choose a status for at least one person.',
  nothingChanged: 'Nothing changed: the register already shows these marks.',
  registerOfCancelled: 'Nothing was saved: this session has been cancelled, so its register is closed.',
  checkedIn: (status: string) =>
    status === 'late' ? 'You are checked in (marked late).' : 'You are checked in. Welcome!',
  newCode: 'A new check-in code is showing; the old one no longer works.',
  // Asked before cancelling, on the confirmation page and in the form's dialog (server/http/confirmFirst.ts).
  confirmCancel: (title: string, startsAt: Date, zone: string, now: Date): Omit<Confirmation, 'back'> => ({
    question: `Cancel the session “${title}” on ${formatDateTime(startsAt, zone)}?`,
    consequences: [
      startsAt > now
        ? 'Everyone enrolled will be emailed that it is cancelled, and it is marked cancelled in their calendars.'
        : 'It has already begun, so nobody is emailed; it is marked cancelled in calendars and left out of attendance rates.',
    ],
    yes: 'Yes, cancel the session',
  }),
};

const sessionFields = {
  title: text(160),
  startsAt: z.string().trim().min(1, 'is required').max(40),
  durationMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60),
  mode: z.enum(['online', 'in-person']),
  joinUrl: z
    .url({ protocol: /^https?$/, message: 'must be a web address starting https://' })
    .max(500)
    .optional(),
  location: text(300).optional(),
};
export const sessionSchema = z.strictObject(sessionFields);
export const sessionPatchSchema = z
  .strictObject(sessionFields)
  .partial()
  .extend({
    /** The `sequence` the client read: when given, a change saved by someone else since is a 409 (server/versions.ts). */
    sequence: z.number().int().min(0).optional(),
  });
const sessionView = z.object({
  id: z.string(),
  cohortId: z.string(),
  title: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  durationMinutes: z.number(),
  mode: z.string(),
  joinUrl: z.string().optional(),
  location: z.string().optional(),
  status: z.string(),
  sequence: z.number(),
  history: z.array(z.object({})),
});
/**
 * A register's rows are judged by recordAttendance, which names every failing row at once (an outsider, an unknown
 * status, a malformed id, a note too long); checked here, one of them hid the other rows' problems until the next
 * try. Documented with their rules.
 */
export const registerSchema = z.strictObject({
  records: z
    .array(
      z.strictObject({
        userId: z.string().meta({ pattern: objectIdPattern.source }),
        status: z.string().meta({ enum: [...attendanceStatuses] }),
        note: z.string().meta({ maxLength: registerNoteMaxLength }).optional(),
      }),
    )
    .min(1)
    .max(2000),
});
const registerView = z.object({
  records: z.array(
    z.object({
      userId: z.string(),
      name: z.string(),
      status: z.string().nullable(),
      note: z.string(),
      markedBy: z.string().nullable(),
      markedAt: z.string().nullable(),
    }),
  ),
});
const checkInSchema = z.strictObject({ code: z.string().trim().min(1, 'enter the code').max(20) });

const sessionFormSchema = z.preprocess((raw) => {
  const b = (raw ?? {}) as Record<string, unknown>;
  const opt = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
  return {
    title: b.title,
    startsAt: b.startsAt,
    durationMinutes:
      b.durationMinutes === '' || b.durationMinutes === undefined ? undefined : Number(b.durationMinutes),
    mode: b.mode,
    joinUrl: b.mode === 'online' ? opt(b.joinUrl) : undefined,
    location: b.mode === 'in-person' ? opt(b.location) : undefined,
  };
}, sessionSchema);

const now = () => new Date();

/** Before a session is cancelled: which one, when (in her zone), and who will be told; nothing to ask if it is. */
const confirmCancel = confirmFirst(async (req) => {
  const { session } = await loadRunSession({ actor: req.user!, sessionId: String(req.params.id) });
  if (session.status === 'cancelled') return null;
  return {
    ...messages.confirmCancel(session.title, session.startsAt, req.user!.timezone, now()),
    back: `/sessions/${String(session._id)}/edit`,
  };
});

async function renderSessionForm(
  req: Request,
  res: Response,
  locals: {
    cohortId: string;
    session?: ReturnType<typeof presentSession>;
    values: Record<string, unknown>;
    /** The session's SEQUENCE the edit form was opened at (server/versions.ts). */
    version?: unknown;
    errors?: Record<string, string>;
    errorList?: unknown[];
    status?: number;
  },
) {
  const cohort = await loadRunCohort({ actor: req.user!, cohortId: locals.cohortId });
  res.status(locals.status ?? 200).render('sessions/form', {
    title: locals.session ? `Change ${locals.session.title}` : 'New session',
    cohort: presentCohort(cohort),
    confirmCancel: locals.session
      ? dialogText(
          messages.confirmCancel(locals.session.title, new Date(locals.session.startsAt), req.user!.timezone, now()),
        )
      : '',
    errors: {},
    errorList: [],
    ...locals,
  });
}

async function showSession(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
  const loaded = await loadVisibleSession({ actor: req.user!, sessionId: String(req.params.id) });
  const { session, cohort, enrolment, runs } = loaded;
  const at = now();
  // For those who run the cohort, the code and the register's counts from the session as loaded: not read again.
  const [code, register] = runs
    ? await Promise.all([checkInCodeForLoaded(loaded, { now: at }), registerForLoaded(loaded, req.user!, false)])
    : [null, null];
  // Her own mark, so the page says she is checked in rather than offering the form again ("absent" may still
  // check in: checkIn turns it into hers).
  const mark = enrolment?.status === 'active' ? await markOf({ sessionId: session._id, userId: req.user!.id }) : null;
  res.status(status).render('sessions/show', {
    title: session.title,
    session,
    cohort: presentCohort(cohort),
    runs,
    code,
    counts: register?.counts ?? null,
    mark,
    canCheckIn: enrolment?.status === 'active' && checkInOffered(session, mark, at),
    window: checkInWindow(session),
    now: at,
    errors: {},
    errorList: [],
    ...extra,
  });
}

/**
 * Register form fields: status-<userId> (a radio group per row) and note-<userId>, with shown-status-<userId> and
 * shown-note-<userId> carrying the mark the page showed. Only rows changed from what the page showed are written:
 * the radios of marked rows come back checked, and writing them again would make a participant's own check-in
 * (and its time) read as marked by whoever saved the register now, or undo a mark someone else saved meanwhile.
 * A changed row goes with the mark shown (`shown`), so it is written only over that mark (recordAttendance).
 * "Mark the rest present" fills only rows with no choice in the form and no saved mark, so a mark someone else
 * saved meanwhile stands.
 */
function recordsFromForm(
  body: Record<string, unknown>,
  rows: { userId: string; status: string | null; note: string }[],
  markRestPresent: boolean,
): { records: RecordInput[]; unchanged: number } {
  const records: RecordInput[] = [];
  let unchanged = 0;
  const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
  for (const { userId, status: saved, note: savedNote } of rows) {
    const raw = field(`status-${userId}`);
    const status = (raw ? raw : markRestPresent && !saved ? 'present' : undefined) as AttendanceStatus | undefined;
    // A note over the limit goes on to recordAttendance, which refuses its row: cut here, it was saved shortened.
    const note = field(`note-${userId}`) ?? '';
    if (!status) continue;
    // A form without the shown-* fields (a script, an older page) is compared with the mark as saved, and its
    // changes are written whatever is stored, as the API's are.
    const shownField = field(`shown-status-${userId}`);
    const shownStatus = shownField ?? saved ?? '';
    const shownNote = field(`shown-note-${userId}`) ?? savedNote;
    if (status === shownStatus && registerNoteAsStored(note) === registerNoteAsStored(shownNote)) unchanged += 1;
    else
      records.push({
        userId,
        status,
        note,
        ...(shownField === undefined ? {} : { shown: { status: shownStatus || null, note: shownNote } }),
      });
  }
  return { records, unchanged };
}

async function showRegister(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
  const { session, cohort, rows, counts, formerlyEnrolled } = await getRegister({
    actor: req.user!,
    sessionId: String(req.params.id),
  });
  res.status(status).render('sessions/register', {
    title: `Register: ${session.title}`,
    session,
    cohort: presentCohort(cohort),
    rows,
    counts,
    formerlyEnrolled,
    // Before it opens the page says when, instead of offering a form that would be refused.
    registerOpensAt: registerOpensAt(session),
    registerOpen: now() >= registerOpensAt(session),
    statuses: attendanceStatuses,
    values: {},
    rowErrors: {},
    ...extra,
  });
}

async function saveRegister(req: Request, res: Response) {
  const { session, rows } = await getRegister({ actor: req.user!, sessionId: String(req.params.id) });
  // Cancelled while her page was open: the register page now says so (and shows no form) rather than an error page.
  if (session.status === 'cancelled') {
    flash(req, 'error', messages.registerOfCancelled);
    return res.redirect(303, `/sessions/${String(req.params.id)}/register`);
  }
  const body = req.body as Record<string, unknown>;
  const { records, unchanged } = recordsFromForm(body, rows, body.markAll === 'present');
  // The summary's link lands on the first row's choice: the register has no field of its own to point at.
  const first = `status-${rows[0]?.userId ?? ''}`;
  if (!records.length && unchanged) {
    flash(req, 'info', messages.nothingChanged);
    return res.redirect(303, `/sessions/${String(req.params.id)}/register`);
  }
  if (!records.length)
    return showRegister(
      req,
      res,
      {
        values: body,
        errorList: [{ path: first, message: messages.nothingToSave }],
        fieldLabels: { [first]: 'Register' },
      },
      422,
    );
  try {
    await recordAttendance({ actor: req.user!, sessionId: String(req.params.id), records });
  } catch (error) {
    if (error instanceof ValidationError || (error instanceof ConflictError && error.errors.length))
      return registerRefused(req, res, { error, records, rows, body });
    // Refused whole (not open yet, cancelled meanwhile): the register page says why, as it does for a cancellation.
    if (error instanceof ConflictError) {
      flash(req, 'error', error.message);
      return res.redirect(303, `/sessions/${String(req.params.id)}/register`);
    }
    throw error;
  }
  flash(req, 'success', messages.saved(records.length));
  res.redirect(303, `/sessions/${String(req.params.id)}/register`);
}

/**
 * The register sent back refused, each failing row named at its row and in the summary, her choices kept. Invalid
 * rows (422): the page as she sent it, the marks it showed included, so a mark saved meanwhile is still not written
 * over. Rows marked by someone else since her page showed them (409): her changed rows kept over the register as it
 * is now, its marks now the ones shown, so saving again replaces them with hers, as she has been told.
 */
async function registerRefused(
  req: Request,
  res: Response,
  props: {
    error: ValidationError | ConflictError;
    records: RecordInput[];
    rows: { userId: string; name: string }[];
    body: Record<string, unknown>;
  },
) {
  const { error, records } = props;
  const rowErrors: Record<string, string> = {};
  for (const e of error.errors) {
    const index = Number(e.path.split('.')[1]);
    if (records[index]) rowErrors[records[index]!.userId] = e.message;
  }
  const names = new Map(props.rows.map((r) => [r.userId, r.name]));
  const errorList = Object.entries(rowErrors).map(([userId, message]) => ({ path: `status-${userId}`, message }));
  // Each row's radios have no label of their own to name them by in the summary: the person's name does.
  const fieldLabels = Object.fromEntries(
    Object.keys(rowErrors).map((userId) => [`status-${userId}`, names.get(userId) ?? userId]),
  );
  const values =
    error instanceof ConflictError
      ? Object.fromEntries(
          records.flatMap((r) => [
            [`status-${r.userId}`, r.status],
            [`note-${r.userId}`, r.note],
          ]),
        )
      : props.body;
  return showRegister(req, res, { values, rowErrors, errorList, fieldLabels, summary: error.message }, error.status);
}

export function registerSessionRoutes(web: Router, api: Router): void {
  // ── API ──
  apiOperation(
    api,
    {
      method: 'post',
      path: '/cohorts/:id/sessions',
      tag: 'sessions',
      idempotent: true,
      summary: "Schedule a session (startsAt: wall-clock in the cohort's zone, or an instant with an offset)",
      access: ['facilitator'],
      body: sessionSchema,
      success: { status: 201, description: 'The session', schema: sessionView },
      location: (id) => `/sessions/${id}`,
    },
    async ({ user, params, body, req }) =>
      presentSession(
        await scheduleSession({
          actor: user,
          cohortId: params.id!,
          input: body,
          submissionKey: clientSubmissionKey(req),
        }),
      ),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/cohorts/:id/sessions',
      tag: 'sessions',
      summary: "A cohort's sessions",
      access: [],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'Sessions in time order, paged with limit and cursor',
        schema: z.object({ items: z.array(sessionView), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, params, query }) => {
      const sessions = await visibleSessionsOf({ actor: user, cohortId: params.id! });
      const page = pageInListOrder(sessions, query, (s) => s._id);
      return { items: page.rows.map(presentSession), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/sessions/:id',
      tag: 'sessions',
      summary: 'A session',
      access: [],
      success: { status: 200, description: 'The session', schema: sessionView },
    },
    async ({ user, params }) =>
      presentSession((await loadVisibleSession({ actor: user, sessionId: params.id! })).session),
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/sessions/:id',
      tag: 'sessions',
      summary: 'Reschedule or change a session (history kept, participants told)',
      access: ['facilitator'],
      body: sessionPatchSchema,
      success: { status: 200, description: 'The session', schema: sessionView },
      errors: [409],
    },
    async ({ user, params, body: { sequence, ...input } }) =>
      presentSession(
        await rescheduleSession({ actor: user, sessionId: params.id!, input, expectedSequence: sequence }),
      ),
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/sessions/:id',
      tag: 'sessions',
      summary: 'Cancel a session (kept, with its history; participants told)',
      access: ['facilitator'],
      success: { status: 204, description: 'Cancelled' },
      errors: [409],
    },
    async ({ user, params }) => {
      await cancelSession({ actor: user, sessionId: params.id! });
    },
  );
  apiOperation(
    api,
    {
      method: 'put',
      path: '/sessions/:id/attendance',
      tag: 'attendance',
      summary: 'Record attendance, record by record; any invalid record refuses the whole request',
      access: ['facilitator'],
      body: registerSchema,
      success: { status: 200, description: 'The register', schema: registerView },
      errors: [409],
    },
    async ({ user, params, body }) =>
      presentRegister(await recordAttendance({ actor: user, sessionId: params.id!, records: body.records })),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/sessions/:id/attendance',
      tag: 'attendance',
      summary: 'The register: one row per active participant',
      access: ['facilitator'],
      success: { status: 200, description: 'The register', schema: registerView },
    },
    async ({ user, params }) => presentRegister((await getRegister({ actor: user, sessionId: params.id! })).rows),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/sessions/:id/check-in',
      tag: 'attendance',
      summary: 'Self check-in with the code shown in the session',
      access: [],
      body: checkInSchema,
      success: { status: 200, description: 'Checked in', schema: z.object({ status: z.enum(attendanceStatuses) }) },
      errors: [409, 429],
    },
    async ({ user, params, body }) => checkIn({ actor: user, sessionId: params.id!, code: body.code }),
  );

  // ── Web ──
  web.get('/cohorts/:id/sessions/new', requireSignIn, (req, res) =>
    renderSessionForm(req, res, { cohortId: String(req.params.id), values: { durationMinutes: 60, mode: 'online' } }),
  );
  web.post('/cohorts/:id/sessions', requireSignIn, async (req, res) => {
    const cohortId = String(req.params.id);
    const form = parseForm(sessionFormSchema, req.body);
    if (!form.ok)
      return renderSessionForm(req, res, {
        cohortId,
        values: req.body,
        errors: form.errors,
        errorList: form.list,
        status: 422,
      });
    try {
      const session = await scheduleSession({
        actor: req.user!,
        cohortId,
        input: form.data,
        submissionKey: clientSubmissionKey(req),
      });
      flash(req, 'success', messages.scheduled);
      res.redirect(303, `/sessions/${String(session._id)}`);
    } catch (error) {
      const { errors, list } = formErrorsFrom(error);
      return renderSessionForm(req, res, { cohortId, values: req.body, errors, errorList: list, status: 422 });
    }
  });
  web.get('/sessions/:id.ics', requireSignIn, async (req, res) => {
    const { filename, body } = await sessionIcs({ actor: req.user!, sessionId: String(req.params.id) });
    res.set('Content-Disposition', downloadDisposition(filename)).type('text/calendar; charset=utf-8').send(body);
  });
  web.get('/sessions/:id', requireSignIn, (req, res) => showSession(req, res));
  web.get('/sessions/:id/edit', requireSignIn, async (req, res) => {
    const { session, cohort } = await loadRunSession({ actor: req.user!, sessionId: String(req.params.id) });
    const view = presentSession(session);
    return renderSessionForm(req, res, {
      cohortId: String(cohort._id),
      session: view,
      values: { ...view, startsAt: toWallClock(session.startsAt, cohort.timezone) },
      // The SEQUENCE she opens it at goes with the form: a change by someone else meanwhile is a 409, never undone.
      version: versionForForm(session.sequence),
    });
  });
  web.post('/sessions/:id/edit', requireSignIn, async (req, res) => {
    const { session, cohort } = await loadRunSession({ actor: req.user!, sessionId: String(req.params.id) });
    const view = presentSession(session);
    // Sent back, a refused form keeps the SEQUENCE she opened, so a change by someone else meanwhile is still noticed.
    const version = req.body.version;
    const form = parseForm(sessionFormSchema, req.body);
    if (!form.ok)
      return renderSessionForm(req, res, {
        cohortId: String(cohort._id),
        session: view,
        values: req.body,
        version,
        errors: form.errors,
        errorList: form.list,
        status: 422,
      });
    try {
      await rescheduleSession({
        actor: req.user!,
        sessionId: view.id,
        input: form.data,
        expectedSequence: versionFromForm(version),
      });
      flash(req, 'success', messages.changed);
      res.redirect(303, `/sessions/${view.id}`);
    } catch (error) {
      // Changed or cancelled by someone else since she opened it: her changes come back unsaved, with the SEQUENCE
      // now stored, so that sending them again (knowing) replaces the other change.
      if (error instanceof DomainError && error.status === 409) {
        const latest = await loadRunSession({ actor: req.user!, sessionId: view.id });
        return renderSessionForm(req, res, {
          cohortId: String(cohort._id),
          session: presentSession(latest.session),
          values: req.body,
          version: versionForForm(latest.session.sequence),
          errorList: [{ path: '(session)', message: error.message }],
          status: 409,
        });
      }
      const { errors, list } = formErrorsFrom(error);
      return renderSessionForm(req, res, {
        cohortId: String(cohort._id),
        session: view,
        values: req.body,
        version,
        errors,
        errorList: list,
        status: 422,
      });
    }
  });
  web.post('/sessions/:id/cancel', requireSignIn, confirmCancel, async (req, res) => {
    await cancelSession({ actor: req.user!, sessionId: String(req.params.id) });
    flash(req, 'success', messages.cancelled);
    res.redirect(303, `/sessions/${String(req.params.id)}`);
  });
  web.post('/sessions/:id/check-in-code', requireSignIn, async (req, res) => {
    await checkInCodeFor({ actor: req.user!, sessionId: String(req.params.id), now: now(), renew: true });
    flash(req, 'info', messages.newCode);
    res.redirect(303, `/sessions/${String(req.params.id)}`);
  });
  web.post('/sessions/:id/check-in', requireSignIn, async (req, res) => {
    const form = parseForm(checkInSchema, { code: req.body?.code });
    try {
      if (!form.ok) throw new ValidationError('Enter the code.', form.list);
      const result = await checkIn({ actor: req.user!, sessionId: String(req.params.id), code: form.data.code });
      flash(req, 'success', messages.checkedIn(result.status));
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 404 || error.status === 403) throw error;
      // A missing or wrong code is the field's error: the page comes back with it tied to the code field.
      if (error instanceof ValidationError && error.errors.length) {
        const errorList = error.errors;
        return showSession(
          req,
          res,
          { errorList, errors: Object.fromEntries(errorList.map((e) => [e.path, e.message])) },
          422,
        );
      }
      flash(req, 'error', error.message);
    }
    res.redirect(303, `/sessions/${String(req.params.id)}`);
  });
  web.get('/sessions/:id/register', requireSignIn, (req, res) => showRegister(req, res));
  web.post('/sessions/:id/register', requireSignIn, saveRegister);
}
