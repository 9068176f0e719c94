/**
 * Searching what people type for the names people have. One place for turning a typed fragment into a `$regex`
 * (MongoDB, and FerretDB's Go regexp: plain character classes, no lookarounds).
 */

/**
 * A typed fragment as a literal inside a regular expression. A NUL (which a query string can carry as `%00`) is
 * written as the escape `\x00`: a regular expression goes to the database as a BSON regex, whose pattern is a
 * C string that cannot hold the byte itself, and the driver would throw instead of searching.
 */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00');
}

const combiningMarks = /[\u0300-\u036f]/g;

/**
 * Latin letters people read as a plain letter with a stroke, though Unicode does not decompose them: "Đặng" is
 * searched as "dang", "Øvrebø" as "ovrebo", "Łukasz" as "lukasz".
 */
const strokedLetters: Record<string, string> = { đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L' };

/**
 * Each Latin letter with the accented letters that decompose to it (À–ɏ, and Ḁ–ỿ, where Vietnamese's "ễ", "ị" and
 * "ặ" are): "e" → "eèéêëēĕėęěȅȇȩẹẻẽếềểễệ…", both cases; and the stroked letters above.
 */
const accentedForms: Map<string, string> = (() => {
  const forms = new Map<string, string>();
  const add = (base: string, letter: string) => {
    for (const key of [base.toLowerCase(), base.toUpperCase()]) forms.set(key, (forms.get(key) ?? '') + letter);
  };
  for (const [start, end] of [
    [0xc0, 0x24f],
    [0x1e00, 0x1eff],
  ] as const)
    for (let code = start; code <= end; code += 1) {
      const letter = String.fromCodePoint(code);
      const base = letter.normalize('NFD').replace(combiningMarks, '');
      if (base.length !== 1 || !/[a-z]/i.test(base) || base === letter) continue;
      add(base, letter);
    }
  for (const [letter, base] of Object.entries(strokedLetters)) add(base, letter);
  return forms;
})();

/** Every place this text stands as a whole word (no letter or digit either side), for replacing a name in a text. */
export function wholeWordPattern(text: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(text)}(?![\\p{L}\\p{N}])`, 'gu');
}

/**
 * A pattern that finds the fragment whatever accents either side wrote, as people search for names: "bronte" finds
 * "Brontë", "Sinéad" finds "Sinead" and "SINEAD". Use with `$options: 'i'` (or a lower-cased field). Punctuation and
 * spaces are matched as typed: "st. mary" does not find "St Marys".
 */
export function looseTextPattern(fragment: string): string {
  let pattern = '';
  for (const typed of fragment.normalize('NFD').replace(combiningMarks, '')) {
    const char = strokedLetters[typed] ?? typed;
    const forms = accentedForms.get(char);
    pattern += forms ? `[${char}${forms}]` : escapeRegex(char);
  }
  return pattern;
}
