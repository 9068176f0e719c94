/**
 * Text a reader can see: at least one letter, digit, punctuation mark or symbol. White space and Unicode's invisible
 * format marks (Cf: zero-width spaces, joiners, direction marks) are not, and trim() leaves the marks; nor are the
 * combining marks on their own (the combining grapheme joiner U+034F, the variation selectors, the Khmer inherent
 * vowels, the Mongolian variation selectors: they change the letter before them and render nothing without one), nor
 * the letters that render as blank space (the Hangul fillers, the blank Braille pattern), which pass as "a letter" but
 * show nothing. A title or a name of only those was saved as written and listed as a row nobody could see or click.
 */
const visibleCharacter = /(?![\u115F\u1160\u2800\u3164\uFFA0])[\p{L}\p{N}\p{P}\p{S}]/u;

/** What a field of only those is told. */
export const invisibleOnly = 'is required: it has only spaces or invisible characters';

export const hasVisibleText = (text: string): boolean => visibleCharacter.test(text);

/**
 * The explicit direction embeddings, overrides and isolates (U+202A–202E, U+2066–2069). Nobody types one in a name:
 * an unclosed right-to-left override reverses what follows it on a register, a CSV or the public signatory list.
 * The direction marks (U+200E, U+200F, U+061C), which right-to-left writing does use, are not among them.
 */
export const directionControls = /[\u202A-\u202E\u2066-\u2069]/u;

const directionControlsEverywhere = new RegExp(directionControls, 'gu');

/**
 * A name or title set apart from the words around it, for plain text (HTML has `<bdi>`): U+2068 FIRST STRONG ISOLATE
 * before it and U+2069 POP DIRECTIONAL ISOLATE after, its own direction controls taken out so the pair closes. Left
 * bare, a number after a right-to-left name joins its run: "فاطمة الزهراء: 3 modules" shows as
 * "3 :فاطمة الزهراء modules".
 */
export const isolatedText = (text: string): string => `\u2068${text.replace(directionControlsEverywhere, '')}\u2069`;

/**
 * The direction controls of a text, each alone, except a pair isolatedText wrote (an isolate with no control inside it,
 * which closes where it opened): what the mailer takes out of every email.
 */
export const directionControlsButIsolates = /\u2068[^\u202A-\u202E\u2066-\u2069]*\u2069|[\u202A-\u202E\u2066-\u2069]/gu;

/** What a field holding one is told. */
export const directionOverride =
  'must not contain a text-direction override (U+202A to U+202E, U+2066 to U+2069): it reverses the letters after it';

/**
 * Code points that are not text: the noncharacters (U+FFFE, U+FFFF, U+FDD0 to U+FDEF and the last two of every plane)
 * and half of a surrogate pair on its own (a JSON body can send "\ud800"). Nobody types one; U+FFFE and U+FFFF cannot
 * be written in XML at all, so an organisation's name holding one made its Pledge badge an SVG no browser would draw.
 */
export const notText = /[\p{Noncharacter_Code_Point}\p{Cs}]/u;

/** What a field holding one is told. */
export const notTextMessage =
  'must not contain a character that is not text (such as U+FFFE or U+FFFF, or half of a character): remove it';

/**
 * Control characters (NUL and the like, pasted from a file or another program): nobody means one and they are not
 * shown; tabs and line breaks are text.
 */
// eslint-disable-next-line no-control-regex
export const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** What a field holding one is told. */
export const controlCharacterMessage = 'contains a control character (such as NUL) that cannot be saved: remove it';

/**
 * The characters written text may not hold, each with what a field holding one is told: the one rule for every free
 * text field (server/http/validate.ts's text() and optionalText(), and a service that takes text itself, such as a
 * register's notes). An override reverses the text after it where it is shown (a directory card, a CSV, an email); a
 * NUL or a noncharacter breaks the files and viewers it reaches.
 */
export const notWrittenText = [
  { characters: directionControls, message: directionOverride },
  { characters: notText, message: notTextMessage },
  { characters: controlCharacter, message: controlCharacterMessage },
] as const;

/**
 * The text without the characters notWrittenText refuses: what an edit form shows of text stored before the rule held
 * it (a module's body), saying so, so that she can save it again; left in, the unseen character refused every save.
 */
export const withoutNonText = (text: string): string =>
  notWrittenText.reduce((kept, rule) => kept.replace(new RegExp(rule.characters.source, 'gu'), ''), text);

/** What is wrong with this text's characters (notWrittenText), or null when it may be stored. */
export const writtenTextProblem = (text: string): string | null =>
  notWrittenText.find((rule) => rule.characters.test(text))?.message ?? null;

/**
 * Optional text as stored: trimmed, and empty when nothing in it is visible; a pasted zero-width space is no headline
 * or note, and an optional field's "nothing" is empty.
 */
export const optionalTextAsStored = (typed: string): string => {
  const trimmed = typed.trim();
  return hasVisibleText(trimmed) ? trimmed : '';
};

/**
 * Text as a reader tells two names apart, for the rules that ask "is this the same name?" (a mentee's school and a
 * mentor's): composed and with compatibility forms folded (NFKC: "é" typed on a Mac as e and a combining accent, a
 * full-width letter), case-folded (upper- then lower-cased, so "ß" is "ss" and a final sigma a sigma), and without
 * spaces or invisible format characters (a zero-width space from a paste). Two names with the same key look alike.
 */
export const comparableText = (text: string): string =>
  text
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .replace(/[\s\p{Cf}]+/gu, '');
