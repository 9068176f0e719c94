import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';

/**
 * The one way Pathways writes a PDF (certificates, panel readiness records): a pdfkit document with DejaVu Sans
 * embedded, so a name prints as it is spelt whatever its letters (Nguyễn, Łucja, Ngāti, Ἀθηνᾶ, Ольга, زينب).
 * pdfkit's built-in Helvetica holds Western European letters only and printed the rest wrongly. DejaVu Sans covers
 * the Latin, Greek, Cyrillic, Arabic, Hebrew, Armenian and Georgian alphabets; it has no Chinese, Japanese, Korean or
 * Indic letters (README, Limits). pdfkit embeds only the letters a document uses, so a certificate stays small.
 */
const fontFiles = (() => {
  const require = createRequire(import.meta.url);
  // Read once per process: the files never change while it runs, and every PDF needs them.
  return {
    regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
    bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
  };
})();

export type PdfLineOptions = PDFKit.Mixins.TextOptions & { bold?: boolean };

export type PathwaysPdf = {
  doc: PDFKit.PDFDocument;
  /** Writes a paragraph in the document's font, bold if asked, at the document's current size and colour. */
  line: (text: string, options?: PdfLineOptions) => PDFKit.PDFDocument;
  /** The whole file, once `doc.end()` has been called. */
  finished: Promise<Buffer>;
};

export function createPdf(options: PDFKit.PDFDocumentOptions): PathwaysPdf {
  const doc = new PDFDocument(options);
  doc.registerFont('Pathways', fontFiles.regular);
  doc.registerFont('Pathways-Bold', fontFiles.bold);
  doc.font('Pathways');
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const line = (text: string, { bold = false, ...textOptions }: PdfLineOptions = {}) =>
    // Without `features` pdfkit shapes each word on its own, which drops the spaces of a right-to-left line; with
    // them (none beyond the font's defaults) fontkit shapes the whole line as one run, so an Arabic or Hebrew name
    // reads right to left with its spaces.
    doc.font(bold ? 'Pathways-Bold' : 'Pathways').text(text, { features: [], ...textOptions });
  return { doc, line, finished };
}
