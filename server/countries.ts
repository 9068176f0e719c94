/**
 * ISO 3166-1 alpha-2 country codes, derived from the runtime's ICU data rather than a hand-kept list or an npm
 * package: every two-letter code that Intl.DisplayNames names, that is its own canonical form (which drops
 * withdrawn codes such as BU, CS, SU, UK, YU that ICU still aliases), minus the codes ISO reserves but does not
 * assign to countries (exceptional reservations such as AC or EU, user-assigned such as XK, QO, ZZ).
 * The result is the 249 assigned codes; a test pins the count so an ICU upgrade that changes it is noticed.
 */
const notCountries = new Set([
  'AC',
  'CP',
  'CQ',
  'DG',
  'EA',
  'IC',
  'TA',
  'EU',
  'EZ',
  'UN',
  'QO',
  'XA',
  'XB',
  'XK',
  'ZZ',
]);
const englishNames = new Intl.DisplayNames(['en-GB'], { type: 'region', fallback: 'code' });

function deriveCountries(): { code: string; name: string }[] {
  const found: { code: string; name: string }[] = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (notCountries.has(code)) continue;
      const name = englishNames.of(code);
      if (!name || name === code) continue;
      if (Intl.getCanonicalLocales(`und-${code}`)[0] !== `und-${code}`) continue;
      found.push({ code, name });
    }
  }
  return found.sort((x, y) => x.name.localeCompare(y.name, 'en-GB'));
}

/** Every assigned country, sorted by English name (for the form's select). */
export const countries: readonly { code: string; name: string }[] = deriveCountries();
const byCode = new Map(countries.map((c) => [c.code, c.name]));

export const isCountryCode = (value: string): boolean => byCode.has(value);
export const countryName = (code: string): string => byCode.get(code) ?? code;
