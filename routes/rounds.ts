import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { genderCategories, recruitmentStages } from '../models/RecruitmentRound.ts';
import { requireSignIn } from '../server/auth.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../server/errors.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { apiOperation } from '../server/http/api.ts';
import { confirmFirst, dialogText, type Confirmation } from '../server/http/confirmFirst.ts';
import { flash } from '../server/http/flash.ts';
import { errorsOnFormFields, formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { emailAddress, isoDate, objectId, paging, text } from '../server/http/validate.ts';
import { pageInListOrder } from '../server/pagination.ts';
import {
  addAdviserToPanel,
  addToPanel,
  changeRound,
  closeRound,
  createRound,
  enrolPanelLackingTraining,
  findBoardFor,
  findRoundFor,
  mergeInterviewDates,
  panelRemovalToConfirm,
  panelWarningMessages,
  presentRound,
  readinessRecordCsv,
  readinessRecordPdf,
  readinessStatuses,
  recordGenderFigures,
  removeFromPanel,
  roundOverview,
  roundReadiness,
  roundsOfBoard,
  roundToClose,
  statusLabel,
} from '../server/services/boards/index.ts';
import { boardPage } from './boards.ts';

const messages = {
  created: 'The recruitment round was created.',
  updated: 'The dates were saved; training now counts for the first interview day.',
  panelChanged: 'The panel was changed.',
  invited: (name: string) => `${name} was invited by email and added to the panel.`,
  adviserTraining: (name: string, status: string) =>
    status === 'enrolled'
      ? ` ${name} is enrolled in the panels’ unconscious-bias training.`
      : status === 'waitlisted'
        ? ` ${name} is on the waitlist of the panels’ unconscious-bias training.`
        : '',
  enrolled: (n: number, w: number, passedOver: number) =>
    (n + w === 0
      ? passedOver
        ? 'Nobody was enrolled.'
        : 'Everyone on the panel is already trained or enrolled.'
      : `${n} panel member(s) enrolled in the panels’ unconscious-bias training${w ? `, ${w} on its waitlist` : ''}.`) +
    (passedOver
      ? ` ${passedOver} untrained member(s) whose account is disabled or erased could not be enrolled: replace them on the panel, or ask an admin to enable the account.`
      : ''),
  figures: 'The figures were saved.',
  closed: 'The round was closed and its readiness record kept.',
  noRecord: 'The readiness record exists once the round is closed.',
  // Asked before closing (it cannot be undone) and before taking someone off the panel, on a page and in the dialog.
  confirmClose: (r: { title: string; panelSize: number; notReady: number }): Omit<Confirmation, 'back'> => ({
    question: `Close the round “${r.title}”?`,
    consequences: [
      'Closing cannot be undone: its panel and dates can no longer change, and the panel’s training reminders stop.',
      r.panelSize === 0
        ? 'The readiness record will show an empty panel.'
        : r.notReady === 0
          ? `The readiness record keeps the panel as it is now: all ${r.panelSize} ready.`
          : `The readiness record keeps the panel as it is now: ${r.notReady} of ${r.panelSize} not ready.`,
    ],
    yes: 'Yes, close the round',
  }),
  confirmPanelRemoval: (p: { name: string; title: string }): Omit<Confirmation, 'back'> => ({
    question: `Remove ${p.name} from the panel of “${p.title}”?`,
    consequences: ['Her training reminders for this interview stop. You can add her to the panel again.'],
    yes: 'Yes, remove her from the panel',
  }),
};

/** Before a round is closed: which, and how its record will read (the close's own 403 and 404). */
const confirmClose = confirmFirst(async (req) => {
  const found = await roundToClose({ actor: req.user!, roundId: String(req.params.id) });
  return found && { ...messages.confirmClose(found), back: `/rounds/${String(req.params.id)}#record-title` };
});

/** Before someone is taken off a panel: who, and what follows (the removal's own 403 and 404). */
const confirmPanelRemoval = confirmFirst(async (req) => {
  const found = await panelRemovalToConfirm({
    actor: req.user!,
    roundId: String(req.params.id),
    userId: String(req.params.userId),
  });
  return found && { ...messages.confirmPanelRemoval(found), back: `/rounds/${String(req.params.id)}#readiness-title` };
});

const counts = z.strictObject(
  Object.fromEntries(genderCategories.map((c) => [c, z.number().int().min(0).max(10_000).optional()])) as Record<
    (typeof genderCategories)[number],
    z.ZodOptional<z.ZodNumber>
  >,
);
export const figuresSchema = z.strictObject(
  Object.fromEntries(recruitmentStages.map((s) => [s, counts.optional()])) as Record<
    (typeof recruitmentStages)[number],
    z.ZodOptional<typeof counts>
  >,
);
/** The most interview dates a request lists (the round page has a field for each). */
const maxInterviewDates = 5;
export const createRoundSchema = z.strictObject({
  title: text(200),
  interviewDate: isoDate,
  interviewDates: z.array(isoDate).min(1).max(maxInterviewDates).optional(),
  closingDate: isoDate.optional(),
  shortlistingDate: isoDate.optional(),
  panel: z.array(objectId).max(20),
});
export const updateRoundSchema = z.strictObject({
  title: text(200).optional(),
  interviewDate: isoDate.optional(),
  interviewDates: z.array(isoDate).min(1).max(maxInterviewDates).optional(),
  closingDate: isoDate.nullable().optional(),
  shortlistingDate: isoDate.nullable().optional(),
  panel: z.array(objectId).max(20).optional(),
  /** The `version` the client read: when given, a change saved by someone else since is a 409 (server/versions.ts). */
  version: z.number().int().min(0).nullable().optional(),
});

const roundOut = z.object({
  id: z.string(),
  boardId: z.string(),
  title: z.string(),
  closingDate: z.string().nullable(),
  shortlistingDate: z.string().nullable(),
  interviewDates: z.array(z.string()),
  interviewDate: z.string(),
  panel: z.array(z.string()),
  status: z.enum(['open', 'closed']),
  closedAt: z.string().nullable(),
  version: z.number().nullable(),
});
const readinessOut = z.object({
  ready: z.boolean(),
  interviewDate: z.string(),
  members: z.array(
    z.object({
      userId: z.string(),
      status: z.enum(readinessStatuses),
      certificateExpiresAt: z.string().nullable().optional(),
      renewBy: z.string().optional(),
      percent: z.number(),
    }),
  ),
});

async function readinessJson(user: Express.User, roundId: string) {
  const r = await roundReadiness({ actor: user, roundId });
  return {
    ready: r.ready,
    interviewDate: r.interviewDate,
    members: r.members.map((m) => ({
      userId: m.userId,
      status: m.status,
      percent: m.percent,
      ...(m.certificateExpiresAt !== undefined
        ? { certificateExpiresAt: m.certificateExpiresAt ? m.certificateExpiresAt.toISOString() : null }
        : {}),
      ...(m.renewBy ? { renewBy: m.renewBy.toISOString() } : {}),
    })),
  };
}

/**
 * The round forms' interview-date fields, in order, one for each date a request may list; the board page's form to
 * create a round has the first two. Blank ones are ignored.
 */
const interviewDateFields = [
  { name: 'interviewDate', label: 'Interview date' },
  { name: 'secondInterviewDate', label: 'Second interview day (optional)' },
  { name: 'thirdInterviewDate', label: 'Third interview day (optional)' },
  { name: 'fourthInterviewDate', label: 'Fourth interview day (optional)' },
  { name: 'fifthInterviewDate', label: 'Fifth interview day (optional)' },
] as const satisfies readonly { name: string; label: string }[] & { length: typeof maxInterviewDates };
const interviewDatesOf = (b: Record<string, unknown>) =>
  interviewDateFields.map((f) => b[f.name]).filter((d): d is string => typeof d === 'string' && d !== '');

/**
 * The field an error about one interview day ("interviewDates.1") belongs to: the field that day was typed in (blank
 * fields are skipped, so the second day given may be in the third field). Undefined for any other path.
 */
function interviewDayFieldOf(path: string, body: unknown): string | undefined {
  const day = /^interviewDates\.(\d+)$/.exec(path);
  if (!day) return undefined;
  const typedIn = interviewDateFields.filter((f) => {
    const value = ((body ?? {}) as Record<string, unknown>)[f.name];
    return typeof value === 'string' && value !== '';
  });
  return typedIn[Number(day[1])]?.name ?? 'interviewDate';
}

/**
 * An API request names its interview days in `interviewDates`, `interviewDate` or both (the one date joins the list
 * last: mergeInterviewDates). A refusal about one day is said at the field that day was sent in, and one about the
 * days together (their order) at `interviewDate` when that is the only one sent, never at a field the request lacks.
 */
async function atSentDayFields<T>(
  sent: { interviewDate?: string; interviewDates?: string[] },
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ValidationError) || sent.interviewDate === undefined) throw error;
    const listed = sent.interviewDates?.length ?? 0;
    const sentIn = (path: string) => {
      const day = /^interviewDates\.(\d+)$/.exec(path);
      if (day) return Number(day[1]) >= listed ? 'interviewDate' : path;
      return path === 'interviewDates' && !sent.interviewDates ? 'interviewDate' : path;
    };
    throw new ValidationError(
      error.message,
      error.errors.map((e) => ({ ...e, path: sentIn(e.path) })),
      error.extensions,
    );
  }
}

/** What a web form posted, blanks included (shown again as sent when it is refused). */
const submitted = (raw: unknown) =>
  Object.fromEntries(Object.entries((raw ?? {}) as Record<string, unknown>).filter(([k]) => k !== '_csrf'));
/** Web forms post flat fields; blanks mean "not given". */
const blanksRemoved = (raw: unknown) => Object.fromEntries(Object.entries(submitted(raw)).filter(([, v]) => v !== ''));
const roundFormSchema = z.preprocess(
  (raw) => {
    const b = blanksRemoved(raw);
    const dates = interviewDatesOf(b);
    return {
      title: b.title,
      interviewDates: dates.length ? dates : undefined,
      closingDate: b.closingDate,
      shortlistingDate: b.shortlistingDate,
      panel: b.panel === undefined ? [] : ([] as unknown[]).concat(b.panel),
    };
  },
  z.strictObject({
    title: text(200),
    interviewDates: z.array(isoDate, { message: 'enter the interview date' }).min(1),
    closingDate: isoDate.optional(),
    shortlistingDate: isoDate.optional(),
    panel: z.array(objectId).max(20),
  }),
);
/**
 * The round page's "Title and dates" form. A blank closing or shortlisting date clears it; `interviewDatesShown` (a
 * hidden field) lists the interview dates the page showed, so that the save replaces those and no other.
 */
const roundDatesFormSchema = z.preprocess(
  (raw) => {
    const b = submitted(raw);
    const clearedIfBlank = (v: unknown) => (v === '' ? null : v);
    const dates = interviewDatesOf(b);
    return {
      title: b.title === '' ? undefined : b.title,
      interviewDates: dates.length ? dates : undefined,
      closingDate: clearedIfBlank(b.closingDate),
      shortlistingDate: clearedIfBlank(b.shortlistingDate),
      interviewDatesShown:
        typeof b.interviewDatesShown === 'string' ? b.interviewDatesShown.split(',').filter(Boolean) : undefined,
      // What the page showed (hidden fields): a detail sent as shown is left as it now stands (changeRound).
      ...(typeof b.titleShown === 'string'
        ? {
            detailsShown: {
              title: b.titleShown,
              closingDate: clearedIfBlank(b.closingDateShown ?? ''),
              shortlistingDate: clearedIfBlank(b.shortlistingDateShown ?? ''),
            },
          }
        : {}),
    };
  },
  z.strictObject({
    title: text(200),
    interviewDates: z.array(isoDate, { message: 'enter the interview date' }).min(1),
    closingDate: isoDate.nullable().optional(),
    shortlistingDate: isoDate.nullable().optional(),
    interviewDatesShown: z.array(isoDate).max(20).optional(),
    detailsShown: z
      .strictObject({
        title: z.string().max(200),
        closingDate: z.string().max(10).nullable(),
        shortlistingDate: z.string().max(10).nullable(),
      })
      .optional(),
  }),
);
/**
 * A count as typed in a cell: blank (spaces too) is not recorded; digits are the number they write; anything else
 * ("0x10", "1e1", "ten") stays text, which the schema refuses as no number (Number() read "0x10" as 16, " " as 0).
 */
const typedCount = (typed: unknown): unknown => {
  if (typed === undefined || (typeof typed === 'string' && typed.trim() === '')) return undefined;
  return typeof typed === 'string' && /^\d+$/.test(typed.trim()) ? Number(typed.trim()) : typed;
};
const figuresFormSchema = z.preprocess((raw) => {
  const b = (raw ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    recruitmentStages.map((s) => [s, Object.fromEntries(genderCategories.map((c) => [c, typedCount(b[`${s}_${c}`])]))]),
  );
}, figuresSchema);
/**
 * The counts the figures form showed, from its hidden `<stage>_<category>_shown` fields: a cell sent as shown is left
 * as it now stands (recordGenderFigures). None from a form without them (a script), or with a count no form shows.
 */
function figuresShownOnForm(raw: unknown) {
  const shown = Object.fromEntries(
    Object.entries(submitted(raw)).flatMap(([key, value]) =>
      key.endsWith('_shown') ? [[key.slice(0, -6), value]] : [],
    ),
  );
  if (!Object.keys(shown).length) return undefined;
  const parsed = figuresFormSchema.safeParse(shown);
  return parsed.success ? parsed.data : undefined;
}
const adviserFormSchema = z.strictObject({
  name: text(120),
  email: emailAddress(),
});

async function roundPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const overview = await roundOverview({ actor: req.user!, roundId: String(req.params.id) });
  res.status(status).render('rounds/show', {
    title: overview.round.title,
    ...overview,
    warningMessages: panelWarningMessages,
    statusLabel,
    stages: recruitmentStages,
    categories: genderCategories,
    interviewDateFields,
    sent: {},
    confirmClose: dialogText(
      messages.confirmClose({
        title: overview.round.title,
        panelSize: overview.members.length,
        notReady: overview.notReady.length,
      }),
    ),
    confirmPanelRemoval: (name: string) =>
      dialogText(messages.confirmPanelRemoval({ name, title: overview.round.title })),
    ...extra,
  });
}

const back = (req: Request) => `/rounds/${String(req.params.id)}`;

/**
 * Runs a round change from a web form: success flashes and goes back; a rule broken re-renders with errors, and the
 * form named `form` (if any) with exactly what was sent.
 */
/**
 * The round page's field for an error of one of its forms: an interview day's is the field it was typed in; the
 * panel's (a member the round refuses: "panel.6", "userId") is the "Board member" select it was chosen in.
 */
function fieldOnRoundPage(path: string, body: unknown, form: RoundForm | undefined): string | undefined {
  if (form === 'dates') return interviewDayFieldOf(path, body);
  if (form === 'panel' && /^(panel(\.\d+)?|userId)$/.test(path)) return 'userId';
  return undefined;
}

type RoundForm = 'dates' | 'adviser' | 'figures' | 'panel';

async function roundAction(req: Request, res: Response, action: () => Promise<string>, form?: RoundForm) {
  try {
    flash(req, 'success', await action());
  } catch (error) {
    if (error instanceof ConflictError) {
      flash(req, 'error', error.message);
      return res.redirect(303, back(req));
    }
    const { errors, list } = errorsOnFormFields(formErrorsFrom(error).list, (path) =>
      fieldOnRoundPage(path, req.body, form),
    );
    return roundPage(req, res, 422, { errors, errorList: list, sent: form ? { [form]: submitted(req.body) } : {} });
  }
  res.redirect(303, back(req));
}

export function registerRoundRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'post',
      path: '/boards/:id/rounds',
      tag: 'boards',
      idempotent: true,
      summary: 'Create a recruitment round (chair, clerk, admin)',
      access: [],
      body: createRoundSchema,
      success: { status: 201, description: 'The round', schema: roundOut },
      location: (id) => `/rounds/${id}`,
    },
    async ({ user, params, body, req }) => {
      const { panel, interviewDate, interviewDates, ...rest } = body;
      const round = await atSentDayFields(body, () =>
        createRound({
          actor: user,
          boardId: params.id!,
          input: { ...rest, interviewDates: mergeInterviewDates({ interviewDate, interviewDates })! },
          panel,
          submissionKey: clientSubmissionKey(req),
        }),
      );
      return presentRound(round);
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/boards/:id/rounds',
      tag: 'boards',
      summary: "A board's recruitment rounds",
      access: [],
      success: {
        status: 200,
        description: 'Rounds',
        schema: z.object({ items: z.array(roundOut), nextCursor: z.string().nullable() }),
      },
      query: z.strictObject(paging),
    },
    async ({ user, params, query }) => {
      const board = await findBoardFor({ actor: user, boardId: params.id! });
      const page = pageInListOrder(await roundsOfBoard(board._id), query, (round) => round._id);
      return { items: page.rows.map(presentRound), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/rounds/:id',
      tag: 'boards',
      summary: 'A recruitment round',
      access: [],
      success: { status: 200, description: 'The round', schema: roundOut },
    },
    async ({ user, params }) => presentRound((await findRoundFor({ actor: user, roundId: params.id! })).round),
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/rounds/:id',
      tag: 'boards',
      summary: 'Change title, dates or panel (readiness recomputes at once)',
      access: [],
      body: updateRoundSchema,
      success: { status: 200, description: 'The round', schema: roundOut },
      errors: [409],
    },
    async ({ user, params, body: { version, ...change } }) =>
      presentRound(
        await atSentDayFields(change, () =>
          changeRound({ actor: user, roundId: params.id!, change, expectedVersion: version }),
        ),
      ),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/rounds/:id/readiness',
      tag: 'boards',
      summary: "The panel's readiness for its interview days (trained by the first, valid through the last)",
      access: [],
      success: { status: 200, description: 'Readiness', schema: readinessOut },
    },
    async ({ user, params }) => readinessJson(user, params.id!),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/rounds/:id/enrol-panel',
      tag: 'boards',
      summary:
        'Enrol every panel member who lacks training in the panels’ unconscious-bias training (the marked programme)',
      access: [],
      success: {
        status: 200,
        description: 'Who was enrolled',
        schema: z.object({
          enrolled: z.array(z.string()),
          waitlisted: z.array(z.string()),
          passedOver: z
            .array(z.string())
            .describe('Untrained members whose account is disabled or erased: not enrolled'),
          cohortId: z.string().nullable(),
        }),
      },
      errors: [409],
    },
    async ({ user, params }) => enrolPanelLackingTraining({ actor: user, roundId: params.id! }),
  );
  apiOperation(
    api,
    {
      method: 'put',
      path: '/rounds/:id/figures',
      tag: 'boards',
      summary: 'Record applicants, shortlisted and appointed by gender (counts only)',
      access: [],
      body: figuresSchema.extend({
        /** The round's `version` the client read: when given, figures saved by someone else since are a 409. */
        version: z.number().int().min(0).nullable().optional(),
      }),
      success: { status: 200, description: 'The figures', schema: figuresSchema },
      errors: [409],
    },
    async ({ user, params, body: { version, ...figures } }) =>
      (await recordGenderFigures({ actor: user, roundId: params.id!, figures, expectedVersion: version }))
        .genderFigures ?? {},
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/rounds/:id/close',
      tag: 'boards',
      summary: 'Close the round and keep its readiness record',
      access: [],
      success: { status: 200, description: 'The round', schema: roundOut },
      errors: [409],
    },
    async ({ user, params }) => presentRound(await closeRound({ actor: user, roundId: params.id! })),
  );

  web.post('/boards/:id/rounds', requireSignIn, async (req, res) => {
    const form = parseForm(roundFormSchema, req.body);
    const rerender = (list: FieldError[]) => {
      // The board page asks for each interview day in a field of its own ("interviewDate", "secondInterviewDate"),
      // not one "interviewDates" group: an error about the days is moved to the field it is about, so the error
      // summary's link reaches a field and the field is described by its message. The panel is one group of
      // checkboxes: a message about one of them ("panel.2") is the group's.
      const { errors, list: onFields } = errorsOnFormFields(
        list,
        (path) =>
          interviewDayFieldOf(path, req.body) ??
          (path === 'interviewDates' ? 'interviewDate' : /^panel\.\d+$/.test(path) ? 'panel' : undefined),
      );
      return boardPage(req, res, 422, {
        roundErrors: errors,
        roundValues: blanksRemoved(req.body),
        errorList: onFields,
      });
    };
    if (!form.ok) return rerender(form.list);
    try {
      const { panel, ...input } = form.data;
      const round = await createRound({
        actor: req.user!,
        boardId: String(req.params.id),
        input,
        panel,
        submissionKey: clientSubmissionKey(req),
      });
      flash(req, 'success', messages.created);
      res.redirect(303, `/rounds/${String(round._id)}`);
    } catch (error) {
      return rerender(formErrorsFrom(error).list);
    }
  });
  web.get('/rounds/:id', requireSignIn, (req, res) => roundPage(req, res));
  web.post('/rounds/:id', requireSignIn, (req, res) =>
    roundAction(
      req,
      res,
      async () => {
        const form = parseForm(roundDatesFormSchema, req.body);
        if (!form.ok) throw new ValidationError('Check the dates.', form.list);
        await changeRound({ actor: req.user!, roundId: String(req.params.id), change: form.data });
        return messages.updated;
      },
      'dates',
    ),
  );
  web.post('/rounds/:id/panel', requireSignIn, (req, res) =>
    roundAction(
      req,
      res,
      async () => {
        const userId = String((req.body as Record<string, unknown>)?.userId ?? '');
        await addToPanel({ actor: req.user!, roundId: String(req.params.id), userId });
        return messages.panelChanged;
      },
      'panel',
    ),
  );
  web.post('/rounds/:id/panel/adviser', requireSignIn, (req, res) =>
    roundAction(
      req,
      res,
      async () => {
        const form = parseForm(adviserFormSchema, blanksRemoved(req.body));
        if (!form.ok) throw new ValidationError('Check the adviser’s details.', form.list);
        const person = await addAdviserToPanel({ actor: req.user!, roundId: String(req.params.id), ...form.data });
        return (
          (person.invited ? messages.invited(person.name) : messages.panelChanged) +
          messages.adviserTraining(person.name, person.training.status)
        );
      },
      'adviser',
    ),
  );
  web.post('/rounds/:id/panel/:userId/remove', requireSignIn, confirmPanelRemoval, (req, res) =>
    roundAction(req, res, async () => {
      await removeFromPanel({ actor: req.user!, roundId: String(req.params.id), userId: String(req.params.userId) });
      return messages.panelChanged;
    }),
  );
  web.post('/rounds/:id/enrol-panel', requireSignIn, (req, res) =>
    roundAction(req, res, async () => {
      const result = await enrolPanelLackingTraining({ actor: req.user!, roundId: String(req.params.id) });
      return messages.enrolled(result.enrolled.length, result.waitlisted.length, result.passedOver.length);
    }),
  );
  web.post('/rounds/:id/figures', requireSignIn, (req, res) =>
    roundAction(
      req,
      res,
      async () => {
        const form = parseForm(figuresFormSchema, req.body);
        if (!form.ok) throw new ValidationError('Counts are whole numbers from 0.', form.list);
        await recordGenderFigures({
          actor: req.user!,
          roundId: String(req.params.id),
          figures: form.data,
          shown: figuresShownOnForm(req.body),
        });
        return messages.figures;
      },
      'figures',
    ),
  );
  web.post('/rounds/:id/close', requireSignIn, confirmClose, (req, res) =>
    roundAction(req, res, async () => {
      await closeRound({ actor: req.user!, roundId: String(req.params.id) });
      return messages.closed;
    }),
  );
  web.get('/rounds/:id/record.:format', requireSignIn, async (req, res) => {
    const { round, board } = await findRoundFor({ actor: req.user!, roundId: String(req.params.id) });
    if (!round.readinessRecord || !['csv', 'pdf'].includes(String(req.params.format)))
      throw new NotFoundError(messages.noRecord);
    res.setHeader(
      'Content-Disposition',
      downloadDisposition(`readiness-record-${String(round._id)}`, String(req.params.format)),
    );
    if (req.params.format === 'csv')
      // A byte-order mark, as every download's, so a spreadsheet reads names such as Siân as UTF-8.
      return res
        .type('text/csv; charset=utf-8')
        .send(`\uFEFF${readinessRecordCsv({ round, board, zone: req.user!.timezone })}`);
    res.type('application/pdf').send(await readinessRecordPdf({ round, board, zone: req.user!.timezone }));
  });
}
