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
 * Cells quoted beyond csv-stringify's own (a comma, quote or line break): spaces at either end, which a spreadsheet
 * would trim, and a semicolon or tab anywhere. Excel in a locale whose list separator is ';' (de, fr, nl, es, it…)
 * splits an unquoted CSV line on ';', and some readers split on tab, so `Eve;=1+2` would arrive as a second cell
 * `=1+2` that the leading apostrophe never saw (OWASP's CSV-injection page warns of the field separator starting a new
 * cell). Inside quotes neither is a separator in any dialect, so the cell stays one cell whose first character was
 * checked; an apostrophe after each separator would be seen in every name that holds one, and is not needed.
 */
const quotedBeyondRfc4180 = /^\s|\s$|[;\t]/;

/**
 * The one CSV writer of every export: a header line, then one line per row, each cell made spreadsheet-safe, and
 * RFC 4180 framing by csv-stringify (CRLF line ends; cells with a comma, quote or line break quoted, and those of
 * quotedBeyondRfc4180; quotes doubled). The caller adds a byte-order mark if it serves the file to Excel.
 */
export function toCsv(props: { header: readonly string[]; rows: readonly (readonly CsvCell[])[] }): string {
  return stringify(
    [props.header, ...props.rows].map((row) => row.map(spreadsheetSafe)),
    { record_delimiter: 'windows', quoted_match: quotedBeyondRfc4180 },
  );
}
