/**
 * The options a person picks from (a quiz question's choices, a survey question's): each must read differently from
 * the others, or she sees two identical options, and an answer or a mark names one of them at random. Compared as
 * she reads them: ignoring case and runs of spaces.
 */
const asRead = (choice: string): string => choice.trim().replace(/\s+/g, ' ').toLowerCase();

/** What to tell the author when a choice repeats an earlier one (naming it), or undefined when they all differ. */
export function repeatedChoiceProblem(choices: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const choice of choices) {
    if (seen.has(asRead(choice))) return `lists "${choice.trim()}" twice: each choice must read differently`;
    seen.add(asRead(choice));
  }
  return undefined;
}

/**
 * A list she picked or typed (topics, offers, languages, regions) with each entry once, in her order, the first
 * spelling kept: "English, english" is one language. Stored so, a repeat never counts twice in a match's score or
 * its reasons ("you share 2 goals: interviews, interviews").
 */
export function distinctChoices<T extends string>(values: readonly T[]): T[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = asRead(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
