import { expect } from 'chai';
import { createPdf } from '../../server/pdf.ts';
import { pdfAccessibility, pdfText } from '../support/pdf.ts';

/**
 * server/pdf.ts prints the letters DejaVu Sans lacks in Noto fallbacks, run by run. A readiness record lists a whole
 * panel: its members' names in Chinese or Hindi run on past the first page, and each must still be one marked line.
 */
describe('PDFs: lines in fallback fonts', () => {
  it('a record of 60 panel members with Chinese and Hindi names turns the page, every line still one marked heading or paragraph', async () => {
    const { doc, line, finish } = await createPdf({ size: 'A4', margin: 50, info: { Title: 'Readiness record' } });
    const names = Array.from({ length: 60 }, (_, i) => (i % 2 ? `王秀英 ${i} (Chair)` : `प्रिया शर्मा ${i} (Clerk)`));
    doc.fontSize(12);
    for (const [i, name] of names.entries())
      line(name, i % 3 ? {} : { role: 'H2', underline: true, bold: i % 2 === 1 });
    const pdf = await finish();
    const read = await pdfAccessibility(pdf);
    expect(read.unmarked, 'nothing drawn outside the structure, on either page').to.equal(0);
    expect(read.structure.map((element) => element.actualText)).to.deep.equal(names);
    expect(read.structure.filter((element) => element.role === 'H2')).to.have.length(20);
    const printed = (await pdfText(pdf)).split('\n');
    expect(printed.filter((text) => text.startsWith('王秀英'))).to.deep.equal(names.filter((n) => n.startsWith('王')));
    expect(printed, 'a line of several fonts prints as one line').to.have.length(60);
    expect(printed.join('')).to.not.include('\u0000');
  });
});
