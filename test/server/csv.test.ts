import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { toCsv } from '../../server/csv.ts';

describe('CSV exports (server/csv.ts, used by every export)', () => {
  const awkward = [
    'Smith, Jo',
    'Jo "JJ" Smith',
    'two\nlines',
    'carriage\r\nreturn',
    ' padded ',
    '=1+1',
    '+44 20 7946 0000',
    '-2',
    '@SUM(A1)',
    '\tTabbed',
    '\rReturned',
    '=HYPERLINK("http://evil.example","click")',
    'plain',
    '',
  ];

  it('writes what a spreadsheet reads back cell for cell, with formula-like cells made text by a leading apostrophe', () => {
    const csv = toCsv({ header: ['Name', 'Value'], rows: awkward.map((cell, i) => [cell, i]) });
    const parsed = parse(csv, { relax_column_count: false }) as string[][];
    const escaped = (cell: string) => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);
    expect(parsed).to.deep.equal([['Name', 'Value'], ...awkward.map((cell, i) => [escaped(cell), String(i)])]);
    expect(parsed.map((row) => row[0]).filter((cell) => /^[=+\-@\t\r]/.test(cell!))).to.deep.equal([]);
  });

  it('escapes exactly the cells that start with =, +, -, @, tab or CR, and only at the start', () => {
    const cells = (csv: string) => (parse(csv) as string[][])[1]!;
    expect(cells(toCsv({ header: ['a'], rows: [['=1+1']] }))).to.deep.equal(["'=1+1"]);
    expect(cells(toCsv({ header: ['a', 'b', 'c', 'd', 'e'], rows: [['+', '-', '@', '\t', '\r']] }))).to.deep.equal([
      "'+",
      "'-",
      "'@",
      "'\t",
      "'\r",
    ]);
    expect(cells(toCsv({ header: ['a', 'b'], rows: [['1+1=2', 'a@b.example']] }))).to.deep.equal([
      '1+1=2',
      'a@b.example',
    ]);
  });

  it('quotes every cell holding a semicolon or tab, so a reader splitting on either never starts a cell inside it', () => {
    const csv = toCsv({
      header: ['Name', 'n'],
      rows: [
        ['Eve;=1+2;@SUM(1;1);-3', 1],
        ['Tab\t=1+2', 2],
        ['Eve', 3],
      ],
    });
    expect(csv).to.equal('Name,n\r\n"Eve;=1+2;@SUM(1;1);-3",1\r\n"Tab\t=1+2",2\r\nEve,3\r\n');
  });

  it('writes numbers, booleans, dates (ISO 8601) and empty values as text, one CRLF-ended line per row', () => {
    const csv = toCsv({
      header: ['n', 'neg', 'yes', 'at', 'none', 'missing'],
      rows: [[12, -3, true, new Date('2027-01-02T03:04:05Z'), null, undefined]],
    });
    expect(csv).to.equal("n,neg,yes,at,none,missing\r\n12,'-3,true,2027-01-02T03:04:05.000Z,,\r\n");
  });

  it('also quotes the header and escapes it, and writes a header-only file when there are no rows', () => {
    expect(parse(toCsv({ header: ['=cmd', 'a,b'], rows: [] }))).to.deep.equal([["'=cmd", 'a,b']]);
  });
});
