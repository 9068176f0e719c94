import { ValidationError } from '../../errors.ts';
import {
  directionControls,
  directionOverride,
  hasVisibleText,
  invisibleOnly,
  notText,
  notTextMessage,
} from '../../visibleText.ts';

/**
 * A person's name as she types it, in any script: the one rule every place that takes a name goes through (an admin
 * creating or editing an account, her own details, an LMS launch). Stored composed (Unicode NFC), so "Nguyễn" typed
 * on a Mac (letters followed by combining accents) is the same text as "Nguyễn" typed elsewhere: one spelling to
 * search, compare and sort. Trimmed at the ends only; what she put between her names stays.
 */

/** The longest name, in characters (code points), not UTF-16 units or bytes: "𠮷" is one. */
export const nameMaxLength = 120;

export const nameMessages = {
  required: 'is required',
  tooLong: (max: number) => `must be at most ${max} characters`,
  controlCharacters: 'must not contain line breaks, tabs or other control characters',
  invisibleOnly,
  directionControls: directionOverride,
  notText: notTextMessage,
};

/** Control characters (C0, DEL, C1) and the line and paragraph separators: nothing a name is written with. */
const controlCharacters = /[\p{Cc}\u2028\u2029]/u;

/** The name as stored: composed (NFC) and trimmed. */
export const personName = (typed: string): string => typed.normalize('NFC').trim();

/** Why this typed name cannot be stored, or null when it can (checked on the stored form, see personName). */
export function personNameProblem(typed: string, max = nameMaxLength): string | null {
  const name = personName(typed);
  if (!name) return nameMessages.required;
  if (!hasVisibleText(name)) return nameMessages.invisibleOnly;
  if (controlCharacters.test(name)) return nameMessages.controlCharacters;
  if (directionControls.test(name)) return nameMessages.directionControls;
  if (notText.test(name)) return nameMessages.notText;
  if ([...name].length > max) return nameMessages.tooLong(max);
  return null;
}

/**
 * The name to store, or a 422 at `name` whose message says what is wrong ("The name must be at most 120 characters."),
 * so a list of outcomes (a CSV import's rows) can say it too.
 */
export function checkedPersonName(typed: string): string {
  const problem = personNameProblem(typed);
  if (problem) throw new ValidationError(`The name ${problem}.`, [{ path: 'name', message: problem }]);
  return personName(typed);
}

/**
 * A name another system asserts (an LMS launch or class list), which nobody can be asked to correct: stored by the
 * same rule, with any control characters taken as a space and direction overrides and non-text (`notText`) left out,
 * or undefined when nothing visible is left of it.
 */
export function personNameFromElsewhere(asserted: string | undefined): string | undefined {
  const name = personName(
    (asserted ?? '')
      .replace(/\s*[\p{Cc}\u2028\u2029]+\s*/gu, ' ')
      .replace(new RegExp(directionControls, 'gu'), '')
      .replace(new RegExp(notText, 'gu'), ''),
  );
  // At most the characters a name may have, as typed ones: a 300,000-character name from a launch made pages of a
  // megabyte, and an account an admin could not save without renaming it first.
  const bounded = [...name].slice(0, nameMaxLength).join('').trim();
  return hasVisibleText(bounded) ? bounded : undefined;
}
