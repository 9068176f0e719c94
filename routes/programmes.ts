import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { certificateValidityOf, programmeStatuses, tracks } from '../models/Programme.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { ConflictError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { dialogText } from '../server/http/confirmFirst.ts';
import { flash } from '../server/http/flash.ts';
import { formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { fieldErrorsFrom, paging, text } from '../server/http/validate.ts';
import { pageInMemory } from '../server/pagination.ts';
import { canAuthorModules, canEditProgrammeSettings } from '../server/policies/learning.ts';
import { trackNames } from '../server/services/learning/certificates.ts';
import { currentEnrolment } from '../server/services/learning/learners.ts';
import { learnerOverview } from '../server/services/learning/overview.ts';
import {
  assertCanAuthor,
  createModule,
  createProgramme,
  listProgrammes,
  modulesOf,
  moveModule,
  presentModule,
  presentProgramme,
  programmeStatusHelp,
  reorderModules,
  updateProgramme,
  visibleProgramme,
} from '../server/services/learning/programmes.ts';
import { renderMarkdown } from '../server/services/learning/markdown.ts';
import { panelTrainingMessages } from '../server/services/learning/panelTraining.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';
import { moduleFormErrors, moduleInputFromForm, moduleInputSchema } from './learningForms.ts';
import { archiveConfirmation } from './modules.ts';

const messages = {
  created: (title: string) => `The programme “${title}” was created. Add its modules next.`,
  saved: 'The programme settings were saved.',
  moduleAdded: (title: string) => `The module “${title}” was added.`,
};

const programmeInputSchema = z.strictObject({
  title: text(200),
  track: z.enum(tracks),
  summary: text(2000),
  status: z.enum(programmeStatuses).optional(),
  certificateValidityMonths: z.number().int().min(1).max(120).nullable().optional(),
  /** The interview panels' unconscious-bias training (governing-board programmes only; default false). */
  panelTraining: z.boolean().optional(),
});
const programmeChangesSchema = programmeInputSchema
  .omit({ track: true })
  .partial()
  .extend({
    /** The `version` the client read: when given, a save by someone else since is a 409 (server/versions.ts). */
    version: z.number().int().min(0).nullable().optional(),
  });
const programmeSchema = z.object({
  id: z.string(),
  title: z.string(),
  track: z.enum(tracks),
  summary: z.string(),
  status: z.enum(programmeStatuses),
  certificateValidityMonths: z.number().nullable(),
  panelTraining: z.boolean(),
  version: z.number().nullable(),
});
const moduleOutSchema = z
  .object({
    id: z.string(),
    programmeId: z.string(),
    title: z.string(),
    body: z.string(),
    html: z.string(),
    estimatedMinutes: z.number(),
    prerequisites: z.array(z.string()),
    position: z.number(),
    archived: z.boolean(),
    completion: z.object({ type: z.string() }).loose(),
  })
  .loose();

/** Web form → the API's programme object (numbers and "no expiry" arrive as text). */
const programmeFormSchema = z.preprocess((raw) => {
  const b = (raw ?? {}) as Record<string, unknown>;
  const months = String(b.certificateValidityMonths ?? '').trim();
  return {
    title: b.title,
    ...(b.track !== undefined ? { track: b.track } : {}),
    summary: b.summary,
    status: b.status,
    certificateValidityMonths: months === '' ? null : Number(months),
    // A checkbox: sent only when ticked.
    panelTraining: b.panelTraining !== undefined && b.panelTraining !== '',
  };
}, programmeInputSchema);

async function programmePage(actor: Express.User, programmeId: string) {
  const programme = await visibleProgramme({ actor, programmeId });
  const canAuthor = await canAuthorModules(actor, programme._id);
  const modules = await modulesOf(programme._id, { includeArchived: canAuthor });
  const enrolment = await currentEnrolment({ userId: actor.id, programmeId: programme._id });
  const mine = enrolment
    ? ((await learnerOverview({ userId: actor.id })).find((o) => o.cohortId === String(enrolment.cohortId)) ?? null)
    : null;
  return { programme, modules, canAuthor, canEditSettings: canEditProgrammeSettings(actor), mine };
}

/** What the programme form offers and explains, the same for a new programme and a programme's settings. */
const formChoices = {
  tracks,
  trackNames,
  statuses: programmeStatuses,
  statusHelp: programmeStatusHelp,
  panelTrainingHint: panelTrainingMessages.hint,
};

/** The new programme form (admins). */
function renderNewForm(
  res: Response,
  locals: { values: Record<string, unknown>; errors: Record<string, string>; errorList?: unknown[] },
  status = 200,
) {
  res.status(status).render('programmes/form', { title: 'New programme', programme: null, ...formChoices, ...locals });
}

/** A programme's settings form (admins). */
function renderSettingsForm(
  res: Response,
  programme: Awaited<ReturnType<typeof visibleProgramme>>,
  locals: {
    values: Record<string, unknown>;
    version?: unknown;
    errors?: Record<string, string>;
    errorList?: unknown[];
  },
  status = 200,
) {
  res
    .status(status)
    .render('programmes/form', { title: `Edit ${programme.title}`, programme, ...formChoices, ...locals });
}

async function renderModuleForm(
  req: Request,
  res: Response,
  programmeId: string,
  extra: Record<string, unknown> = {},
  status = 200,
) {
  const programme = await visibleProgramme({ actor: req.user!, programmeId });
  await assertCanAuthor(req.user!, programme._id);
  const siblings = await modulesOf(programme._id);
  res.status(status).render('modules/form', {
    title: `New module · ${programme.title}`,
    programme,
    module: null,
    siblings,
    action: `/programmes/${programme._id}/modules`,
    values: { completionType: 'view', estimatedMinutes: '20', passMark: '80', minWords: '0', prerequisites: [] },
    preview: null,
    ...extra,
  });
}

export function registerProgrammeRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'get',
      path: '/programmes',
      tag: 'learning',
      summary:
        'Programmes you can see (published ones; drafts for their authors and the people enrolled in their cohorts; `status` says which)',
      access: [],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'A page of programmes, in the order they were made; nextCursor gives the next page',
        schema: z.object({ items: z.array(programmeSchema), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, query }) => {
      const page = pageInMemory(await listProgrammes({ actor: user }), query, (programme) => programme._id);
      return { items: page.rows.map(presentProgramme), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/programmes',
      tag: 'learning',
      summary: 'Create a programme (admin)',
      access: ['admin'],
      body: programmeInputSchema,
      success: { status: 201, description: 'The programme', schema: programmeSchema },
      location: (id) => `/programmes/${id}`,
      idempotent: true,
    },
    async ({ user, body, req }) =>
      presentProgramme(await createProgramme({ actor: user, ...body, submissionKey: clientSubmissionKey(req) })),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/programmes/:id',
      tag: 'learning',
      summary: 'A programme with its ordered modules (archived ones only for its authors)',
      access: [],
      success: {
        status: 200,
        description: 'The programme',
        schema: programmeSchema.extend({ modules: z.array(moduleOutSchema) }),
      },
    },
    async ({ user, params }) => {
      const page = await programmePage(user, params.id!);
      return {
        ...presentProgramme(page.programme),
        modules: page.modules.map((m) => presentModule(m, { includeAnswers: page.canAuthor })),
      };
    },
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/programmes/:id',
      tag: 'learning',
      summary: 'Change a programme’s title, summary, status, certificate validity or panel-training mark (admin)',
      access: ['admin'],
      body: programmeChangesSchema,
      success: { status: 200, description: 'The programme', schema: programmeSchema },
      errors: [409],
    },
    async ({ user, body: { version, ...changes }, params }) =>
      presentProgramme(
        await updateProgramme({ actor: user, programmeId: params.id!, changes, expectedVersion: version }),
      ),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/programmes/:id/modules',
      tag: 'learning',
      summary: 'Add a module (admin, or a facilitator of a cohort of that programme)',
      access: ['admin', 'facilitator'],
      body: moduleInputSchema,
      success: { status: 201, description: 'The module', schema: moduleOutSchema },
      location: (id) => `/modules/${id}`,
      errors: [409],
      idempotent: true,
    },
    async ({ user, body, params, req }) =>
      presentModule(
        await createModule({
          actor: user,
          programmeId: params.id!,
          input: body,
          submissionKey: clientSubmissionKey(req),
        }),
        { includeAnswers: true },
      ),
  );
  apiOperation(
    api,
    {
      method: 'put',
      path: '/programmes/:id/module-order',
      tag: 'learning',
      summary: 'Reorder the current modules (every current module id, in the new order)',
      access: ['admin', 'facilitator'],
      body: z.strictObject({ moduleIds: z.array(z.string().max(40)).max(500) }),
      success: {
        status: 200,
        description: 'The modules in order',
        schema: z.object({ items: z.array(moduleOutSchema) }),
      },
      errors: [409],
    },
    async ({ user, body, params }) => ({
      items: (await reorderModules({ actor: user, programmeId: params.id!, moduleIds: body.moduleIds })).map((m) =>
        presentModule(m, { includeAnswers: true }),
      ),
    }),
  );

  web.get('/programmes', requireSignIn, async (req, res) => {
    res.render('programmes/index', {
      title: 'Programmes',
      programmes: await listProgrammes({ actor: req.user! }),
      trackNames,
      canCreate: canEditProgrammeSettings(req.user!),
    });
  });
  web.get('/programmes/new', requireRole('admin'), (_req, res) =>
    renderNewForm(res, { values: { status: 'draft' }, errors: {} }),
  );
  web.post('/programmes', requireRole('admin'), async (req, res) => {
    const form = parseForm(programmeFormSchema, req.body);
    if (!form.ok) return renderNewForm(res, { values: req.body, errors: form.errors, errorList: form.list }, 422);
    let programme;
    try {
      programme = await createProgramme({
        actor: req.user!,
        submissionKey: clientSubmissionKey(req),
        ...form.data,
        ...(form.data.certificateValidityMonths === null ? { certificateValidityMonths: undefined } : {}),
      });
    } catch (error) {
      const refused = formErrorsFrom(error);
      return renderNewForm(res, { values: req.body, errors: refused.errors, errorList: refused.list }, refused.status);
    }
    flash(req, 'success', messages.created(programme.title));
    res.redirect(303, `/programmes/${programme._id}`);
  });
  web.get('/programmes/:id', requireSignIn, async (req, res) => {
    const page = await programmePage(req.user!, String(req.params.id));
    res.render('programmes/show', {
      title: page.programme.title,
      ...page,
      validityMonths: certificateValidityOf(page.programme),
      statusHelp: programmeStatusHelp,
      // Shown under the programme's title (h1).
      summaryHtml: renderMarkdown(page.programme.summary, { topLevel: 2 }),
      trackNames,
      confirmArchive: (module: string) => dialogText(archiveConfirmation(module, page.programme.title)),
    });
  });
  web.get('/programmes/:id/edit', requireRole('admin'), async (req, res) => {
    const programme = await visibleProgramme({ actor: req.user!, programmeId: String(req.params.id) });
    renderSettingsForm(res, programme, {
      values: { ...programme, certificateValidityMonths: programme.certificateValidityMonths ?? '' },
      // The version she opens it at goes with the form: a save by someone else meanwhile is a 409, never undone.
      version: versionForForm(programme.version),
    });
  });
  web.post('/programmes/:id', requireRole('admin'), async (req, res) => {
    const programme = await visibleProgramme({ actor: req.user!, programmeId: String(req.params.id) });
    // Sent back, a refused form keeps the version she opened, so a save by someone else meanwhile is still noticed.
    const version = req.body.version;
    const form = parseForm(programmeFormSchema, { ...req.body, track: programme.track });
    if (!form.ok)
      return renderSettingsForm(
        res,
        programme,
        { values: req.body, version, errors: form.errors, errorList: form.list },
        422,
      );
    const { track: _track, ...changes } = form.data;
    void _track;
    try {
      await updateProgramme({
        actor: req.user!,
        programmeId: String(req.params.id),
        changes,
        expectedVersion: versionFromForm(version),
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) {
        const refused = formErrorsFrom(error);
        return renderSettingsForm(
          res,
          programme,
          { values: req.body, version, errors: refused.errors, errorList: refused.list },
          refused.status,
        );
      }
      // Saved by someone else since she opened it: her changes come back unsaved, with the version now stored, so
      // that sending them again (knowing) replaces the other changes.
      const latest = await visibleProgramme({ actor: req.user!, programmeId: String(req.params.id) });
      return renderSettingsForm(
        res,
        latest,
        {
          values: req.body,
          version: versionForForm(latest.version),
          errorList: [{ path: '(programme)', message: error.message }],
        },
        409,
      );
    }
    flash(req, 'success', messages.saved);
    res.redirect(303, `/programmes/${programme._id}`);
  });
  web.get('/programmes/:id/modules/new', requireRole('admin', 'facilitator'), async (req, res) =>
    renderModuleForm(req, res, String(req.params.id)),
  );
  web.post('/programmes/:id/modules', requireRole('admin', 'facilitator'), async (req, res) => {
    const { input, errors: shapeErrors } = moduleInputFromForm(req.body);
    const parsed = moduleInputSchema.safeParse(input);
    const list = [
      ...Object.entries(shapeErrors).map(([path, message]) => ({ path, message })),
      ...(parsed.success ? [] : fieldErrorsFrom(parsed.error)),
    ];
    const refused = moduleFormErrors(list);
    // The preview sits under the form's "Preview" heading (h2).
    const preview = req.body.action === 'preview' ? renderMarkdown(String(req.body.body ?? ''), { topLevel: 3 }) : null;
    if (list.length || preview !== null || !parsed.success) {
      return renderModuleForm(
        req,
        res,
        String(req.params.id),
        {
          values: req.body,
          preview,
          errors: refused.errors,
          errorList: refused.list,
        },
        list.length ? 422 : 200,
      );
    }
    try {
      const module = await createModule({
        actor: req.user!,
        programmeId: String(req.params.id),
        input: parsed.data,
        submissionKey: clientSubmissionKey(req),
      });
      flash(req, 'success', messages.moduleAdded(module.title));
      res.redirect(303, `/programmes/${module.programmeId}`);
    } catch (error) {
      const fixed = moduleFormErrors(formErrorsFrom(error).list);
      return renderModuleForm(
        req,
        res,
        String(req.params.id),
        { values: req.body, errors: fixed.errors, errorList: fixed.list },
        422,
      );
    }
  });
  web.post('/modules/:id/move', requireRole('admin', 'facilitator'), async (req, res) => {
    const direction = req.body.direction === 'up' ? 'up' : 'down';
    const modules = await moveModule({ actor: req.user!, moduleId: String(req.params.id), direction });
    res.redirect(303, `/programmes/${modules[0]?.programmeId ?? ''}#module-${String(req.params.id)}`);
  });
}
