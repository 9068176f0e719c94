import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireSignIn } from '../server/auth.ts';
import { ConflictError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { errorsOnFormFields, formErrorsFrom } from '../server/http/forms.ts';
import { flash } from '../server/http/flash.ts';
import { isoDate, objectId } from '../server/http/validate.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';
import {
  loadRunCohort,
  loadVisibleCohort,
  moduleDueDatesOf,
  presentCohort,
  presentModuleDueDates,
  setModuleDueDates,
  type ModuleDueDate,
} from '../server/services/cohorts/index.ts';
import type { FieldError } from '../server/errors.ts';

/** Module due dates of a cohort (pacing): the API's list and replace, and the web form of those who run it. */

const messages = { saved: 'Due dates saved. Participants see them on the cohort page, and are reminded before each.' };

const dueDatesView = z.object({
  items: z.array(z.object({ moduleId: z.string(), title: z.string(), dueOn: z.string(), dueBy: z.string() })),
});
const dueDatesBody = z.strictObject({
  items: z.array(z.strictObject({ moduleId: objectId, dueOn: isoDate.nullable() })).max(200),
  /** The cohort's version as read (GET /cohorts/:id/module-due-dates gives it): a save meanwhile is a 409. */
  version: z.number().int().min(0).nullable().optional(),
});

/** The form's field of a module's due date. */
const fieldOf = (moduleId: string) => `dueOn-${moduleId}`;

function renderForm(
  res: Response,
  locals: {
    cohort: ReturnType<typeof presentCohort>;
    modules: ModuleDueDate[];
    values: Record<string, unknown>;
    version: unknown;
    errors?: Record<string, string>;
    errorList?: FieldError[];
    status?: number;
  },
) {
  res.status(locals.status ?? 200).render('cohorts/due-dates', {
    title: `Module due dates: ${locals.cohort.name}`,
    fieldOf,
    ...locals,
    errors: locals.errors ?? {},
    errorList: locals.errorList ?? [],
  });
}

const valuesOf = (modules: ModuleDueDate[]) =>
  Object.fromEntries(modules.map((m) => [fieldOf(m.moduleId), m.dueOn ?? '']));

export function registerModuleDueDateRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'get',
      path: '/cohorts/:id/module-due-dates',
      tag: 'cohorts',
      summary: 'The due dates of its modules (calendar dates in the cohort’s zone; dueBy is their last minute)',
      access: [],
      success: {
        status: 200,
        description: 'Modules with a due date, in the programme’s order, and the cohort’s version',
        schema: dueDatesView.extend({ version: z.number().nullable() }),
      },
    },
    async ({ user, params }) => {
      const { cohort } = await loadVisibleCohort({ actor: user, cohortId: params.id! });
      return { ...presentModuleDueDates(await moduleDueDatesOf(cohort)), version: cohort.version ?? null };
    },
  );
  apiOperation(
    api,
    {
      method: 'put',
      path: '/cohorts/:id/module-due-dates',
      tag: 'cohorts',
      summary:
        'Replace the due dates of its current modules (a module not sent, or sent with dueOn null, has none; a retired module’s is kept)',
      access: ['facilitator'],
      body: dueDatesBody,
      success: { status: 200, description: 'The due dates now', schema: dueDatesView },
      errors: [409],
    },
    async ({ user, params, body }) =>
      presentModuleDueDates(
        await setModuleDueDates({
          actor: user,
          cohortId: params.id!,
          dueDates: body.items,
          expectedVersion: body.version,
        }),
      ),
  );

  web.get('/cohorts/:id/due-dates', requireSignIn, async (req, res) => {
    const cohort = await loadRunCohort({ actor: req.user!, cohortId: String(req.params.id) });
    const modules = await moduleDueDatesOf(cohort);
    renderForm(res, {
      cohort: presentCohort(cohort),
      modules,
      values: valuesOf(modules),
      version: versionForForm(cohort.version),
    });
  });
  web.post('/cohorts/:id/due-dates', requireSignIn, async (req: Request, res: Response) => {
    const cohort = await loadRunCohort({ actor: req.user!, cohortId: String(req.params.id) });
    const modules = await moduleDueDatesOf(cohort);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const version = body.version;
    const typed: FieldError[] = [];
    const dueDates = modules.map(({ moduleId }) => {
      const raw = typeof body[fieldOf(moduleId)] === 'string' ? String(body[fieldOf(moduleId)]).trim() : '';
      const parsed = raw ? isoDate.safeParse(raw) : undefined;
      if (parsed && !parsed.success)
        typed.push({ path: fieldOf(moduleId), message: parsed.error.issues[0]?.message ?? 'must be a date' });
      return { moduleId, dueOn: raw || null };
    });
    const again = (locals: { errors: Record<string, string>; errorList: FieldError[]; status: number }) =>
      renderForm(res, { cohort: presentCohort(cohort), modules, values: body, version, ...locals });
    if (typed.length)
      return again({
        errors: Object.fromEntries(typed.map((e) => [e.path, e.message])),
        errorList: typed,
        status: 422,
      });
    try {
      await setModuleDueDates({
        actor: req.user!,
        cohortId: String(cohort._id),
        dueDates,
        expectedVersion: versionFromForm(version),
      });
    } catch (error) {
      // Saved by someone else since she opened it: her dates come back unsaved, with the version now stored.
      if (error instanceof ConflictError && !error.errors.length) {
        const latest = await loadRunCohort({ actor: req.user!, cohortId: String(cohort._id) });
        return renderForm(res, {
          cohort: presentCohort(latest),
          modules: await moduleDueDatesOf(latest),
          values: body,
          version: versionForForm(latest.version),
          errorList: [{ path: '(cohort)', message: error.message }],
          status: 409,
        });
      }
      // The service names items by position: each is shown at its module's field.
      const refused = formErrorsFrom(error);
      const moved = errorsOnFormFields(refused.list, (path) => {
        const index = /^items\.(\d+)\./.exec(path)?.[1];
        return index === undefined ? undefined : fieldOf(dueDates[Number(index)]!.moduleId);
      });
      return again({ errors: moved.errors, errorList: moved.list, status: refused.status });
    }
    flash(req, 'success', messages.saved);
    res.redirect(303, `/cohorts/${String(cohort._id)}`);
  });
}
