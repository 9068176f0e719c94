import { strToU8, zipSync } from 'fflate';
import { toCsv, type CsvCell } from '../../csv.ts';

type Row = Record<string, unknown>;

const cellOf = (value: unknown): CsvCell =>
  value === null || value === undefined || typeof value !== 'object' ? (value as CsvCell) : JSON.stringify(value);

function csvOf(rows: Row[]): string {
  const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return toCsv({ header, rows: rows.map((r) => header.map((h) => cellOf(r[h]))) });
}

/**
 * The export as a zip: `data.json` (the whole document) and one CSV per list in each area (`learning-completions.csv`,
 * `account-profile.csv`…), for people who open their data in a spreadsheet. Lists of objects become one row each;
 * a single object (a profile) one row; nested values are written as JSON in their cell.
 */
export function exportZip(document: { areas: Record<string, unknown> }): Uint8Array {
  const files: Record<string, Uint8Array> = { 'data.json': strToU8(JSON.stringify(document, null, 2)) };
  for (const [area, section] of Object.entries(document.areas)) {
    if (!section || typeof section !== 'object') continue;
    for (const [key, value] of Object.entries(section as Row)) {
      const rows = Array.isArray(value) ? (value as Row[]) : value && typeof value === 'object' ? [value as Row] : [];
      // A byte-order mark so spreadsheet programs read the file as UTF-8.
      files[`${area}-${key}.csv`] = strToU8(`\uFEFF${rows.length ? csvOf(rows) : ''}`);
    }
  }
  return zipSync(files, { level: 6 });
}
