/**
 * Searching what people type for the names people have. One place for turning a typed fragment into a `$regex`
 * (MongoDB, and FerretDB's Go regexp: character classes and non-capturing groups, no lookarounds).
 */
import { plainLetters } from './plainLetters.ts';

/**
 * A typed fragment as a literal inside a regular expression. A NUL (which a query string can carry as `%00`) is
 * written as the escape `\x00`: a regular expression goes to the database as a BSON regex, whose pattern is a
 * C string that cannot hold the byte itself, and the driver would throw instead of searching.
 */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00');
}

/**
 * Each letter with the letters spelled plainly as it (plainLetters): "e" → "eèéêëēĕėęěȅȇȩẹẻẽếềểễệ…", "i" → "…İı…",
 * "d" → "…đðĐÐ", both cases; the Greek and Cyrillic letters with their accented forms too ("и" → "…йЙ…",
 * "ι" → "…ίΐϊ…"), as a name is stored with them and typed either way. From Latin-1 to Latin Extended-B, Greek,
 * Cyrillic, and Latin and Greek Extended (where Vietnamese's "ễ" and polytonic Greek are).
 */
const plainForms = new Map<string, string>();

/** Each pair of letters with the letters spelled plainly as it: "ss" → "ßẞ", "ae" → "æÆǽǼǣǢ", "th" → "þÞ", "ij" → "ĳĲ". */
const pairForms = new Map<string, string>();

for (const [start, end] of [
  [0xc0, 0x24f],
  [0x370, 0x4ff],
  [0x1e00, 0x1fff],
] as const)
  for (let code = start; code <= end; code += 1) {
    const letter = String.fromCodePoint(code);
    const plain = plainLetters(letter);
    if (plain === letter || !/^\p{L}{1,2}$/u.test(plain)) continue;
    const forms = plain.length === 1 ? plainForms : pairForms;
    const keys = plain.length === 1 ? [plain.toLowerCase(), plain.toUpperCase()] : [plain.toLowerCase()];
    for (const key of keys) forms.set(key, (forms.get(key) ?? '') + letter);
  }

/** One typed letter: itself or any letter spelled plainly as it. */
const letterPattern = (letter: string) => {
  const forms = plainForms.get(letter);
  return forms ? `[${letter}${forms}]` : escapeRegex(letter);
};

/**
 * The one form of a text kept for searching and of a fragment looked up in it, so both fold alike: letters spelled
 * plainly, lower case ("İpek Yılmaz, Großmann" is "ipek yilmaz, grossmann"). A fragment in this form is then a plain
 * substring of the text (`escapeRegex`). Folded before lower-casing: "İ" lower-cased is "i" and a combining dot.
 */
export function foldedForSearch(text: string): string {
  return plainLetters(text).toLowerCase();
}

/** Every place this text stands as a whole word (no letter or digit either side), for replacing a name in a text. */
export function wholeWordPattern(text: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(text)}(?![\\p{L}\\p{N}])`, 'gu');
}

/**
 * A pattern that finds the fragment whatever accents either side wrote, as people search for names: "bronte" finds
 * "Brontë", "Sinéad" finds "Sinead" and "SINEAD", "yilmaz" finds "Yılmaz", "ipek" finds "İpek", and "grossmann"
 * finds "Großmann" as "großmann" finds "Grossmann" (a pair of letters typed stands for the letter spelled so too). Use
 * with `$options: 'i'` (or a lower-cased field). Punctuation and spaces are matched as typed: "st. mary" does not find
 * "St Marys". Every character is a literal, a class of letters or a group of two literals or a class, so the pattern
 * grows with the fragment, with nothing to repeat or backtrack over.
 */
export function looseTextPattern(fragment: string): string {
  const typed = [...plainLetters(fragment)];
  let pattern = '';
  for (let i = 0; i < typed.length; i += 1) {
    const [letter, next] = [typed[i]!, typed[i + 1]];
    const spelledAsOne = next === undefined ? undefined : pairForms.get(`${letter}${next}`.toLowerCase());
    if (spelledAsOne) {
      pattern += `(?:${letterPattern(letter)}${letterPattern(next!)}|[${spelledAsOne}])`;
      i += 1;
    } else pattern += letterPattern(letter);
  }
  return pattern;
}
