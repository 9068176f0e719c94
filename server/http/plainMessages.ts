import { z } from 'zod';

/**
 * zod's own wording ("Invalid input: expected number, received NaN", "Too big: expected string to have <=200
 * characters") reaches people whenever a schema gives no message of its own: in a form's error summary, after the
 * field's label, and in the API's problem details. This says the same in plain words that read after a label
 * ("Length (minutes): must be a number"). A message a schema sets itself still wins; anything not listed here keeps
 * zod's wording.
 */
type Issue = z.core.$ZodRawIssue;

const typeNames: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  // An API's JSON boolean; a form's yes/no choice is read into one before it is checked, so it never meets this.
  boolean: 'true or false',
  array: 'a list',
  object: 'a set of fields',
  date: 'a date',
};

const sizedUnits: Record<string, string> = { string: 'characters', array: 'items', set: 'items', file: 'bytes' };

const formatNames: Record<string, string> = {
  email: 'an email address like name@example.org',
  url: 'a web address such as https://example.org',
  date: 'a date as YYYY-MM-DD',
  datetime: 'a date and time with an offset, such as 2027-03-02T09:30:00Z',
  time: 'a time as HH:MM',
};

const sized = (origin: string | undefined) => (origin ? sizedUnits[origin] : undefined);

/** "a number", "a number or text", "a number, text or a list". */
const eitherOf = (names: string[]): string =>
  names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)!}` : (names[0] ?? '');

/**
 * A value of none of a union's types (an object where a number or text is expected): zod says only "Invalid input".
 * When every option refused it for its type alone, it is told which types would do; otherwise zod's wording stays.
 */
function unionMessage(branches: z.core.$ZodIssue[][]): string | undefined {
  const expected: string[] = [];
  for (const issues of branches) {
    const [issue] = issues;
    if (issues.length !== 1 || issue!.code !== 'invalid_type' || issue!.path.length) return undefined;
    const name = typeNames[issue!.expected] ?? issue!.expected;
    if (!expected.includes(name)) expected.push(name);
  }
  return expected.length ? `must be ${eitherOf(expected)}` : undefined;
}

export function plainMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null || issue.input === '') return 'is required';
      return `must be ${typeNames[issue.expected] ?? issue.expected}`;
    case 'too_small': {
      const minimum = Number(issue.minimum);
      const unit = sized(issue.origin);
      if (unit === 'characters' && minimum <= 1) return 'is required';
      if (unit === 'items' && minimum <= 1) return 'choose at least one';
      if (unit) return `must have at least ${minimum} ${unit}`;
      return issue.inclusive === false ? `must be more than ${minimum}` : `must be at least ${minimum}`;
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      const unit = sized(issue.origin);
      if (unit) return `must have at most ${maximum} ${unit}`;
      return issue.inclusive === false ? `must be less than ${maximum}` : `must be at most ${maximum}`;
    }
    case 'invalid_value':
      // A long list of codes ("applying-for-headship, interviews, …") reads as noise after a label: a form offers
      // the choices in words, and an API client has them in the OpenAPI document. (An environment variable's refusal
      // lists them all: server/config.ts.)
      if (issue.values.length > 4) return 'must be one of the options offered';
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_format': {
      const format = formatNames[issue.format];
      return format ? `must be ${format}` : 'is not in the expected form';
    }
    case 'invalid_union': {
      const message = unionMessage(issue.errors);
      return message && (issue.input === undefined || issue.input === null) ? 'is required' : message;
    }
    case 'not_multiple_of':
      return Number(issue.divisor) === 1 ? 'must be a whole number' : `must be a multiple of ${String(issue.divisor)}`;
    default:
      return undefined;
  }
}

z.config({ customError: plainMessage });
