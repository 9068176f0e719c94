import { expect } from 'chai';
import { createPdf } from '../../server/pdf.ts';
import { pdfAccessibility, pdfLinePlaces, pdfText } from '../support/pdf.ts';

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

  it('prints names in Gujarati, Odia, Telugu, Kannada, Malayalam and Sinhala letters, each line carrying the name as typed', async () => {
    // Shaped scripts: pdf.js reads the glyphs in drawn order (a vowel sign before its consonant), and a two-part vowel
    // sign drawn in two pieces (Sinhala's "ේ") as its two parts, its canonical decomposition: the printed line is
    // compared as its letters, decomposed (NFD); the ActualText that Acrobat and screen readers read is the name exactly.
    const names = ['હેતલ પટેલ', 'ଲକ୍ଷ୍ମୀ ମହାନ୍ତି', 'నాగలక్ష్మి', 'ಕಾವ್ಯ ರಾವ್', 'മീര നായർ', 'ශ්‍රියානි පෙරේරා'];
    const letters = (text: string) => [...text.normalize('NFD').replace(/[\s\p{Cc}]/gu, '')].sort().join('');
    const { line, finish } = await createPdf({ size: 'A4', margin: 50, info: { Title: 'Readiness record' } });
    for (const name of names) line(name, { role: 'H2', bold: true });
    const pdf = await finish();
    expect(await pdfText(pdf), 'no empty boxes').to.not.include('\u0000');
    // Each heading's own text (pdf.js may join close rows of tall scripts into one line of its plain text).
    const read = await pdfAccessibility(pdf);
    expect(read.structure.map((element) => letters(element.text))).to.deep.equal(names.map(letters));
    expect(read.structure.map((element) => element.actualText)).to.deep.equal(names);
    expect(read.unmarked).to.equal(0);
  });

  it('a centred title in Chinese too long for one row wraps between letters into centred rows, never starting a row with a comma', async () => {
    const { doc, line, finish } = await createPdf({
      size: 'A4',
      layout: 'landscape',
      margin: 56,
      info: { Title: 'T' },
    });
    const width = doc.page.width - 112;
    const title = '女性校长领导力发展计划：从有抱负的领导者到新任校长的完整旅程，包括辅导、指导和网络支持以及更多内容';
    doc.fontSize(20);
    line(title, { align: 'center', width, bold: true, role: 'H1' });
    line('Track: aspiring leader', { align: 'center', width });
    const pdf = await finish();
    const rows = (await pdfText(pdf)).split('\n');
    // Before, pdfkit's `continued` pieces were each centred on their own and ran off the page.
    expect(rows).to.have.length(3);
    expect(rows.slice(0, 2).join('')).to.equal(title);
    expect(rows[1]).to.not.match(/^[、，。：]/);
    // Each row inside the margins and as far from either edge: centred as a row.
    const { pageWidth, lines } = await pdfLinePlaces(pdf);
    for (const { text, left, right } of lines.slice(0, 2)) {
      expect(left, text).to.be.at.least(56 - 0.5);
      expect(right, text).to.be.at.most(pageWidth - 56 + 0.5);
      expect(Math.abs(left - (pageWidth - right)), text).to.be.below(2);
    }
    const read = await pdfAccessibility(pdf);
    expect(read.structure.map(({ role, text }) => ({ role, text }))).to.deep.equal([
      { role: 'H1', text: title },
      { role: 'P', text: 'Track: aspiring leader' },
    ]);
    expect(read.unmarked).to.equal(0);
  });
});
