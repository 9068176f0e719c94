import { progressChanged } from './enrolmentProgress.ts';
import { Types } from 'mongoose';
import { CompletionModel, type Completion } from '../../../models/Completion.ts';
import type { CompletionType, Module } from '../../../models/Module.ts';
import type { Programme } from '../../../models/Programme.ts';
import { QuizAttemptModel } from '../../../models/QuizAttempt.ts';
import { isDuplicateKeyError } from '../../db.ts';
import type { ExpectedVersion } from '../../versions.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { emitDomainEvent } from '../../events.ts';
import { hasVisibleText, invisibleOnly, writtenTextProblem } from '../../visibleText.ts';
import { canAuthorModules, canSeeProgramme } from '../../policies/learning.ts';
import { issueCertificateIfComplete } from './certificates.ts';
import { currentEnrolment } from './learners.ts';
import {
  choiceTwice,
  listsAChoiceTwice,
  loadModule,
  loadProgramme,
  modulesOf,
  presentModule,
  ruleOf,
} from './programmes.ts';

const messages = {
  notEnrolled: 'You are not enrolled in a cohort of this programme, so your progress cannot be recorded.',
  archived: 'This module has been retired from the programme.',
  locked: 'Complete the modules this one builds on first.',
  quizFailed: 'Not passed this time: you can try again as often as you like.',
  wrongFields: 'This module is completed differently.',
  reflectionEmpty: 'Write your reflection first.',
  reflectionNotText: 'Your reflection has a character that cannot be saved.',
  reflectionShort: (min: number) => `Your reflection needs at least ${min} words.`,
  reflectionShortField: (min: number, given: number) => `write at least ${min} words (this one has ${given})`,
  reflectionLong: 'Your reflection is too long to save.',
  reflectionLongField: (max: number, given: number) =>
    `must be at most ${max.toLocaleString('en-GB')} characters (this one has ${given.toLocaleString('en-GB')}): shorten it`,
  answersCount: 'give one answer per question',
  answerRange: 'is not one of the choices',
  answerMissing: 'choose an answer',
  notCompleted: 'You have not completed this module yet.',
  changedMeanwhile: (now: CompletionType) =>
    `This module was changed after you opened it: it is now ${completedBy[now]}. What you sent was not saved.`,
  quizChangedMeanwhile:
    'This quiz was changed while you answered it: answer it again. Your answers were not marked and do not count as an attempt.',
};

/** How a module of each type is completed, in the words of the notice that it changed. */
const completedBy: Record<CompletionType, string> = {
  view: 'completed by marking it as done',
  reflection: 'completed by writing a reflection',
  quiz: 'completed by passing a knowledge check',
};

/**
 * The longest reflection kept, in characters (UTF-16 units, as the API's schema counts them). A longer one is refused
 * at its field, never cut: the form used to keep its first 20,000 characters and drop the rest without a word.
 */
export const reflectionMaxLength = 20_000;

export type CompletionInput = { reflection?: string; shareWithFacilitators?: boolean; answers?: number[][] };

/** Her completion of a module in a cohort: one lookup on the unique index `{userId, moduleId, cohortId}`. */
async function findCompletion(
  userId: string,
  moduleId: Types.ObjectId,
  cohortId: Types.ObjectId,
): Promise<Completion | null> {
  return CompletionModel.findOne({ userId: new Types.ObjectId(userId), moduleId, cohortId }).lean<Completion>();
}

/** The prerequisites (current ones only: an archived prerequisite no longer blocks) not yet completed. */
function missingPrerequisites(module: Module, current: Map<string, Module>, done: Set<string>): Module[] {
  return module.prerequisites
    .map(String)
    .filter((id) => current.has(id) && !done.has(id))
    .map((id) => current.get(id)!);
}

async function learnerState(userId: string, module: Module) {
  const [enrolment, siblings] = await Promise.all([
    currentEnrolment({ userId, programmeId: module.programmeId }),
    modulesOf(module.programmeId),
  ]);
  const current = new Map(siblings.map((m) => [String(m._id), m]));
  const done = enrolment?.completed ?? new Set<string>();
  const completion =
    enrolment && done.has(String(module._id)) ? await findCompletion(userId, module._id, enrolment.cohortId) : null;
  return { enrolment, siblings, current, done, completion, missing: missingPrerequisites(module, current, done) };
}

/**
 * Who may open a module's page: its authors, and while it is current anyone enrolled in a cohort of its programme or
 * who may see the programme (published, or a draft she is enrolled or waitlisted in).
 */
async function mayOpenModule(props: {
  actor: Express.User;
  module: Module;
  programme: Programme;
  canAuthor: boolean;
  enrolled: boolean;
}): Promise<boolean> {
  return (
    props.canAuthor ||
    (!props.module.archived && (props.enrolled || (await canSeeProgramme(props.actor, props.programme))))
  );
}

/** Whether she may open the module's page now (after she left its cohort, or it was retired, she may not). */
export async function canOpenModule({ actor, moduleId }: { actor: Express.User; moduleId: string }) {
  const module = await loadModule(moduleId);
  const programme = await loadProgramme(module.programmeId);
  const canAuthor = await canAuthorModules(actor, programme._id);
  const enrolled = !canAuthor && !!(await currentEnrolment({ userId: actor.id, programmeId: module.programmeId }));
  return mayOpenModule({ actor, module, programme, canAuthor, enrolled });
}

/**
 * A module as one reader sees it: locked or not (and why), her completion, her quiz attempts. Correct answers
 * are included only for authors and for a learner who has passed the quiz in her current cohort.
 */
export async function moduleForReader({ actor, moduleId }: { actor: Express.User; moduleId: string }) {
  const module = await loadModule(moduleId);
  const programme = await loadProgramme(module.programmeId);
  const canAuthor = await canAuthorModules(actor, programme._id);
  const state = await learnerState(actor.id, module);
  if (!(await mayOpenModule({ actor, module, programme, canAuthor, enrolled: !!state.enrolment })))
    throw new NotFoundError('We could not find that module.');
  const attempts =
    state.enrolment && ruleOf(module).type === 'quiz'
      ? await QuizAttemptModel.find(
          { userId: new Types.ObjectId(actor.id), moduleId: module._id, cohortId: state.enrolment.cohortId },
          { score: 1, passed: 1, attemptedAt: 1 },
        )
          .sort({ attemptedAt: -1 })
          .lean()
      : [];
  const includeAnswers = canAuthor || !!state.completion;
  const position = state.siblings.findIndex((m) => String(m._id) === String(module._id));
  // A reflection she shared in an earlier cohort of the programme (she renewed since): still hers to make private.
  // Not looked for when an author reads the module (she writes it, she does not take it).
  const sharedEarlier =
    !canAuthor &&
    !!(await CompletionModel.exists({
      userId: new Types.ObjectId(actor.id),
      moduleId: module._id,
      reflectionShared: true,
      ...(state.completion ? { _id: { $ne: state.completion._id } } : {}),
    }));
  return {
    sharedEarlier,
    module,
    programme,
    canAuthor,
    enrolled: !!state.enrolment,
    cohortId: state.enrolment ? String(state.enrolment.cohortId) : null,
    completion: state.completion,
    locked: state.missing.length > 0,
    missing: state.missing.map((m) => ({ id: String(m._id), title: m.title })),
    attempts,
    includeAnswers,
    previous: position > 0 ? state.siblings[position - 1]! : null,
    next: position >= 0 && position < state.siblings.length - 1 ? state.siblings[position + 1]! : null,
    api: {
      ...presentModule(module, { includeAnswers }),
      locked: state.missing.length > 0,
      missingPrerequisites: state.missing.map((m) => String(m._id)),
      completed: !!state.completion,
    },
  };
}

const wordSegments = new Intl.Segmenter(undefined, { granularity: 'word' });

/**
 * Words as the learner's live count shows them (public/js/word-count.js counts alike): the words Unicode's word
 * breaking finds (UAX #29, with ICU's dictionaries for Chinese, Japanese and Thai, which write no spaces between
 * words). Counting runs between spaces, a reflection in Chinese was one word however long, and never met a minimum.
 */
export const wordsIn = (text: string): number => {
  let words = 0;
  for (const segment of wordSegments.segment(text)) if (segment.isWordLike) words += 1;
  return words;
};

/**
 * Score 0–100: the share of questions answered exactly (every correct choice, and nothing else), rounded down in whole
 * numbers, so that it reaches a whole-number pass mark exactly when the share does: 2 of 3 is 66, which does not pass
 * a mark of 67 (rounded to the nearest, it read 67 and passed).
 */
export function gradeQuiz(questions: { correct: number[]; choices: string[] }[], answers: number[][]): number {
  const right = questions.filter((q, i) => {
    const given = [...new Set(answers[i] ?? [])].sort((a, b) => a - b);
    const correct = [...q.correct].sort((a, b) => a - b);
    return given.length === correct.length && given.every((v, j) => v === correct[j]);
  }).length;
  return questions.length ? Math.floor((right * 100) / questions.length) : 0;
}

function checkAnswers(questions: { choices: string[] }[], answers: number[][] | undefined): number[][] {
  if (!answers || answers.length !== questions.length)
    throw new ValidationError('Answer every question.', [{ path: 'answers', message: messages.answersCount }]);
  const errors = answers.flatMap((given, i) => [
    ...(given.length === 0 ? [{ path: `answers.${i}`, message: messages.answerMissing }] : []),
    ...(given.some((c) => c < 0 || c >= questions[i]!.choices.length)
      ? [{ path: `answers.${i}`, message: messages.answerRange }]
      : []),
    ...(listsAChoiceTwice(given) ? [{ path: `answers.${i}`, message: choiceTwice }] : []),
  ]);
  if (errors.length) throw new ValidationError('Some answers need correcting.', errors);
  return answers;
}

/**
 * Her body, checked against the module's rule before her progress is looked at (prerequisites, a completion already
 * recorded): a body that does not fit the module is a 422 even when she completed it, and only a valid repeat is the
 * idempotent 200. (It comes after the enrolment check, so the rule of a module is not told to someone outside it.)
 * Returns what a completion stores and, for a quiz, her answers to grade.
 */
function checkInput(module: Module, input: CompletionInput): { record: Partial<Completion>; answers?: number[][] } {
  const rule = ruleOf(module);
  const unexpected = Object.keys(input).filter((k) =>
    rule.type === 'view'
      ? true
      : rule.type === 'reflection'
        ? !['reflection', 'shareWithFacilitators'].includes(k)
        : k !== 'answers',
  );
  if (unexpected.length)
    throw new ValidationError(
      messages.wrongFields,
      unexpected.map((k) => ({ path: k, message: `is not used by a ${rule.type} module` })),
    );
  if (rule.type === 'quiz') return { record: {}, answers: checkAnswers(rule.questions ?? [], input.answers) };
  if (rule.type !== 'reflection') return { record: {} };
  const reflection = (input.reflection ?? '').trim();
  const minWords = rule.minWords ?? 0;
  const words = wordsIn(reflection);
  // Held to the one rule for written text (server/visibleText.ts), as text() holds a field: one of only zero-width
  // spaces passed a module with no minimum, and was saved and shared as a reflection nobody could see.
  if (!hasVisibleText(reflection))
    throw new ValidationError(
      messages.reflectionEmpty,
      [{ path: 'reflection', message: reflection ? invisibleOnly : 'is required' }],
      { minWords },
    );
  const notText = writtenTextProblem(reflection);
  if (notText) throw new ValidationError(messages.reflectionNotText, [{ path: 'reflection', message: notText }]);
  if (reflection.length > reflectionMaxLength)
    throw new ValidationError(messages.reflectionLong, [
      { path: 'reflection', message: messages.reflectionLongField(reflectionMaxLength, reflection.length) },
    ]);
  if (words < minWords)
    throw new ValidationError(
      messages.reflectionShort(minWords),
      [{ path: 'reflection', message: messages.reflectionShortField(minWords, words) }],
      { minWords, words },
    );
  return { record: { reflection, reflectionShared: input.shareWithFacilitators === true } };
}

/**
 * Records that she completed a module in her current cohort, by the module's rule: view (nothing to send),
 * reflection (a few sentences, private unless she shares them), quiz (graded; every attempt recorded; a fail
 * is a 422 with the score). Completing again counts once (unique index). When it was the last module, her
 * certificate is issued.
 */
export async function completeModule(props: {
  /** The learner: progress is only ever recorded for the signed-in person herself. */
  actor: Express.User;
  moduleId: string;
  input: CompletionInput;
  /**
   * The completion type the learner's form was made for (the web page's form carries it). When an author has changed
   * it since, nothing is recorded (409): her reflection was neither completed as a view without a word nor graded as
   * a quiz, and the page gives her text back. An API client names none and is held to the body it sends.
   */
  expectedType?: CompletionType;
  /**
   * The version of the module her quiz was shown at (the page's quiz form carries it; an API client may send the
   * `version` it read). Answers are matched to questions by their place, so over an edit of the questions made since
   * (a question reworded, reordered or removed, its correct choices changed) they would be graded against questions
   * she never saw: nothing is recorded instead (409, no attempt). An edit of the text alone, or of the pass mark,
   * leaves the questions she answered: graded. None named: graded against the quiz as it is now.
   */
  expectedVersion?: ExpectedVersion;
  /** When it happens (the clock is a parameter so tests and jobs can pin it). */
  now: Date;
}) {
  const { actor, input, now } = props;
  const module = await loadModule(props.moduleId);
  const programme = await loadProgramme(module.programmeId);
  if (module.archived) throw new ValidationError(messages.archived);
  const state = await learnerState(actor.id, module);
  if (!state.enrolment) throw new ValidationError(messages.notEnrolled, [], { reason: 'not-enrolled' });
  if (props.expectedType && props.expectedType !== ruleOf(module).type)
    throw new ConflictError(messages.changedMeanwhile(ruleOf(module).type));
  // Compared with the module read here, which is also the one graded: an edit landing after this check is not used.
  if (ruleOf(module).type === 'quiz' && quizChangedSince(module, props.expectedVersion))
    throw Object.assign(new ConflictError(messages.quizChangedMeanwhile), {
      extensions: { reason: 'quiz-changed', version: module.version ?? null },
    });
  const { record, answers } = checkInput(module, input);
  const cohortId = state.enrolment.cohortId;
  if (state.completion) return completedAgain(actor.id, programme as Programme, state.completion, now);
  if (state.missing.length) {
    throw new ValidationError(
      messages.locked,
      state.missing.map((m) => ({ path: 'prerequisites', message: `complete “${m.title}” first` })),
      { reason: 'prerequisites', missingPrerequisites: state.missing.map((m) => String(m._id)) },
    );
  }
  if (answers) {
    const score = gradeQuiz(ruleOf(module).questions ?? [], answers);
    const passed = score >= (ruleOf(module).passMark ?? 0);
    await QuizAttemptModel.create({
      userId: actor.id,
      moduleId: module._id,
      cohortId,
      answers: answers.map((choices) => ({ choices })),
      score,
      passed,
      attemptedAt: now,
    });
    if (!passed) {
      // Her attempt is her latest activity, which her facilitators' progress view shows from her enrolment.
      await progressChanged(actor.id, cohortId);
      throw new ValidationError(messages.quizFailed, [], {
        reason: 'quiz-not-passed',
        score,
        passMark: ruleOf(module).passMark ?? 0,
      });
    }
    record.score = score;
  }
  let completion: Completion;
  try {
    const created = await CompletionModel.create({
      ...record,
      userId: actor.id,
      moduleId: module._id,
      cohortId,
      programmeId: programme._id,
      completedAt: now,
    });
    completion = created.toObject() as Completion;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return completedAgain(
      actor.id,
      programme as Programme,
      (await findCompletion(actor.id, module._id, cohortId))!,
      now,
    );
  }
  await emitDomainEvent('module.completed', { userId: actor.id, moduleId: module._id, cohortId });
  const certificate = await issueCertificateIfComplete({
    userId: actor.id,
    programme: programme as Programme,
    cohortId,
    now,
  });
  // Her progress is written once, after both: an issued certificate wrote it already (with this completion in it).
  if (!certificate) await progressChanged(actor.id, cohortId);
  return completionResult(completion, false, certificate);
}

/**
 * A completion sent again (a retry, or she sends it once more because her certificate is missing): her certificate
 * is looked for and her progress written again, in case the first writer stopped before them.
 */
async function completedAgain(userId: string, programme: Programme, completion: Completion, now: Date) {
  const certificate = await issueCertificateIfComplete({ userId, programme, cohortId: completion.cohortId, now });
  if (!certificate) await progressChanged(userId, completion.cohortId);
  return completionResult(completion, true, certificate);
}

function completionResult(
  c: Completion,
  alreadyCompleted: boolean,
  certificate: { _id: Types.ObjectId; verificationCode: string } | null,
) {
  return {
    completed: true as const,
    alreadyCompleted,
    moduleId: String(c.moduleId),
    cohortId: String(c.cohortId),
    completedAt: c.completedAt.toISOString(),
    ...(typeof c.score === 'number' ? { score: c.score } : {}),
    ...(c.reflection ? { reflectionShared: !!c.reflectionShared } : {}),
    ...(certificate
      ? { certificate: { id: String(certificate._id), verificationCode: certificate.verificationCode } }
      : {}),
  };
}

/** She decides, at any time, whether her cohort's facilitators may read her reflection. */
export async function setReflectionSharing({
  actor,
  moduleId,
  shared,
}: {
  actor: Express.User;
  moduleId: string;
  shared: boolean;
}) {
  const module = await loadModule(moduleId);
  if (!shared) {
    // Making it private is hers at any time: every reflection she shared on this module, in whichever cohort (an
    // earlier one she renewed from) and on a module since retired, which her current enrolment alone would not reach.
    const withdrawn = await CompletionModel.updateMany(
      { userId: new Types.ObjectId(actor.id), moduleId: module._id, reflectionShared: true },
      { $set: { reflectionShared: false } },
    );
    if (withdrawn.matchedCount > 0) return;
  }
  const enrolment = await currentEnrolment({ userId: actor.id, programmeId: module.programmeId });
  const completion = enrolment ? await findCompletion(actor.id, module._id, enrolment.cohortId) : null;
  if (!enrolment || !completion?.reflection) throw new NotFoundError(messages.notCompleted);
  await CompletionModel.updateOne({ _id: completion._id }, { $set: { reflectionShared: shared } });
}

/**
 * Whether the quiz's questions changed after the version she was shown (`quizVersion`, written by every edit: the
 * first version with the questions as they are now). A version from before versions (null) or not yet written counts
 * as changed; none named (an API client that read nothing) is graded against the quiz as it is now.
 */
function quizChangedSince(module: Module, shown: ExpectedVersion): boolean {
  if (shown === undefined) return false;
  const current = module.version ?? null;
  if (shown === null || current === null) return shown !== current;
  return shown > current || shown < (module.quizVersion ?? current);
}
