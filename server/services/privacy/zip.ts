import { strToU8, zipSync } from 'fflate';
import { toCsv, type CsvCell } from '../../csv.ts';

type Row = Record<string, unknown>;

/**
 * A value as its cell. Dates go to the CSV writer as dates (plain ISO 8601, as in every other export) and an id as its
 * text: written as JSON they carried their JSON quotes into the cell. Other nested values are written as JSON.
 */
function cellOf(value: unknown): CsvCell {
  if (value === null || value === undefined || value instanceof Date || typeof value !== 'object') {
    return value as CsvCell;
  }
  const json = JSON.stringify(value);
  const plain: unknown = JSON.parse(json);
  return typeof plain === 'string' ? plain : json;
}

/** One row per entry: an object's keys are its columns; plain values (the names she blocked) are one column. */
function csvOf(column: string, entries: unknown[]): string {
  const isRecord = (e: unknown) => !!e && typeof e === 'object' && !Array.isArray(e) && !(e instanceof Date);
  const rows = entries.map((e): Row => (isRecord(e) ? (e as Row) : { [column]: e }));
  const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return toCsv({ header, rows: rows.map((r) => header.map((h) => cellOf(r[h]))) });
}

/**
 * The export as a zip: `data.json` (the whole document) and one CSV per list in each area (`learning-completions.csv`,
 * `account-profile.csv`…), for people who open their data in a spreadsheet. Lists of objects become one row each,
 * a list of plain values one column; a single object (a profile) one row; nested values are written as JSON in their
 * cell. A list she has nothing in is still a file, holding only the byte-order mark: its columns are named by its
 * entries, so it has no header either.
 */
export function exportZip(document: { areas: Record<string, unknown> }): Uint8Array {
  const files: Record<string, Uint8Array> = { 'data.json': strToU8(JSON.stringify(document, null, 2)) };
  for (const [area, section] of Object.entries(document.areas)) {
    if (!section || typeof section !== 'object') continue;
    for (const [key, value] of Object.entries(section as Row)) {
      const entries: unknown[] = [value ?? []].flat();
      // A byte-order mark so spreadsheet programs read the file as UTF-8.
      files[`${area}-${key}.csv`] = strToU8(`\uFEFF${entries.length ? csvOf(key, entries) : ''}`);
    }
  }
  return zipSync(files, { level: 6 });
}
