/**
 * Searching what people type for the names people have. One place for turning a typed fragment into a `$regex`
 * (MongoDB, and FerretDB's Go regexp: plain character classes, no lookarounds).
 */

/** A typed fragment as a literal inside a regular expression. */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const combiningMarks = /[\u0300-\u036f]/g;

/** Each Latin letter with the accented letters that decompose to it (À–ɏ): "e" → "eèéêëēĕėęěȅȇȩ…", both cases. */
const accentedForms: Map<string, string> = (() => {
  const forms = new Map<string, string>();
  for (let code = 0xc0; code <= 0x24f; code += 1) {
    const letter = String.fromCodePoint(code);
    const base = letter.normalize('NFD').replace(combiningMarks, '');
    if (base.length !== 1 || !/[a-z]/i.test(base) || base === letter) continue;
    for (const key of [base.toLowerCase(), base.toUpperCase()]) forms.set(key, (forms.get(key) ?? '') + letter);
  }
  return forms;
})();

/**
 * A pattern that finds the fragment whatever accents either side wrote, as people search for names: "bronte" finds
 * "Brontë", "Sinéad" finds "Sinead" and "SINEAD". Use with `$options: 'i'` (or a lower-cased field). Punctuation and
 * spaces are matched as typed: "st. mary" does not find "St Marys".
 */
export function looseTextPattern(fragment: string): string {
  let pattern = '';
  for (const char of fragment.normalize('NFD').replace(combiningMarks, '')) {
    const forms = accentedForms.get(char);
    pattern += forms ? `[${char}${forms}]` : escapeRegex(char);
  }
  return pattern;
}
