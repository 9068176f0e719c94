import type { Request, Response } from 'express';
import { z, type ZodType } from 'zod';
import { ConflictError, RateLimitedError, ValidationError, type FieldError } from '../errors.ts';
import { emailAddress, fieldErrorsFrom, queryInput } from './validate.ts';

/**
 * Web forms: parse the posted fields with the same zod schema the API uses. On failure the caller re-renders
 * the form with `errors` (by field) and the values she typed, answering 422, so nothing she typed is lost.
 */
export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: Record<string, string>; list: FieldError[] };

export function parseForm<S extends ZodType>(schema: S, body: unknown): FormResult<z.output<S>> {
  const result = schema.safeParse(body ?? {}, { reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  // One message a field, the first found (its form before its range: a date typed wrong is "must be a date as
  // YYYY-MM-DD", not also "from 1900 to 2199"), in the summary and at the field alike.
  const first = new Map<string, FieldError>();
  for (const e of fieldErrorsFrom(withEmptyRequired(result.error))) if (!first.has(e.path)) first.set(e.path, e);
  const list = [...first.values()];
  return { ok: false, list, errors: Object.fromEntries(list.map((e) => [e.path, e.message])) };
}

/**
 * A field left empty (a select on its "Choose…" line, a date not picked, no radio chosen) is "required": the general
 * message of the check it failed ("must be an id", "must be one of: governing-board, …", "must be a date as
 * YYYY-MM-DD") names codes and formats she never sees on the form. A message the schema words itself ("enter the
 * interview date") is kept: the general ones all begin "must be".
 */
function withEmptyRequired(error: z.ZodError): z.ZodError {
  for (const issue of error.issues) {
    const input = (issue as { input?: unknown }).input;
    const empty = input === undefined || (typeof input === 'string' && input.trim() === '');
    if (empty && issue.message.startsWith('must be ')) (issue as { message: string }).message = 'is required';
  }
  return error;
}

/**
 * Errors for a form that shows a list as one field (a box of lines, a group of checkboxes): zod names an item
 * ("regions.2"), which the page has no field for, so each is moved to its list and said once per list. `itemWords`
 * names the items of a box whose order she typed ({ goals: 'goal' }: "goal 2 must be at most 200 characters").
 */
export function errorsOfListFields(
  list: FieldError[],
  listFields: readonly string[],
  itemWords: Record<string, string> = {},
): { errors: Record<string, string>; list: FieldError[] } {
  const itemOf = (path: string) => {
    const [head, index] = path.split('.') as [string, string | undefined];
    return listFields.includes(head) && /^\w+\.\d+$/.test(path) ? { head, index: Number(index) } : undefined;
  };
  const worded = list.map((e) => {
    const item = itemOf(e.path);
    const word = item && itemWords[item.head];
    return word ? { ...e, message: `${word} ${item.index + 1} ${e.message}` } : e;
  });
  return errorsOnFormFields(worded, (path) => itemOf(path)?.head);
}

/**
 * Errors moved to the fields the form shows: a service names what it checks ("userId", "panel.6", "interviewDates.1"),
 * which a form may ask for under another name, or in several fields; `fieldOf` answers the form's field for a path
 * (undefined: the path is the field). One message a field, the first, so that the summary links to a field that exists.
 */
export function errorsOnFormFields(
  list: FieldError[],
  fieldOf: (path: string) => string | undefined,
): { errors: Record<string, string>; list: FieldError[] } {
  const byField = new Map<string, FieldError>();
  for (const e of list) {
    const path = fieldOf(e.path) ?? e.path;
    if (!byField.has(path)) byField.set(path, { ...e, path });
  }
  const moved = [...byField.values()];
  return { list: moved, errors: Object.fromEntries(moved.map((e) => [e.path, e.message])) };
}

/**
 * Turns a domain ValidationError (422), or a conflict that names its field (a duplicate name: 409), into form errors
 * with the status the API would answer; rethrows anything else.
 */
export function formErrorsFrom(error: unknown): {
  status: number;
  errors: Record<string, string>;
  list: FieldError[];
  message: string;
} {
  if (!(error instanceof ValidationError || (error instanceof ConflictError && error.errors.length))) throw error;
  return {
    status: error.status,
    list: error.errors,
    errors: Object.fromEntries(error.errors.map((e) => [e.path, e.message])),
    message: error.message,
  };
}

/**
 * A refusal to show on the form she sent, with the status the API would answer: a ValidationError's field errors
 * (422), or a limit reached (429, with Retry-After) shown at `field`; with `conflicts`, also a conflict with what
 * someone else did meanwhile (409: offered, closed) shown at the field it names, or at `field`. Anything else is
 * rethrown.
 */
export function formRefusalFrom(
  error: unknown,
  res: Response,
  field: string,
  opts: { conflicts?: boolean } = {},
): { status: number; errors: Record<string, string>; list: FieldError[] } {
  const at = (message: string) => ({ errors: { [field]: message }, list: [{ path: field, message }] });
  if (error instanceof RateLimitedError) {
    res.setHeader('Retry-After', String(error.retryAfterSeconds));
    return { status: 429, ...at(error.message) };
  }
  // A conflict that names its field is read like a validation error (formErrorsFrom); one that names none is `field`'s.
  if (opts.conflicts && error instanceof ConflictError && !error.errors.length)
    return { status: 409, ...at(error.message) };
  const { status, errors, list } = formErrorsFrom(error);
  return { status, errors, list };
}

/** A list page's filters: parsed, or refused with the errors by field; `values` is what she typed, to show again. */
export type FilterResult<T> = (
  | { ok: true; data: T; errors: Record<string, never>; list: [] }
  | { ok: false; errors: Record<string, string>; list: FieldError[] }
) & { values: Record<string, string> };

/**
 * The filters of a list page (a GET form), read with the API's schema for the same list. Empty fields mean "any";
 * parameters the page has no field for (a link's `utm_source`) are left out rather than refused, since no field could
 * show their error. A refused filter is never dropped quietly: the caller answers 422, shows the errors at the filter
 * fields with what she typed (`values`), and lists nothing rather than everything, as /admin/users does.
 */
export function parseFilters<S extends z.ZodObject>(
  schema: S,
  query: Record<string, unknown>,
): FilterResult<z.output<S>> {
  const known = Object.keys(schema.shape);
  const input = Object.fromEntries(
    Object.entries(queryInput(query)).filter(([key, value]) => known.includes(key) && value !== ''),
  );
  const values = Object.fromEntries(
    Object.entries(input).map(([key, value]) => [key, typeof value === 'string' ? value : '']),
  );
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data, errors: {}, list: [], values };
  const list = fieldErrorsFrom(result.error, 'query');
  return { ok: false, list, errors: Object.fromEntries(list.map((e) => [e.path, e.message])), values };
}

/** Render a form page again with its errors (status 422, as the API would answer). */
export function renderFormWithErrors(
  res: Response,
  view: string,
  locals: Record<string, unknown>,
  errors: Record<string, string>,
  list: FieldError[],
): void {
  res.status(422).render(view, { ...locals, errors, errorList: list });
}

/** The body of a web form, with checkbox groups normalised to arrays. */
export function formBody(req: Request): Record<string, unknown> {
  const { _csrf, _submission, ...rest } = (req.body ?? {}) as Record<string, unknown>;
  void _csrf;
  void _submission;
  return rest;
}

/** A visitor asks for a link by email (password reset, the Pledge's manage link): her address, of the usual shape. */
export const emailLinkForm = z.object({ email: emailAddress('Enter an email address like name@example.org.') });

/** Names the error summary gives fields whose path does not read well as words. */
const fieldNames: Record<string, string> = {
  // As the forms label them, for pages that show a field without its form (a refused form's text, read-only).
  startsAt: 'Starts',
  startsAtLocal: 'Starts',
  durationMinutes: 'Length in minutes',
  joinUrl: 'Join link',
  endsAt: 'End',
  timezone: 'Time zone',
  email: 'Email address',
  newEmail: 'New email address',
  confirm: 'Confirmation',
  q: 'Search',
  otp: 'Code',
  // Each form labels its text in its own words ("Your story or question", "Your message", "Text (Markdown)"); this
  // page cannot tell which form it was, so the box says what they share rather than the code name "Body".
  body: 'Your text',
  detail: 'Details',
};

/**
 * A field's name in words for the error summary ("newPassword" → "New password", "rows.2.status" → "Rows 3 status"),
 * so a message is never introduced by a code name. A page can pass names of its own (`labels`).
 */
export function fieldLabel(path: string, labels: Record<string, string> = {}): string {
  const named = labels[path] ?? fieldNames[path];
  if (named) return named;
  const words = path
    .split(/[._]/)
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? String(Number(part) + 1) : part.replace(/([a-z0-9])([A-Z])/g, '$1 $2')))
    .join(' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
