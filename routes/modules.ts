import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { ConflictError, ValidationError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { confirmFirst, type Confirmation } from '../server/http/confirmFirst.ts';
import { flash } from '../server/http/flash.ts';
import { fieldErrorsFrom } from '../server/http/validate.ts';
import { withoutNonText } from '../server/visibleText.ts';
import { savedMeanwhileMessage, versionForForm, versionFromForm } from '../server/versions.ts';
import { completionTypes } from '../models/Module.ts';
import {
  canOpenModule,
  completeModule,
  moduleForReader,
  setReflectionSharing,
} from '../server/services/learning/completion.ts';
import { renderMarkdown } from '../server/services/learning/markdown.ts';
import {
  assertCanAuthor,
  loadModule,
  loadProgramme,
  modulesOf,
  presentModule,
  ruleOf,
  setModuleArchived,
  updateModule,
  withRetiredPrerequisitesKept,
  type ModuleInput,
} from '../server/services/learning/programmes.ts';
import {
  completionBodySchema,
  moduleFormErrors,
  formatQuestionsText,
  formatResourcesText,
  moduleChangesSchema,
  moduleInputFromForm,
  moduleInputSchema,
} from './learningForms.ts';

const messages = {
  done: 'Module completed. Well done.',
  passed: (score: number) => `Quiz passed with ${score}%. Well done.`,
  certificate: 'You have completed the programme: your certificate is ready.',
  alreadyDone: 'You had already completed this module.',
  shared: 'Your reflection is now shared with your cohort’s facilitators.',
  unshared: 'Your reflection is now private to you.',
  saved: 'The module was saved. Completions recorded so far are kept.',
  archived: 'The module was archived: it no longer counts towards progress, and completions are kept.',
  restored: 'The module was restored, after the programme’s last module.',
  savedMeanwhile: savedMeanwhileMessage('module'),
  nonTextLeftOut: (count: number) =>
    `The text held ${count === 1 ? 'a character' : `${count} characters`} that cannot be saved and that nobody sees (such as a text-direction override or a control character): ${count === 1 ? 'it is' : 'they are'} left out below. Check the text and save it.`,
};

/** Asked before archiving, on the confirmation page and in the programme page's dialog (server/http/confirmFirst.ts). */
export const archiveConfirmation = (module: string, programme: string): Omit<Confirmation, 'back'> => ({
  question: `Archive the module “${module}” of “${programme}”?`,
  consequences: [
    'It no longer counts towards anyone’s progress, and participants no longer see it. Completions are kept, and you can restore it later.',
    'Anyone for whom it was the last module left completes the programme now and gets her certificate.',
  ],
  yes: 'Yes, archive the module',
});

/** Before a module is archived: which one, of which programme; nothing to ask if it already is. */
const confirmArchive = confirmFirst(async (req) => {
  const module = await loadModule(String(req.params.id));
  await assertCanAuthor(req.user!, module.programmeId);
  if (module.archived) return null;
  const programme = await loadProgramme(module.programmeId);
  return { ...archiveConfirmation(module.title, programme.title), back: `/programmes/${String(programme._id)}` };
});

const moduleOutSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    body: z.string(),
    html: z.string(),
    locked: z.boolean(),
    missingPrerequisites: z.array(z.string()),
  })
  .loose();

/** The answers of the web quiz form: one field per question (radio: a value; checkboxes: several). */
function answersFromForm(body: Record<string, unknown>, questionCount: number): number[][] {
  return Array.from({ length: questionCount }, (_, i) => {
    const v = body[`answer-${i}`];
    const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
    return list.map(Number).filter((n) => Number.isInteger(n));
  });
}

async function renderModule(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
  const view = await moduleForReader({ actor: req.user!, moduleId: String(req.params.id) });
  res.status(status).render('modules/show', {
    title: view.module.title,
    ...view,
    html: view.api.html,
    // Always the version read now: the form that comes back after a 409 answers the quiz as it is now.
    quizVersion: versionForForm(view.module.version),
    values: {},
    quizResult: null,
    ...extra,
  });
}

async function renderEditForm(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
  const module = await loadModule(String(req.params.id));
  await assertCanAuthor(req.user!, module.programmeId);
  const programme = await loadProgramme(module.programmeId);
  const siblings = (await modulesOf(programme._id)).filter((m) => String(m._id) !== String(module._id));
  const rule = ruleOf(module);
  // A body stored before the rule of written text (untrimmedText) may hold a character it refuses, unseen in the
  // field, that would refuse every save: it is left out of the form as it opens, and she is told.
  const body = withoutNonText(module.body);
  const values = {
    title: module.title,
    body,
    estimatedMinutes: String(module.estimatedMinutes),
    completionType: rule.type,
    passMark: String(rule.passMark ?? 80),
    minWords: String(rule.minWords ?? 0),
    questions: formatQuestionsText(rule.questions ?? []),
    resources: formatResourcesText(module.resources),
    prerequisites: module.prerequisites.map(String),
  };
  res.status(status).render('modules/form', {
    title: `Edit ${module.title}`,
    programme,
    module,
    siblings,
    action: `/modules/${module._id}`,
    values,
    version: versionForForm(module.version),
    preview: null,
    nonTextLeftOut:
      body !== module.body && !extra.values ? messages.nonTextLeftOut(module.body.length - body.length) : null,
    ...extra,
  });
}

/** API edits are partial: what is not sent stays as it is. */
async function applyChanges(user: Express.User, moduleId: string, changes: z.output<typeof moduleChangesSchema>) {
  const module = await loadModule(moduleId);
  const { archived, ...fields } = changes;
  if (Object.keys(fields).length) {
    const rule = ruleOf(module);
    const current: ModuleInput = {
      title: module.title,
      body: module.body,
      estimatedMinutes: module.estimatedMinutes,
      prerequisites: module.prerequisites.map(String),
      resources: module.resources.map((r) => ({ title: r.title ?? '', url: r.url ?? '' })),
      completion:
        rule.type === 'quiz'
          ? {
              type: 'quiz',
              passMark: rule.passMark ?? 0,
              questions: (rule.questions ?? []).map((q) => ({
                prompt: q.prompt,
                choices: [...q.choices],
                correct: [...q.correct],
              })),
            }
          : rule.type === 'reflection'
            ? { type: 'reflection', minWords: rule.minWords ?? 0 }
            : { type: rule.type },
    };
    // Written only over the version read here: an edit made meanwhile is a 409, never silently undone.
    await updateModule({
      actor: user,
      moduleId,
      input: { ...current, ...fields },
      expectedVersion: module.version ?? null,
    });
  }
  if (archived !== undefined) await setModuleArchived({ actor: user, moduleId, archived });
  else await assertCanAuthor(user, module.programmeId);
  return presentModule(await loadModule(moduleId), { includeAnswers: true });
}

export function registerModuleRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'get',
      path: '/modules/:id',
      tag: 'learning',
      summary: 'A module: markdown body and sanitised html; quiz answers only for authors and learners who passed',
      access: [],
      success: { status: 200, description: 'The module', schema: moduleOutSchema },
    },
    async ({ user, params }) => (await moduleForReader({ actor: user, moduleId: params.id! })).api,
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/modules/:id',
      tag: 'learning',
      summary: 'Edit or archive a module (its authors); completions are never erased',
      access: ['admin', 'facilitator'],
      body: moduleChangesSchema,
      success: { status: 200, description: 'The module', schema: moduleOutSchema.partial().loose() },
      errors: [409],
    },
    async ({ user, params, body }) => applyChanges(user, params.id!, body),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/modules/:id/completion',
      tag: 'learning',
      summary: 'Complete a module yourself: {} (view), { reflection } or { answers, version? } (quiz)',
      access: [],
      body: completionBodySchema,
      success: {
        status: 200,
        description: 'Completed (a quiz adds its score)',
        schema: z.object({ completed: z.literal(true), score: z.number().optional() }).loose(),
      },
      errors: [409],
    },
    async ({ user, params, body }) => {
      const { version, ...input } = body;
      return completeModule({ actor: user, moduleId: params.id!, input, expectedVersion: version, now: new Date() });
    },
  );

  web.get('/modules/:id', requireSignIn, async (req, res) => renderModule(req, res));
  web.post('/modules/:id/completion', requireSignIn, async (req, res) => {
    const view = await moduleForReader({ actor: req.user!, moduleId: String(req.params.id) });
    // The form says which completion it was made for; one without the field (a script) takes the module's own.
    const formType = completionTypes.find((t) => t === req.body.completionType);
    const type = formType ?? ruleOf(view.module).type;
    const input =
      type === 'reflection'
        ? {
            // Never cut here: one too long is refused at its field by completeModule, with her text shown back.
            reflection: String(req.body.reflection ?? ''),
            shareWithFacilitators: req.body.shareWithFacilitators === 'yes',
          }
        : type === 'quiz'
          ? { answers: answersFromForm(req.body, ruleOf(view.module).questions?.length ?? 0) }
          : {};
    try {
      const result = await completeModule({
        actor: req.user!,
        moduleId: String(view.module._id),
        input,
        expectedType: formType,
        expectedVersion: type === 'quiz' ? versionFromForm(req.body.version) : undefined,
        now: new Date(),
      });
      flash(
        req,
        'success',
        result.alreadyCompleted
          ? messages.alreadyDone
          : result.score !== undefined
            ? messages.passed(result.score)
            : messages.done,
      );
      if (result.certificate) flash(req, 'success', messages.certificate);
      res.redirect(303, result.certificate ? '/certificates' : `/modules/${view.module._id}`);
    } catch (error) {
      // Changed by an author while she wrote: the page comes back as the module is now, with what she sent kept.
      // A quiz changed meanwhile comes back with its questions as they are now and no answers chosen: hers were
      // given to other questions.
      if (error instanceof ConflictError) {
        const values = error.extensions.reason === 'quiz-changed' ? {} : req.body;
        return renderModule(req, res, { values, errors: {}, errorList: [], problem: error.message }, 409);
      }
      if (!(error instanceof ValidationError)) throw error;
      const list = error.errors.length ? error.errors : [];
      const quizResult =
        typeof error.extensions.score === 'number'
          ? { score: error.extensions.score, passMark: error.extensions.passMark }
          : null;
      return renderModule(
        req,
        res,
        {
          values: req.body,
          errors: Object.fromEntries(list.map((e) => [e.path, e.message])),
          errorList: list,
          problem: error.message,
          quizResult,
          refused: true,
        },
        422,
      );
    }
  });
  web.post('/modules/:id/sharing', requireSignIn, async (req, res) => {
    const shared = req.body.shared === 'yes';
    const moduleId = String(req.params.id);
    await setReflectionSharing({ actor: req.user!, moduleId, shared });
    flash(req, 'success', shared ? messages.shared : messages.unshared);
    // A reflection made private after she left the cohort (or the module was retired): its page is closed to her
    // now, so she lands on her data page rather than on "Not found" under the success message.
    const open = await canOpenModule({ actor: req.user!, moduleId });
    res.redirect(303, open ? `/modules/${moduleId}` : '/account/data');
  });
  web.get('/modules/:id/edit', requireRole('admin', 'facilitator'), async (req, res) => renderEditForm(req, res));
  web.post('/modules/:id', requireRole('admin', 'facilitator'), async (req, res) => {
    const { input, errors: shapeErrors } = moduleInputFromForm(req.body);
    const parsed = moduleInputSchema.safeParse(input);
    const list = [
      ...Object.entries(shapeErrors).map(([path, message]) => ({ path, message })),
      ...(parsed.success ? [] : fieldErrorsFrom(parsed.error)),
    ];
    const refused = moduleFormErrors(list);
    // The preview sits under the form's "Preview" heading (h2).
    const preview = req.body.action === 'preview' ? renderMarkdown(String(req.body.body ?? ''), { topLevel: 3 }) : null;
    // Sent back, the form keeps the version she opened, so a save by someone else meanwhile is still noticed.
    const keep = {
      values: { ...req.body, prerequisites: [].concat(req.body.prerequisites ?? []) },
      version: req.body.version,
    };
    if (list.length || preview !== null || !parsed.success) {
      return renderEditForm(
        req,
        res,
        { ...keep, preview, errors: refused.errors, errorList: refused.list },
        list.length ? 422 : 200,
      );
    }
    try {
      const prerequisites = await withRetiredPrerequisitesKept(String(req.params.id), parsed.data.prerequisites ?? []);
      const module = await updateModule({
        actor: req.user!,
        moduleId: String(req.params.id),
        input: { ...parsed.data, prerequisites },
        expectedVersion: versionFromForm(req.body.version),
      });
      flash(req, 'success', messages.saved);
      res.redirect(303, `/programmes/${module.programmeId}`);
    } catch (error) {
      // Saved by someone else since she opened it: her changes come back unsaved, with the version now stored, so
      // that sending them again (knowing) replaces the other changes.
      if (error instanceof ConflictError) {
        const errorList = [{ path: '(module)', message: messages.savedMeanwhile }];
        return renderEditForm(req, res, { values: keep.values, errors: {}, errorList }, 409);
      }
      if (!(error instanceof ValidationError)) throw error;
      const fixed = moduleFormErrors(error.errors);
      return renderEditForm(req, res, { ...keep, errors: fixed.errors, errorList: fixed.list }, 422);
    }
  });
  web.post('/modules/:id/archive', requireRole('admin', 'facilitator'), confirmArchive, async (req, res) => {
    const module = await setModuleArchived({ actor: req.user!, moduleId: String(req.params.id), archived: true });
    flash(req, 'success', messages.archived);
    res.redirect(303, `/programmes/${module.programmeId}`);
  });
  web.post('/modules/:id/restore', requireRole('admin', 'facilitator'), async (req, res) => {
    const module = await setModuleArchived({ actor: req.user!, moduleId: String(req.params.id), archived: false });
    flash(req, 'success', messages.restored);
    res.redirect(303, `/programmes/${module.programmeId}`);
  });
}
