import { plainLetters } from './plainLetters.ts';

/**
 * Names of the files Pathways gives people (downloads, email attachments), made from a human title in any script:
 * "Лидеры 2027 attendance.csv", "1-1 séance.ics". Named here once, so a cohort's files are named alike everywhere.
 */

/** What no file name may hold on the systems people save to: controls, format marks, / \ : * ? " < > |. */
const notInFileNames = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029/\\:*?"<>|]+/gu;

/** The longest title kept, in characters: long enough for any cohort or programme, short of every system's limit. */
const titleMaxLength = 100;

/**
 * A file name from a title: what a file name may not hold becomes "-", runs of spaces one space, at most 100
 * characters, no dot, dash or space at either end (Windows drops a trailing dot); `untitled` when nothing is left.
 * An empty extension adds none.
 */
export function fileNameOf(title: string, extension: string, untitled = 'download'): string {
  const cleaned = title.normalize('NFC').replace(notInFileNames, '-').replace(/\s+/g, ' ');
  const trimmed = (text: string) => text.replace(/^[\s.-]+|[\s.-]+$/g, '');
  const stem = trimmed([...trimmed(cleaned)].slice(0, titleMaxLength).join('')) || untitled;
  const type = extension.replace(notInFileNames, '').replace(/\s+/g, '');
  return type ? `${stem}.${type}` : stem;
}

/** ASCII words: letters spelled plainly ("Séance" → "Seance", "Straße" → "Strasse"), anything else one dash, none at either end. */
const asciiWords = (text: string) =>
  plainLetters(text)
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/**
 * The same file name in ASCII, for the programs that read no other: "Лидеры 2027 attendance.csv" is
 * "2027-attendance.csv", "1-1 séance.ics" "1-1-seance.ics"; "download" stands for a title with no Latin letter or
 * digit ("会议.ics" is "download.ics").
 */
export function asciiFileNameOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [fileName.slice(0, dot), fileName.slice(dot + 1)] : [fileName, ''];
  const asciiExtension = asciiWords(extension);
  return `${asciiWords(stem) || 'download'}${asciiExtension ? `.${asciiExtension}` : ''}`;
}
