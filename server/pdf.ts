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
let fontFiles: { regular: Buffer; bold: Buffer } | undefined;
/** Read on the first PDF, then kept: the files never change while the process runs, and every PDF needs them. */
function fonts(): { regular: Buffer; bold: Buffer } {
  if (fontFiles) return fontFiles;
  const require = createRequire(import.meta.url);
  fontFiles = {
    regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
    bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
  };
  return fontFiles;
}

/** The structure a screen reader announces for a paragraph: a heading of a level, or an ordinary paragraph. */
export type PdfRole = 'H1' | 'H2' | 'P';

export type PdfLineOptions = PDFKit.Mixins.TextOptions & { bold?: boolean; role?: PdfRole };

export type PathwaysPdf = {
  doc: PDFKit.PDFDocument;
  /** Writes a paragraph in the document's font, bold if asked, at the document's current size and colour. */
  line: (text: string, options?: PdfLineOptions) => void;
  /** Draws something that carries no meaning (a border): marked so that assistive technology skips it. */
  decoration: (draw: () => void) => void;
  /** Ends the document and gives the whole file. */
  finish: () => Promise<Buffer>;
};

/**
 * A tagged PDF (PDF/UA's structure): its language, its title shown instead of the file name, and every line in a
 * heading or paragraph of one "Document", so a screen reader reads certificates and records in order and can jump
 * by heading, as on the pages (WCAG applies to the documents Pathways hands out too).
 */
export function createPdf(options: PDFKit.PDFDocumentOptions & { info: { Title: string } }): PathwaysPdf {
  // PDF 1.7, the version PDF/UA builds on (pdfkit writes 1.3 unless told, which predates tagging).
  const doc = new PDFDocument({
    pdfVersion: '1.7',
    lang: 'en-GB',
    displayTitle: true,
    tagged: true,
    ...options,
  } as PDFKit.PDFDocumentOptions);
  const { regular, bold } = fonts();
  doc.registerFont('Pathways', regular);
  doc.registerFont('Pathways-Bold', bold);
  doc.font('Pathways');
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const root = doc.struct('Document');
  doc.addStructure(root);
  const line = (text: string, { bold = false, role = 'P', ...textOptions }: PdfLineOptions = {}) => {
    const element = doc.struct(role);
    root.add(element);
    // Without `features` pdfkit shapes each word on its own, which drops the spaces of a right-to-left line; with
    // them (none beyond the font's defaults) fontkit shapes the whole line as one run, so an Arabic or Hebrew name
    // reads right to left with its spaces.
    element.add(() => void doc.font(bold ? 'Pathways-Bold' : 'Pathways').text(text, { features: [], ...textOptions }));
    element.end();
  };
  const decoration = (draw: () => void) => {
    doc.markContent('Artifact', { type: 'Layout' });
    draw();
    doc.endMarkedContent();
  };
  const finish = () => {
    root.end();
    doc.end();
    return finished;
  };
  return { doc, line, decoration, finish };
}
