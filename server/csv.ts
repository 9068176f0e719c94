import { stringify } from 'csv-stringify/sync';

/** What an export may put in a cell: dates are written as ISO 8601 (UTC), null and undefined as an empty cell. */
export type CsvCell = string | number | boolean | Date | null | undefined;

/**
 * Text a spreadsheet will not run as a formula ("CSV injection", OWASP): a cell starting with =, +, -, @, tab or
 * carriage return gets a leading apostrophe, which spreadsheets read as "this is text". Numbers go through the same
 * rule, so a negative number is written as text: exports hold counts and percentages, never negative ones.
 */
function spreadsheetSafe(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * The one CSV writer of every export: a header line, then one line per row, each cell made spreadsheet-safe, and
 * RFC 4180 framing by csv-stringify (CRLF line ends; cells with a comma, quote or line break, or with spaces at
 * either end, are quoted, quotes doubled). The caller adds a byte-order mark if it serves the file to Excel.
 */
export function toCsv(props: { header: readonly string[]; rows: readonly (readonly CsvCell[])[] }): string {
  return stringify(
    [props.header, ...props.rows].map((row) => row.map(spreadsheetSafe)),
    { record_delimiter: 'windows', quoted_match: /^\s|\s$/ },
  );
}
