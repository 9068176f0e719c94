import { z } from 'zod';
import { errorsOnFormFields } from '../server/http/forms.ts';
import type { FieldError } from '../server/errors.ts';
import { objectId, text, untrimmedText } from '../server/http/validate.ts';
import type { QuizQuestion } from '../server/services/learning/programmes.ts';
import { reflectionMaxLength } from '../server/services/learning/completion.ts';

/**
 * Request schemas of the learning area, shared by its API operations and web forms (the web forms are
 * reshaped into the same objects first, so both doors validate alike).
 */
export const questionSchema = z.strictObject({
  prompt: text(1000),
  choices: z.array(text(500)).min(2, 'needs at least two choices').max(12),
  correct: z.array(z.number().int().min(0).max(11)).min(1, 'needs at least one correct choice').max(12),
});
export const completionRuleSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('view') }),
  z.strictObject({ type: z.literal('reflection'), minWords: z.number().int().min(0).max(500).optional() }),
  z.strictObject({
    type: z.literal('quiz'),
    passMark: z.number().int().min(0).max(100),
    questions: z.array(questionSchema).min(1, 'a quiz needs at least one question').max(50),
  }),
]);
export const resourceSchema = z.strictObject({ title: text(200), url: z.string().trim().max(2000) });
export const moduleInputSchema = z.strictObject({
  title: text(200),
  body: untrimmedText(100_000),
  estimatedMinutes: z.number().int().min(1, 'must be at least 1').max(1000),
  prerequisites: z.array(objectId).max(100).optional(),
  resources: z.array(resourceSchema).max(30).optional(),
  completion: completionRuleSchema,
});
export const moduleChangesSchema = moduleInputSchema.partial().extend({ archived: z.boolean().optional() });

export const completionBodySchema = z.strictObject({
  reflection: z.string().max(reflectionMaxLength).optional(),
  shareWithFacilitators: z.boolean().optional(),
  answers: z
    .array(z.array(z.number().int().min(0).max(100)).max(12))
    .max(50)
    .optional(),
  /** A quiz's: the module's `version` the questions were read at; an edit of the module since is a 409. */
  version: z.number().int().min(0).nullable().optional(),
});

/**
 * Quiz questions in a textarea, so authors need no script: one block per question, a blank line between.
 *   ? The question
 *   - a wrong choice
 *   * a correct choice
 */
export function parseQuestionsText(source: string): { questions: QuizQuestion[]; error?: string } {
  const questions: QuizQuestion[] = [];
  const blocks = source
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter(Boolean);
  for (const [i, block] of blocks.entries()) {
    const q: QuizQuestion = { prompt: '', choices: [], correct: [] };
    for (const line of block
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      if (line.startsWith('?')) q.prompt = `${q.prompt} ${line.slice(1).trim()}`.trim();
      else if (line.startsWith('*')) {
        q.correct.push(q.choices.length);
        q.choices.push(line.slice(1).trim());
      } else if (line.startsWith('-')) q.choices.push(line.slice(1).trim());
      else return { questions, error: `question ${i + 1}: start each line with ?, - or *` };
    }
    if (!q.prompt) return { questions, error: `question ${i + 1} has no line starting with ?` };
    questions.push(q);
  }
  return { questions };
}

/**
 * The questions as parseQuestionsText reads them back. A prompt the API stored over several lines becomes several "?"
 * lines (read back joined by spaces) and a choice's line breaks become spaces: a line of its own without its mark, or
 * a blank line, would make the unchanged form fail to save.
 */
const linesOf = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
export const formatQuestionsText = (questions: QuizQuestion[] = []): string =>
  questions
    .map((q) =>
      [
        ...linesOf(q.prompt).map((line) => `? ${line}`),
        ...q.choices.map((c, i) => `${q.correct.includes(i) ? '*' : '-'} ${linesOf(c).join(' ')}`),
      ].join('\n'),
    )
    .join('\n\n');

export const parseResourcesText = (source: string) =>
  source
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.lastIndexOf('|');
      return at < 0 ? { title: line, url: line } : { title: line.slice(0, at).trim(), url: line.slice(at + 1).trim() };
    });
export const formatResourcesText = (resources: { title?: string | null; url?: string | null }[] = []): string =>
  resources.map((r) => `${r.title ?? ''} | ${r.url ?? ''}`).join('\n');

/** The module authoring form → the API's module object (or field errors for the form). */
export function moduleInputFromForm(body: Record<string, unknown>): { input: unknown; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const type = String(body.completionType ?? 'view');
  let completion: unknown = { type };
  if (type === 'reflection') {
    const minWords = String(body.minWords ?? '').trim();
    completion = { type, minWords: minWords === '' ? 0 : Number(minWords) };
  }
  if (type === 'quiz') {
    const parsed = parseQuestionsText(String(body.questions ?? ''));
    if (parsed.error) errors.questions = parsed.error;
    completion = {
      type,
      passMark: body.passMark === '' || body.passMark === undefined ? NaN : Number(body.passMark),
      questions: parsed.questions,
    };
  }
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  return {
    errors,
    input: {
      title: String(body.title ?? ''),
      body: String(body.body ?? ''),
      estimatedMinutes: body.estimatedMinutes === '' ? NaN : Number(body.estimatedMinutes),
      prerequisites: list(body.prerequisites),
      resources: parseResourcesText(String(body.resources ?? '')),
      completion,
    },
  };
}

/**
 * The module form's errors on its fields: a quiz question's own error says which question it is ("question 3: needs
 * at least two choices"), and each field, as the summary, shows its first error (the one found first in the text).
 */
export function moduleFormErrors(list: readonly FieldError[]): { errors: Record<string, string>; list: FieldError[] } {
  const worded = list.map((e) => {
    const question = /^completion\.questions\.(\d+)/.exec(e.path);
    return question && !/^question \d+/.test(e.message)
      ? { ...e, message: `question ${Number(question[1]) + 1}: ${e.message}` }
      : e;
  });
  return errorsOnFormFields(worded, formFieldOf);
}

/** Form field names for API paths, so a zod error lands next to the right field. */
export const formFieldOf = (path: string): string =>
  path.startsWith('completion.questions')
    ? 'questions'
    : path.startsWith('completion.passMark')
      ? 'passMark'
      : path.startsWith('completion.minWords')
        ? 'minWords'
        : path.startsWith('completion')
          ? 'completionType'
          : path.startsWith('resources')
            ? 'resources'
            : path;
