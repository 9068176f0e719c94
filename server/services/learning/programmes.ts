import { Types } from 'mongoose';
import { CohortModel } from '../../../models/Cohort.ts';
import { EnrolmentModel } from '../../../models/Enrolment.ts';
import { ModuleModel, type Module } from '../../../models/Module.ts';
import {
  certificateValidityOf,
  ProgrammeModel,
  defaultValidityMonths,
  type Programme,
  type Track,
} from '../../../models/Programme.ts';
import { repeatedChoiceProblem } from '../../choices.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../../errors.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { clientKeyOrNew, createOnce } from '../../submissions.ts';
import { emitDomainEvent } from '../../events.ts';
import { isObjectId } from '../../ids.ts';
import {
  canAuthorModules,
  canCreateProgrammes,
  canEditProgrammeSettings,
  canSeeProgramme,
} from '../../policies/learning.ts';
import { isSafeResourceUrl, renderMarkdown, sanitizeMarkdown } from './markdown.ts';
import { outlineChanged } from './outline.ts';
import { panelTrainingProblem } from './panelTraining.ts';
import { readWithoutCursor } from '../../readWithoutCursor.ts';

const messages = {
  programmeNotFound: 'We could not find that programme.',
  moduleNotFound: 'We could not find that module.',
  notAuthor: 'Only admins and the facilitators of this programme’s cohorts can change its modules.',
  notAdmin: 'Only admins can create programmes or change their settings.',
  prerequisiteUnknown: 'must be modules of the same programme',
  prerequisiteSelf: 'a module cannot be its own prerequisite',
  prerequisiteCycle: 'would make modules wait for each other in a circle',
  prerequisiteTwice: 'lists a module twice',
  orderMismatch: 'must list every current module of the programme exactly once',
  resourceUrl: 'must be an http or https address',
  bodyEmpty: 'is empty once unsafe HTML is removed',
  changedMeanwhile: 'Someone changed this module at the same moment. Reload it and try again.',
  settingsSavedMeanwhile: savedMeanwhileMessage('programme'),
  orderChangedMeanwhile: 'Someone changed this programme’s modules at the same moment. Reload it and try again.',
  checkSettings: 'Some settings of the programme need correcting.',
  busy: 'Many modules of this programme were being changed at the same moment. Please try again.',
};

/** Tries of adding, restoring or reordering, each lost only to another write that went through, before a 409. */
const placeAttempts = 20;

/**
 * A pause of random length after a try lost its place, growing with the tries (at most 160 ms). Two reorders and an
 * addition at the same moment otherwise retry in step: each reorder's modules take the places at the end that the
 * addition reads, and on a busy machine the addition lost all its tries (a 409 for a module nobody refused).
 */
function pauseAfterLosing(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(5 * 2 ** attempt, 160);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What each status means, told to admins where they set it and on a programme that is not published. */
export const programmeStatusHelp = {
  draft:
    'This programme is a draft: only admins, the facilitators of its cohorts and the people enrolled in its cohorts can see it. Cohorts can be opened and people enrolled while it is a draft.',
  archived:
    'This programme is archived: only admins, the facilitators of its cohorts and the people enrolled in its cohorts can see it.',
  publishing: 'Publishing it lists it under Programmes for everyone signed in and lets them read its modules.',
} as const;

export type QuizQuestion = { prompt: string; choices: string[]; correct: number[] };
export type CompletionRule =
  | { type: 'view' }
  | { type: 'reflection'; minWords?: number }
  | { type: 'quiz'; passMark: number; questions: QuizQuestion[] };
export type ModuleInput = {
  title: string;
  body: string;
  estimatedMinutes: number;
  prerequisites?: string[];
  resources?: { title: string; url: string }[];
  completion: CompletionRule;
};

/**
 * Loads a programme by id; a malformed or unknown id is a 404, never a 500. With `fields`, only those (a page that
 * reads a few fields of a programme names them, and gets back what it named: `T`).
 */
export async function loadProgramme<T = Programme>(
  programmeId: string | Types.ObjectId,
  fields?: Record<string, 1>,
): Promise<T> {
  if (!isObjectId(String(programmeId))) throw new NotFoundError(messages.programmeNotFound);
  const programme = await readWithoutCursor(ProgrammeModel.findById(programmeId, fields).lean<T>());
  if (!programme) throw new NotFoundError(messages.programmeNotFound);
  return programme;
}

export async function loadModule(moduleId: string | Types.ObjectId): Promise<Module> {
  if (!isObjectId(String(moduleId))) throw new NotFoundError(messages.moduleNotFound);
  const module = await ModuleModel.findById(moduleId).lean<Module>();
  if (!module) throw new NotFoundError(messages.moduleNotFound);
  return module;
}

/** A programme the actor may see, or a 404 (drafts are not advertised to those who cannot author them). */
export async function visibleProgramme({
  actor,
  programmeId,
}: {
  actor: Express.User;
  programmeId: string;
}): Promise<Programme> {
  const programme = await loadProgramme(programmeId);
  if (!(await canSeeProgramme(actor, programme))) throw new NotFoundError(messages.programmeNotFound);
  return programme;
}

export async function assertCanAuthor(actor: Express.User, programmeId: Types.ObjectId | string): Promise<void> {
  if (!(await canAuthorModules(actor, programmeId))) throw new ForbiddenError(messages.notAuthor);
}

/** Programmes the actor may see: published ones, plus drafts and archived ones she can author or is enrolled in. */
export async function listProgrammes({ actor }: { actor: Express.User }): Promise<Programme[]> {
  let filter: Record<string, unknown> = {};
  if (!actor.roles.includes('admin')) {
    const me = new Types.ObjectId(actor.id);
    const places = await EnrolmentModel.find(
      { userId: me, status: { $in: ['active', 'waitlisted'] } },
      { cohortId: 1 },
    ).lean();
    const [enrolledIn, facilitated] = await Promise.all([
      places.length ? CohortModel.distinct('programmeId', { _id: { $in: places.map((e) => e.cohortId) } }) : [],
      actor.roles.includes('facilitator') ? CohortModel.distinct('programmeId', { facilitatorIds: me }) : [],
    ]);
    filter = { $or: [{ status: 'published' }, { _id: { $in: [...enrolledIn, ...facilitated] } }] };
  }
  const programmes = await ProgrammeModel.find(filter).lean<Programme[]>();
  const trackOrder: Track[] = ['governing-board', 'aspiring-leader', 'new-head'];
  return programmes.sort(
    (a, b) => trackOrder.indexOf(a.track) - trackOrder.indexOf(b.track) || a.title.localeCompare(b.title),
  );
}

export async function createProgramme(props: {
  /** Who is creating it (admins only). */
  actor: Express.User;
  title: string;
  track: Track;
  summary: string;
  status?: 'draft' | 'published' | 'archived';
  /** Months a certificate stays valid; omitted: the track's default (36 for governing boards, none otherwise). */
  certificateValidityMonths?: number | null;
  /** The interview panels' unconscious-bias training (learning/panelTraining.ts): governing-board programmes only. */
  panelTraining?: boolean;
  /** The form's `_submission` or the API's `Idempotency-Key`: the same key makes one programme (server/submissions.ts). */
  submissionKey?: string;
}): Promise<Programme> {
  if (!canCreateProgrammes(props.actor)) throw new ForbiddenError(messages.notAdmin);
  const problems = panelTrainingProblem(props.track, props.panelTraining);
  if (problems.length) throw new ValidationError(messages.checkSettings, problems);
  const key = clientKeyOrNew(['programme', props.actor.id], props.submissionKey);
  const inserted = await createOnce(ProgrammeModel, key, {
    title: props.title,
    track: props.track,
    summary: sanitizeMarkdown(props.summary),
    status: props.status ?? 'draft',
    certificateValidityMonths:
      props.certificateValidityMonths === undefined
        ? defaultValidityMonths[props.track]
        : props.certificateValidityMonths,
    panelTraining: props.panelTraining ?? false,
  });
  if (!inserted.doc) throw new NotFoundError(messages.programmeNotFound);
  if (inserted.created) await emitDomainEvent('programme.saved', { programmeId: inserted.doc._id });
  return inserted.doc as Programme;
}

export async function updateProgramme(props: {
  actor: Express.User;
  programmeId: string;
  changes: Partial<{
    title: string;
    summary: string;
    status: 'draft' | 'published' | 'archived';
    certificateValidityMonths: number | null;
    panelTraining: boolean;
  }>;
  /** The version her form was opened at, or an API client read: a save by someone else since is then a 409. */
  expectedVersion?: ExpectedVersion;
}): Promise<Programme> {
  if (!canEditProgrammeSettings(props.actor)) throw new ForbiddenError(messages.notAdmin);
  const programme = await loadProgramme(props.programmeId);
  if (movedOn(programme.version, props.expectedVersion)) throw new ConflictError(messages.settingsSavedMeanwhile);
  const problems = panelTrainingProblem(programme.track, props.changes.panelTraining);
  if (problems.length) throw new ValidationError(messages.checkSettings, problems);
  const changes =
    props.changes.summary === undefined
      ? props.changes
      : { ...props.changes, summary: sanitizeMarkdown(props.changes.summary) };
  const written = await ProgrammeModel.updateOne(
    { _id: programme._id, ...versionFilter(props.expectedVersion) },
    { $set: changes, $inc: { version: 1 } },
    { runValidators: true },
  );
  // Saved by someone else between the read above and this write (another process).
  if (written.matchedCount !== 1) throw new ConflictError(messages.settingsSavedMeanwhile);
  await emitDomainEvent('programme.saved', { programmeId: programme._id });
  return loadProgramme(programme._id);
}

/**
 * The programme's modules in order; archived ones only when asked (authors see them to restore them), after the
 * current ones. One query on the index `{programmeId, archived, position}`.
 */
/**
 * The prerequisites a module's web form sends, with those it could not show kept: the form offers the programme's
 * current modules only, so a prerequisite since retired was not in it, and saving the form (a title corrected) would
 * have dropped it for good; restored, the module it guarded would no longer wait for it.
 */
export async function withRetiredPrerequisitesKept(moduleId: string, sent: readonly string[]): Promise<string[]> {
  const stored = await loadModule(moduleId);
  if (!stored.prerequisites.length) return [...sent];
  const retired = await ModuleModel.find({ _id: { $in: stored.prerequisites }, archived: true }, { _id: 1 }).lean();
  return [...new Set([...sent, ...retired.map((m) => String(m._id))])];
}

export async function modulesOf(
  programmeId: Types.ObjectId | string,
  { includeArchived = false } = {},
): Promise<Module[]> {
  const filter: Record<string, unknown> = { programmeId: new Types.ObjectId(String(programmeId)) };
  if (!includeArchived) filter.archived = false;
  const own = await ModuleModel.find(filter).sort({ position: 1, _id: 1 }).lean<Module[]>();
  return includeArchived ? [...own.filter((m) => !m.archived), ...own.filter((m) => m.archived)] : own;
}

/** A list of a question's choices (its correct ones, or a learner's answer) may name each choice once. */
export const listsAChoiceTwice = (choices: number[]): boolean => new Set(choices).size !== choices.length;
export const choiceTwice = 'lists a choice twice';

function checkQuiz(rule: CompletionRule): FieldError[] {
  if (rule.type !== 'quiz') return [];
  const errors: FieldError[] = [];
  if (!rule.questions.length)
    errors.push({ path: 'completion.questions', message: 'a quiz needs at least one question' });
  rule.questions.forEach((q, i) => {
    if (q.choices.length < 2)
      errors.push({ path: `completion.questions.${i}.choices`, message: 'needs at least two choices' });
    const repeated = repeatedChoiceProblem(q.choices);
    if (repeated) errors.push({ path: `completion.questions.${i}.choices`, message: repeated });
    if (!q.correct.length)
      errors.push({ path: `completion.questions.${i}.correct`, message: 'needs at least one correct choice' });
    if (q.correct.some((c) => c < 0 || c >= q.choices.length))
      errors.push({
        path: `completion.questions.${i}.correct`,
        message: 'must be indexes of its choices (counting from 0)',
      });
    if (listsAChoiceTwice(q.correct)) errors.push({ path: `completion.questions.${i}.correct`, message: choiceTwice });
  });
  return errors;
}

/** Does any of `prerequisites` (transitively, through `known`: module id → its prerequisites) wait for `moduleId`? */
function waitsFor(known: Map<string, string[]>, moduleId: string, prerequisites: string[]): boolean {
  const seen = new Set<string>();
  const stack = [...prerequisites];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === moduleId) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(known.get(id) ?? []));
  }
  return false;
}

const prerequisiteGraph = async (programmeId: Types.ObjectId) =>
  new Map(
    (await ModuleModel.find({ programmeId }, { prerequisites: 1 }).lean()).map((m) => [
      String(m._id),
      m.prerequisites.map(String),
    ]),
  );

/** Prerequisites must be modules of the same programme, and must not make modules wait for each other. */
async function checkPrerequisites(
  programmeId: Types.ObjectId,
  moduleId: Types.ObjectId | undefined,
  prerequisites: string[],
): Promise<FieldError[]> {
  if (!prerequisites.length) return [];
  if (new Set(prerequisites).size !== prerequisites.length)
    return [{ path: 'prerequisites', message: messages.prerequisiteTwice }];
  if (moduleId && prerequisites.includes(String(moduleId)))
    return [{ path: 'prerequisites', message: messages.prerequisiteSelf }];
  const known = await prerequisiteGraph(programmeId);
  if (prerequisites.some((id) => !known.has(id)))
    return [{ path: 'prerequisites', message: messages.prerequisiteUnknown }];
  if (moduleId && waitsFor(known, String(moduleId), prerequisites))
    return [{ path: 'prerequisites', message: messages.prerequisiteCycle }];
  return [];
}

async function cleanModuleInput(programmeId: Types.ObjectId, moduleId: Types.ObjectId | undefined, input: ModuleInput) {
  const body = sanitizeMarkdown(input.body);
  const errors: FieldError[] = [
    ...(body.trim() ? [] : [{ path: 'body', message: messages.bodyEmpty }]),
    ...checkQuiz(input.completion),
    ...(input.resources ?? []).flatMap((r, i) =>
      isSafeResourceUrl(r.url) ? [] : [{ path: `resources.${i}.url`, message: messages.resourceUrl }],
    ),
    ...(await checkPrerequisites(programmeId, moduleId, input.prerequisites ?? [])),
  ];
  if (errors.length) throw new ValidationError('Some details of the module need correcting.', errors);
  const completion =
    input.completion.type === 'quiz'
      ? { type: 'quiz' as const, passMark: input.completion.passMark, questions: input.completion.questions }
      : input.completion.type === 'reflection'
        ? { type: 'reflection' as const, minWords: input.completion.minWords ?? 0 }
        : { type: input.completion.type };
  return {
    title: input.title,
    body,
    estimatedMinutes: input.estimatedMinutes,
    prerequisites: (input.prerequisites ?? []).map((id) => new Types.ObjectId(id)),
    resources: (input.resources ?? []).map((r) => ({ title: r.title, url: r.url.trim() })),
    completion,
  };
}

/**
 * Adds a module at the end of its programme. The same client key (a double-click on "Add module", an API retry) adds
 * one (server/submissions.ts); two modules alike may both be meant, so only a key the client sent makes a repeat.
 */
export async function createModule(props: {
  actor: Express.User;
  programmeId: string;
  input: ModuleInput;
  /** The client's key for this submission (server/submissions.ts). */
  submissionKey?: string;
}): Promise<Module> {
  const programme = await loadProgramme(props.programmeId);
  await assertCanAuthor(props.actor, programme._id);
  const fields = await cleanModuleInput(programme._id, undefined, props.input);
  const key = clientKeyOrNew(['module', props.actor.id], props.submissionKey);
  const inserted = await atTheEnd(programme._id, async (position) => {
    const written = await createOnce(ModuleModel, key, { ...fields, programmeId: programme._id, position });
    // Nothing under the key: the unique index gave this place to another module (atTheEnd tries the next).
    if (!written.doc) throw new PlaceTakenError();
    return written;
  });
  // A repeat is answered with the module the first sending added.
  if (!inserted.created) return inserted.doc as Module;
  await outlineChanged(programme._id);
  await emitDomainEvent('module.added', { moduleId: inserted.doc._id, programmeId: programme._id });
  return inserted.doc as Module;
}

/** The place of the programme's last module, archived ones included (they keep their place); 0 when it has none. */
async function lastPosition(programmeId: Types.ObjectId): Promise<number> {
  const last = await ModuleModel.findOne({ programmeId }, { position: 1 }).sort({ position: -1 }).lean();
  return last?.position ?? 0;
}

/**
 * A write refused a place because another module held it, known as such (the insert's duplicate key). Told apart from
 * any other failure without looking at the place again: by then a reorder may have moved that module on, and the
 * place's looking empty made an addition fail as "module not found" while another author reordered.
 */
class PlaceTakenError extends Error {}

/**
 * Did a write fail because another module holds `position`? The unique index `(programmeId, position)` refused it
 * (FerretDB reports an update refused by a unique index as a generic error, so the place is looked at).
 */
async function placeTaken(error: unknown, programmeId: Types.ObjectId, position: number): Promise<boolean> {
  return isDuplicateKeyError(error) || Boolean(await ModuleModel.exists({ programmeId, position }));
}

/**
 * Writes a module at the place after the programme's last one. Authors adding modules at the same moment (in any
 * process) read the same last place; the unique index gives it to one, and each other tries the next place.
 */
async function atTheEnd<T>(programmeId: Types.ObjectId, write: (position: number) => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < placeAttempts; attempt += 1) {
    const position = (await lastPosition(programmeId)) + 1;
    try {
      return await write(position);
    } catch (error) {
      if (!(error instanceof PlaceTakenError) && !(await placeTaken(error, programmeId, position))) throw error;
    }
    await pauseAfterLosing(attempt);
  }
  throw new ConflictError(messages.busy);
}

/**
 * Edits a module in place. Completions refer to the module by id and are never touched, so nobody loses what
 * she has completed; progress is always counted over the current, non-archived modules.
 * Safe with several processes: the module is replaced only if its version, place and archived flag are still the ones
 * read (an archive or a reorder meanwhile is kept: it is read again); with `expectedVersion` (an API edit merged with
 * the module it read), a module edited meanwhile is a 409 rather than a silent undo. Two edits that would each make
 * the other module wait both pass the check above; so each looks again after its write and, finding a circle, takes
 * back the whole edit (removing prerequisites never makes a circle) and answers 422: see takeBack.
 */
export async function updateModule(props: {
  actor: Express.User;
  moduleId: string;
  input: ModuleInput;
  expectedVersion?: number | null;
}): Promise<Module> {
  const module = await loadModule(props.moduleId);
  await assertCanAuthor(props.actor, module.programmeId);
  const fields = await cleanModuleInput(module.programmeId, module._id, props.input);
  try {
    await writeModuleEdit(module, fields, props.expectedVersion);
  } finally {
    // Also after a refused edit: it was written, then taken back.
    await outlineChanged(module.programmeId);
  }
  return loadModule(module._id);
}

/** updateModule's write, then its look for a circle of prerequisites (taking the edit back on finding one). */
async function writeModuleEdit(
  module: Module,
  fields: Awaited<ReturnType<typeof cleanModuleInput>>,
  expectedVersion: number | null | undefined,
): Promise<void> {
  let current = module;
  for (let attempt = 0; ; attempt += 1) {
    if (expectedVersion !== undefined && (current.version ?? null) !== expectedVersion)
      throw new ConflictError(messages.changedMeanwhile);
    const written = await ModuleModel.replaceOne(
      { _id: module._id, version: current.version ?? null, position: current.position, archived: current.archived },
      {
        ...fields,
        programmeId: module.programmeId,
        position: current.position,
        archived: current.archived,
        // Kept through the replacement: the key is unique, and a repeat of the create must still find this module.
        submissionKey: current.submissionKey,
        submissionFingerprint: current.submissionFingerprint,
        version: (current.version ?? 0) + 1,
        quizVersion: sameQuestions(current, fields)
          ? (current.quizVersion ?? current.version ?? 0)
          : (current.version ?? 0) + 1,
        createdAt: (module as { createdAt?: Date }).createdAt,
        updatedAt: new Date(),
      },
    );
    if (written.matchedCount === 1) break;
    if (attempt >= 4) throw new ConflictError(messages.changedMeanwhile);
    current = await loadModule(module._id);
  }
  const before = new Set(current.prerequisites.map(String));
  const added = fields.prerequisites.filter((id) => !before.has(String(id)));
  if (added.length) {
    const known = await prerequisiteGraph(module.programmeId);
    if (waitsFor(known, String(module._id), known.get(String(module._id)) ?? [])) {
      await takeBack(current, Object.keys(fields));
      throw new ValidationError('Some details of the module need correcting.', [
        { path: 'prerequisites', message: messages.prerequisiteCycle },
      ]);
    }
  }
}

/**
 * Whether an edit keeps the quiz's questions as they are: the same prompts, choices and correct answers in the same
 * order (answers are matched to questions by their place). Its pass mark and the module's text may change.
 */
function sameQuestions(module: Module, fields: { completion?: { questions?: unknown } }): boolean {
  const questionsOf = (questions: unknown) =>
    JSON.stringify(
      ((questions ?? []) as { prompt: string; choices: string[]; correct: number[] }[]).map((q) => [
        q.prompt,
        [...q.choices],
        [...q.correct],
      ]),
    );
  return questionsOf(module.completion?.questions) === questionsOf(fields.completion?.questions);
}

/**
 * Puts back the content `replaced` had before a refused edit wrote over it: every field the edit wrote (not only its
 * prerequisites), so a 422 leaves nothing of it behind. One conditional write, over the version the edit wrote: if
 * another edit has been saved over it since, that edit's content stands. Its place and archived flag are not
 * touched (an archive or a reorder meanwhile is kept). The version moves on rather than back, so an edit that read
 * the refused content never lands over what is put back: its write, over the version it read, misses and it reads
 * again (an API edit, which names the version it merged with, answers 409).
 */
async function takeBack(replaced: Module, fields: string[]): Promise<void> {
  const wrote = (replaced.version ?? 0) + 1;
  const previous = replaced as unknown as Record<string, unknown>;
  // Its quiz may be back to the one before: answers to the quiz a learner was shown meanwhile are not graded over it.
  const restore: Record<string, unknown> = {
    version: wrote + 1,
    quizVersion: wrote + 1,
    updatedAt: previous.updatedAt ?? new Date(),
  };
  const missing: Record<string, 1> = {};
  for (const field of fields) {
    if (previous[field] === undefined) missing[field] = 1;
    else restore[field] = previous[field];
  }
  await ModuleModel.updateOne(
    { _id: replaced._id, version: wrote },
    { $set: restore, ...(Object.keys(missing).length ? { $unset: missing } : {}) },
    { timestamps: false },
  );
}

/**
 * Archives or restores a module. An archived module keeps its place, so no other module takes it; a restored one
 * comes back after the programme's last module (reorders since may have moved the others past its old place).
 * Each is announced ('module.archived', 'module.added'), as it changes what finishing the programme takes: those an
 * archive alone kept from finishing get their certificates, and the LMS gets everyone's new score.
 */
export async function setModuleArchived(props: {
  actor: Express.User;
  moduleId: string;
  archived: boolean;
}): Promise<Module> {
  const module = await loadModule(props.moduleId);
  await assertCanAuthor(props.actor, module.programmeId);
  // The outline learners' pages read follows the change before anyone is told of it: a reaction that fails (an
  // answer of 500 to the author) must not leave their home pages counting a module that is gone (or missing one back).
  if (props.archived) {
    const archived = await ModuleModel.updateOne({ _id: module._id, archived: false }, { $set: { archived: true } });
    await outlineChanged(module.programmeId);
    if (archived.modifiedCount === 1)
      await emitDomainEvent('module.archived', { moduleId: module._id, programmeId: module.programmeId });
  } else if (module.archived) {
    const restored = await atTheEnd(module.programmeId, (position) =>
      ModuleModel.updateOne({ _id: module._id, archived: true }, { $set: { archived: false, position } }),
    );
    await outlineChanged(module.programmeId);
    if (restored.modifiedCount === 1)
      await emitDomainEvent('module.added', { moduleId: module._id, programmeId: module.programmeId });
  } else await outlineChanged(module.programmeId);
  return loadModule(module._id);
}

/**
 * Puts the programme's current modules in the given order (archived modules keep their places). Safe with several
 * processes: see moveToTheEnd. Modules added, archived or restored meanwhile make the list stale: a 409.
 */
export async function reorderModules(props: {
  actor: Express.User;
  programmeId: string;
  moduleIds: string[];
}): Promise<Module[]> {
  const programme = await loadProgramme(props.programmeId);
  await assertCanAuthor(props.actor, programme._id);
  return placeInOrder(programme._id, (current, attempt) => {
    const ids = current.map((m) => String(m._id));
    if (
      props.moduleIds.length !== ids.length ||
      new Set(props.moduleIds).size !== ids.length ||
      props.moduleIds.some((id) => !ids.includes(id))
    ) {
      if (attempt > 0) throw new ConflictError(messages.orderChangedMeanwhile);
      throw new ValidationError('The new order does not match the programme’s modules.', [
        { path: 'moduleIds', message: messages.orderMismatch },
      ]);
    }
    return props.moduleIds;
  });
}

/**
 * Reads the programme's current modules, asks `orderOf` for the order wanted from them, and writes it; when another
 * change got there first, reads again and asks again (a few times, then a 409).
 */
async function placeInOrder(
  programmeId: Types.ObjectId,
  orderOf: (current: Module[], attempt: number) => string[],
): Promise<Module[]> {
  try {
    for (let attempt = 0; attempt < placeAttempts; attempt += 1) {
      const current = await modulesOf(programmeId);
      if (await moveToTheEnd(programmeId, current, orderOf(current, attempt))) return modulesOf(programmeId);
      await pauseAfterLosing(attempt);
    }
    throw new ConflictError(messages.orderChangedMeanwhile);
  } finally {
    // Also after a 409: some modules may have moved before another change interrupted.
    await outlineChanged(programmeId);
  }
}

/**
 * Writes a new order without ever two modules on one place: from the first module out of its new place, each is
 * moved, in the new order, to a fresh place after the programme's last one (one single-document write each, under
 * the unique index). Each write is conditional on the place read; when another change got there first (a module
 * moved meanwhile, or its fresh place taken by an author adding one), answers false: read again and carry on.
 */
async function moveToTheEnd(programmeId: Types.ObjectId, current: Module[], order: string[]): Promise<boolean> {
  const first = order.findIndex((id, index) => id !== String(current[index]!._id));
  if (first < 0) return true;
  const placeOf = new Map(current.map((m) => [String(m._id), m.position]));
  let position = await lastPosition(programmeId);
  for (const id of order.slice(first)) {
    position += 1;
    try {
      const moved = await ModuleModel.updateOne(
        { _id: new Types.ObjectId(id), position: placeOf.get(id), archived: false },
        { $set: { position } },
      );
      if (moved.matchedCount === 0) return false;
    } catch (error) {
      if (await placeTaken(error, programmeId, position)) return false;
      throw error;
    }
  }
  return true;
}

/**
 * One step up or down, for the keyboard- and script-free buttons of the authoring page: the module goes just above
 * the one above it (or just below the one below it), as read when the button is pressed. Modules added, moved or
 * archived meanwhile by another author do not refuse it, and a try that another change interrupts half-way (some
 * modules already on fresh places) is finished by the next, which puts it by that same neighbour again.
 */
export async function moveModule(props: {
  actor: Express.User;
  moduleId: string;
  direction: 'up' | 'down';
}): Promise<Module[]> {
  const module = await loadModule(props.moduleId);
  await assertCanAuthor(props.actor, module.programmeId);
  const self = String(module._id);
  let neighbour: string | undefined;
  return placeInOrder(module.programmeId, (current, attempt) => {
    const ids = current.map((m) => String(m._id));
    if (attempt === 0) {
      const at = ids.indexOf(self);
      neighbour = at < 0 ? undefined : ids[props.direction === 'up' ? at - 1 : at + 1];
    }
    const others = ids.filter((id) => id !== self);
    const by = neighbour ? others.indexOf(neighbour) : -1;
    // Archived meanwhile, already first or last, or its neighbour archived meanwhile: nothing to move.
    if (!ids.includes(self) || by < 0) return ids;
    others.splice(props.direction === 'up' ? by : by + 1, 0, self);
    return others;
  });
}

/** The module's completion rule (every module has one; mongoose types nested paths as optional). */
export const ruleOf = (m: Module) =>
  m.completion ?? { type: 'view' as const, passMark: undefined, questions: undefined, minWords: undefined };

export const presentProgramme = (p: Programme) => ({
  id: String(p._id),
  title: p.title,
  track: p.track,
  summary: p.summary,
  status: p.status,
  /** In effect: its own, else its track's default (null: its certificates do not expire). */
  certificateValidityMonths: certificateValidityOf(p),
  /** Marked as the interview panels' unconscious-bias training (learning/panelTraining.ts). */
  panelTraining: p.panelTraining === true,
  /** Sent back with a PATCH, a save by someone else since is a 409 (null: stored before versions). */
  version: p.version ?? null,
});

/**
 * A module as the API shows it. `includeAnswers` is decided by the caller: true only for its authors and for a
 * learner who has passed it, so correct answers never reach anyone else.
 */
export function presentModule(m: Module, { includeAnswers }: { includeAnswers: boolean }) {
  const rule = ruleOf(m);
  const completion =
    rule.type === 'quiz'
      ? {
          type: 'quiz' as const,
          passMark: rule.passMark ?? 0,
          questions: (rule.questions ?? []).map((q) => ({
            prompt: q.prompt,
            choices: q.choices,
            multiple: q.correct.length > 1,
            ...(includeAnswers ? { correct: q.correct } : {}),
          })),
        }
      : rule.type === 'reflection'
        ? { type: 'reflection' as const, minWords: rule.minWords ?? 0 }
        : { type: rule.type };
  return {
    id: String(m._id),
    programmeId: String(m.programmeId),
    title: m.title,
    body: m.body,
    // The page shows it under the module's title (h1), so its highest heading becomes h2.
    html: renderMarkdown(m.body, { topLevel: 2 }),
    estimatedMinutes: m.estimatedMinutes,
    resources: m.resources.map((r) => ({ title: r.title ?? '', url: r.url ?? '' })),
    prerequisites: m.prerequisites.map(String),
    position: m.position,
    archived: m.archived,
    completion,
    /** Sent back with a quiz's answers, an edit of the quiz since is a 409 (null: stored before versions). */
    version: m.version ?? null,
  };
}
