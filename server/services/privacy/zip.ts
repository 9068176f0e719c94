import { strToU8, zipSync } from 'fflate';
import { toCsv, type CsvCell } from '../../csv.ts';
import { personalDataAreas } from './areas.ts';

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

/**
 * One row per entry under the list's declared columns, then any key an entry has that they do not name (so nothing
 * of hers is left out of the spreadsheet); plain values (the names she blocked) are its one column.
 */
function csvOf(columns: readonly string[], entries: unknown[]): string {
  const isRecord = (e: unknown) => !!e && typeof e === 'object' && !Array.isArray(e) && !(e instanceof Date);
  const rows = entries.map((e): Row => (isRecord(e) ? (e as Row) : { [columns[0]!]: e }));
  const header = [...new Set([...columns, ...rows.flatMap((r) => Object.keys(r))])];
  return toCsv({ header, rows: rows.map((r) => header.map((h) => cellOf(r[h]))) });
}

/**
 * The export as a zip: `data.json` (the whole document) and one CSV per list in each area (`learning-completions.csv`,
 * `account-profile.csv`…), for people who open their data in a spreadsheet. Lists of objects become one row each,
 * a list of plain values one column; a single object (a profile) one row; nested values are written as JSON in their
 * cell. Each file has its header row, the columns its area declares (`columns`, server/services/privacy/areas.ts),
 * also when she has nothing in that list: it says what is kept there, and a program reads the same columns every time.
 */
export function exportZip(document: { areas: Record<string, unknown> }): Uint8Array {
  const files: Record<string, Uint8Array> = { 'data.json': strToU8(JSON.stringify(document, null, 2)) };
  const declared = new Map(personalDataAreas.map((area) => [area.area, area.columns]));
  for (const [area, section] of Object.entries(document.areas)) {
    if (!section || typeof section !== 'object') continue;
    for (const [key, value] of Object.entries(section as Row)) {
      const entries: unknown[] = [value ?? []].flat();
      // A byte-order mark so spreadsheet programs read the file as UTF-8.
      files[`${area}-${key}.csv`] = strToU8(`\uFEFF${csvOf(declared.get(area)?.[key] ?? [key], entries)}`);
    }
  }
  return zipSync(files, { level: 6 });
}
