/**
 * Letters spelled plainly, as people type them on a keyboard without the letter: "Brontë" as "Bronte", "Yılmaz" as
 * "Yilmaz", "Großmann" as "Grossmann". One rule for every search (server/textSearch.ts) and for the ASCII names of
 * downloads (server/fileNames.ts), so a name is found by the spelling its file is saved under.
 */

/**
 * The diacritics Unicode writes apart from their letter (NFKD), in the blocks of marks any script may put on a letter:
 * "é" is "e" and U+0301. Marks of one script (an Arabic vowel sign, a Devanagari vowel, the kana voicing mark) are
 * part of how the word is spelled and are kept.
 */
const diacritics = /[\u0300-\u036f]|[\u1ab0-\u1aff]|[\u1dc0-\u1dff]|[\u20d0-\u20ff]|[\ufe20-\ufe2f]/g;

/**
 * Latin letters Unicode does not write as a plain letter and a diacritic, so taking diacritics off leaves them: the
 * stroked letters ("Đặng" is "Dang", "Øvrebø" "Ovrebo", "Łukasz" "Lukasz"), Turkish dotless ı ("Yılmaz" is "Yilmaz";
 * its capital dotted İ is an I with a dot above, folded with the diacritics), and the letters spelled with two
 * ("Großmann" is "Grossmann", "Ærø" "AEro", "Œuvre" "OEuvre", "Þóra" "Thora").
 */
const plainSpellings: Readonly<Record<string, string>> = {
  ß: 'ss',
  ẞ: 'SS',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'Th',
  ı: 'i',
};
const spelledApart = new RegExp(`[${Object.keys(plainSpellings).join('')}]`, 'g');

/**
 * The text with its diacritics taken off and the letters above spelled plainly, case kept: "Nguyễn" → "Nguyen",
 * "İpek Yılmaz" → "Ipek Yilmaz", "Straße" → "Strasse", "ﬁ" → "fi". Composed again afterwards (NFC), so what is
 * left is written as stored text is: a Korean syllable or a voiced kana stays one character.
 */
export function plainLetters(text: string): string {
  return text
    .normalize('NFKD')
    .replace(diacritics, '')
    .normalize('NFC')
    .replace(spelledApart, (letter) => plainSpellings[letter]!);
}
