import { z, type ZodType } from 'zod';
import { ValidationError, type FieldError } from '../errors.ts';
import { isObjectId, objectIdPattern } from '../ids.ts';
import { personName as storedPersonName, personNameProblem } from '../services/accounts/names.ts';
import { timeZoneNamed } from '../services/accounts/timeZones.ts';
import { checkedEmail, notAnEmailAddress } from '../emailAddresses.ts';
import { parseIsoInstant } from '../time.ts';
import {
  hasVisibleText,
  invisibleOnly,
  notWrittenText,
  optionalTextAsStored,
  writtenTextProblem,
} from '../visibleText.ts';
// Plain wording for zod's own messages, wherever a schema is parsed (see the module).
import './plainMessages.ts';

/** Where the input came from: errors about the query string name its parameters, never "(body)". */
export type InputSource = 'body' | 'query';

/** zod issues → our field errors ("records.2.status": "Invalid option ..."). */
export function fieldErrorsFrom(error: z.ZodError, source: InputSource = 'body'): FieldError[] {
  const pathOf = (issue: z.core.$ZodIssue) => issue.path.map(String).join('.');
  const issuesAt = new Map<string, number>();
  for (const issue of error.issues) issuesAt.set(pathOf(issue), (issuesAt.get(pathOf(issue)) ?? 0) + 1);
  // zod's whole numbers are also held to JavaScript's safe range: 99999999999999999999 minutes broke that and the
  // field's own maximum, and "must be at most 9007199254740991" beside "must be at most 1440" says nothing more.
  const safeRangeOnly = (issue: z.core.$ZodIssue) =>
    (issue.code === 'too_big' || issue.code === 'too_small') &&
    Math.abs(Number(issue.code === 'too_big' ? issue.maximum : issue.minimum)) === Number.MAX_SAFE_INTEGER &&
    issuesAt.get(pathOf(issue))! > 1;
  return error.issues
    .filter((issue) => !safeRangeOnly(issue))
    .flatMap((issue) => {
      const at = issue.path.map(String);
      if (issue.code === 'unrecognized_keys' && source === 'query')
        return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: `Unknown query parameter: ${key}` }));
      return [
        {
          path: at.join('.') || `(${source})`,
          message: issue.code === 'unrecognized_keys' ? `Unknown field(s): ${issue.keys.join(', ')}` : issue.message,
        },
      ];
    });
}

/** Parses untrusted input with a zod schema, or throws a 422 ValidationError listing every problem. */
export function parseInput<S extends ZodType>(
  schema: S,
  data: unknown,
  message = 'Some details need correcting.',
  source: InputSource = 'body',
): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw new ValidationError(message, fieldErrorsFrom(result.error, source));
  return result.data;
}

/**
 * A query string as parsed by Express 5 (the simple parser: `q=a&q=b` is a list, but `q[]=a` and `q[x]=a` stay keys
 * named `q[]` and `q[x]`) with bracketed keys folded into their parameter, as a list or an object: so a client that
 * sends `q[]=a` where one string is expected hears about `q` ("expected string, received array"), the parameter it
 * meant, not about an unknown `q[]`. Built through a Map, so no key can reach an object's prototype.
 */
export function queryInput(query: Record<string, unknown>): Record<string, unknown> {
  const folded = new Map<string, unknown>();
  for (const [key, value] of Object.entries(query)) {
    const bracket = key.indexOf('[');
    if (bracket <= 0) {
      folded.set(key, folded.has(key) ? [folded.get(key), value].flat() : value);
      continue;
    }
    const name = key.slice(0, bracket);
    const nested = key.slice(bracket) === '[]' ? [value].flat() : { [key.slice(bracket)]: value };
    const before = folded.get(name);
    folded.set(name, before === undefined ? nested : [before, nested].flat());
  }
  return Object.fromEntries(folded);
}

/** Parses a request's query string (see queryInput), naming the parameters in any 422. */
export function parseQuery<S extends ZodType>(schema: S, query: Record<string, unknown>): z.output<S> {
  return parseInput(schema, queryInput(query), 'Some details need correcting.', 'query');
}

/** A 24-hex ObjectId string. Anything else in an :id is answered 404 by the routes, never 500. */
export const objectId = z.string().regex(objectIdPattern, 'must be an id');
export { isObjectId };

/** Text held to the one rule for written text (notWrittenText): each character it may not hold is a 422 at the field. */
const written = (schema: z.ZodString) =>
  notWrittenText.reduce(
    (checked, rule) => checked.refine((typed) => !rule.characters.test(typed), rule.message),
    schema,
  );

/** Bounded text with something visible in it, and no control character or other non-text: text() but for the trim. */
const requiredText = (schema: z.ZodString, max: number) =>
  written(
    schema
      .min(1, 'is required')
      .max(max, `must be at most ${max} characters`)
      .refine((typed) => typed === '' || hasVisibleText(typed), invisibleOnly),
  );

/** Trimmed, bounded text with something visible in it, and no control character or other non-text. */
export const text = (max = 200) => requiredText(z.string().trim(), max);

/**
 * Text kept as typed, by text()'s rule otherwise (line breaks and tabs are text): a module's Markdown body, whose
 * leading spaces and final line break are part of it (four spaces begin a code block).
 */
export const untrimmedText = (max: number) => requiredText(z.string(), max);

/**
 * Optional free text (a headline, a note, a detail) by the same rule as text(), except that empty is allowed and
 * means "none": so is text with nothing visible in it (only spaces or invisible marks), given on as ''.
 */
export const optionalText = (max = 200) =>
  written(z.string().trim().max(max, `must be at most ${max} characters`)).transform(optionalTextAsStored);

/**
 * A person's name, as the domain stores it (server/services/accounts/names.ts): composed (NFC), trimmed, at most `max`
 * characters, no control characters.
 */
export const personName = (max?: number) =>
  z.string().transform((typed, ctx) => {
    const problem = personNameProblem(typed, max);
    if (!problem) return storedPersonName(typed);
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });

/**
 * An optional person's name (an organisation's contact): nothing visible in it means "none", given on as '' (see
 * optionalText), though an override or a NUL in it is still refused; else personName's rule.
 */
export const optionalPersonName = (max?: number) =>
  z.string().transform((typed, ctx) => {
    const visible = hasVisibleText(typed);
    const problem = visible ? personNameProblem(typed, max) : writtenTextProblem(typed);
    if (!problem) return visible ? storedPersonName(typed) : '';
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });

/**
 * An IANA time zone name (Area/Place, or UTC), stored as the zone database spells it ("europe/paris" →
 * "Europe/Paris"): the same rule as her own zone chooser (server/services/accounts/timeZones.ts), so a zone an admin,
 * a cohort or a profile sets is always one her account page can show and select.
 */
export const timezone = z.string().transform((input, ctx) => {
  const zone = timeZoneNamed(input);
  if (zone) return zone;
  ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as Europe/London' });
  return z.NEVER;
});

/**
 * An email address as typed in a form or an API body, given on in its one stored form (`canonicalEmail`: an
 * internationalised domain typed in Unicode or punycode is the same address); refused, at its field, when no mail
 * could reach it: with `message` when it has no shape of an address, else with what is wrong with it.
 */
export const emailAddress = (message = 'must be an email address') =>
  z
    .string({ error: message })
    .transform((typed, ctx) => {
      const checked = checkedEmail(typed);
      if ('email' in checked) return checked.email;
      ctx.addIssue({ code: 'custom', message: checked.problem === notAnEmailAddress ? message : checked.problem });
      return z.NEVER;
    })
    .meta({ format: 'idn-email' });

/**
 * The years a date typed in Pathways can fall in. A date field takes any four digits, so a year typed short or with a
 * slip ("0027", "1027") is a real calendar date that nobody meant: a career outcome or a certificate dated in the
 * year 27 was saved, and the certificate shown as long expired. Nothing Pathways records happened before 1900 or is
 * planned after 2199.
 */
export const dateYears = { first: 1900, last: 2199 } as const;

const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * What is wrong with a date written YYYY-MM-DD, in one message: its form, else the day or month that does not exist
 * ("2027-02-30" is in the form asked for, so "must be a date as YYYY-MM-DD" told her nothing), else its year.
 */
function dateProblem(text: string): string | null {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!parts) return 'must be a date as YYYY-MM-DD';
  const [year, month, day] = parts.slice(1).map(Number) as [number, number, number];
  if (month < 1 || month > 12) return `must be a real date: there is no month ${String(month).padStart(2, '0')}`;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth)
    return `must be a real date: ${monthNames[month - 1]} ${year} has ${daysInMonth} days`;
  if (year < dateYears.first || year > dateYears.last)
    return `must be a date from ${dateYears.first} to ${dateYears.last}: check the year`;
  return null;
}

/** YYYY-MM-DD that is a real calendar date, in a year of dateYears; one message saying what is wrong (dateProblem). */
export const isoDate = z
  .string({ message: 'must be a date as YYYY-MM-DD' })
  .superRefine((text, ctx) => {
    const problem = dateProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ format: 'date' });
/**
 * An ISO 8601 instant with any offset (Z, ±hh, ±hhmm, ±hh:mm; see parseIsoInstant), given on as the same instant in
 * UTC ("2027-03-02T09:30:00-03" → "2027-03-02T12:30:00.000Z"), so whoever reads it with `new Date()` reads it right.
 */
export const isoDateTime = z
  .string()
  .transform((text, ctx) => {
    const instant = parseIsoInstant(text);
    if (instant) return instant.toISOString();
    // In a query string an unescaped "+" arrives as a space ("…09:30:00+01:00" as "…09:30:00 01:00"): say so, as
    // the offset she wrote is not missing.
    const plusAsSpace = parseIsoInstant(text.replace(/ (?=\d{2}(:?\d{2})?$)/, '+'));
    ctx.addIssue({
      code: 'custom',
      message: plusAsSpace
        ? 'has a space where its offset’s "+" should be: in a query string write "+" as %2B, such as 2027-03-02T09:30:00%2B01:00'
        : 'must be a date and time with an offset, such as 2027-03-02T09:30:00Z',
    });
    return z.NEVER;
  })
  .meta({ format: 'date-time' });

/**
 * A whole number in a query string or a web form's text field, written in decimal digits and nothing else.
 * `z.coerce.number()` read a list (`limit[]=5`), "0x10", "1e1", " 5" and "" as numbers nobody wrote (a meeting of
 * "1e2" minutes was stored as 100); each is a 422 naming the field. The OpenAPI document shows it as the integer it
 * stands for.
 */
export const wholeNumberParam = (props: {
  min: number;
  max: number;
  notWhole?: string;
  tooSmall?: string;
  tooBig?: string;
}) => {
  const {
    min,
    max,
    notWhole = 'must be a whole number',
    tooSmall = `must be at least ${min}`,
    tooBig = `must be at most ${max}`,
  } = props;
  return z
    .string({ error: notWhole })
    .regex(/^\d+$/, notWhole)
    .transform(Number)
    .pipe(z.number().min(min, tooSmall).max(max, tooBig))
    .meta({ type: 'integer', minimum: min, maximum: max } as Record<string, unknown>);
};

/** List paging: ?limit= (1–200, default 50) and ?cursor=. */
export const paging = {
  limit: wholeNumberParam({ min: 1, max: 200 }).default(50),
  cursor: z.string().max(200).optional(),
};
