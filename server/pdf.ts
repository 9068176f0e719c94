import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import { escapeXml } from './xml.ts';

const require = createRequire(import.meta.url);

/** The little of fontkit (pdfkit's font reader) used here to know which font has a letter and how tall it sets. */
type FontMetrics = {
  hasGlyphForCodePoint: (codePoint: number) => boolean;
  unitsPerEm: number;
  ascent: number;
  descent: number;
  lineGap: number;
  'OS/2': { usWeightClass: number };
};
const fontkit = require('fontkit') as { create: (data: Buffer) => FontMetrics };

/**
 * The one way Pathways writes a PDF (certificates, panel readiness records): a pdfkit document with DejaVu Sans
 * embedded, so a name prints as it is spelt whatever its letters (Nguyễn, Łucja, Ngāti, Ἀθηνᾶ, Ольга, زينب).
 * pdfkit's built-in Helvetica holds Western European letters only and printed the rest wrongly. DejaVu Sans covers
 * the Latin, Greek, Cyrillic, Arabic, Hebrew, Armenian and Georgian alphabets; the letters it lacks (Chinese,
 * Japanese, Korean, the scripts of India and Sri Lanka, Thai) print in a Noto Sans fallback (`fallbacks` below), run
 * by run on the same line. pdfkit embeds only the letters a document uses, so a certificate stays small.
 */
let dejaVu: { regular: Buffer; bold: Buffer; metrics: FontMetrics } | undefined;
/** Read on the first PDF, then kept: the files never change while the process runs, and every PDF needs them. */
function dejaVuFonts(): { regular: Buffer; bold: Buffer; metrics: FontMetrics } {
  if (dejaVu) return dejaVu;
  const regular = readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));
  const bold = readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'));
  dejaVu = { regular, bold, metrics: fontkit.create(regular) };
  return dejaVu;
}

/**
 * The fallbacks, Google's Noto Sans from the @fontsource-variable packages (OFL): each font is split by Unicode range
 * into small WOFF2 files (`unicode.json` names the range of each), so a Chinese name reads two or three files of the
 * hundred, not the whole font. Chinese, Japanese and Korean share the Han letters: a line with kana takes them from
 * the Japanese font, a line with Hangul from the Korean one, any other line from the Chinese one, so each name's Han
 * letters have the shapes its readers expect. pdfkit's fontkit misreads WOFF2 (a composite glyph throws), so each
 * file is turned into a TrueType font by Google's own WOFF2 decoder (wawoff2); it cannot subset a variable font at
 * another weight either (re-encoding a glyph throws), so each prints at its file's default weight, outlined up to the
 * weight asked (`drawRows`). Gurmukhi is not among them: fontkit throws laying out Noto Sans Gurmukhi (ਸਿੰਘ).
 */
const scripts = [
  'noto-sans-devanagari',
  'noto-sans-bengali',
  'noto-sans-gujarati',
  'noto-sans-oriya',
  'noto-sans-tamil',
  'noto-sans-telugu',
  'noto-sans-kannada',
  'noto-sans-malayalam',
  'noto-sans-sinhala',
  'noto-sans-thai',
];
const chinese = 'noto-sans-sc';
const japanese = 'noto-sans-jp';
const korean = 'noto-sans-kr';
function fallbacks(text: string): string[] {
  if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text)) return [...scripts, japanese, chinese, korean];
  if (/\p{Script=Hangul}/u.test(text)) return [...scripts, korean, chinese, japanese];
  return [...scripts, chinese, japanese, korean];
}

type FallbackFile = { name: string; path: string; ranges: [number, number][] };
const rangesOf = new Map<string, FallbackFile[]>();
/** The files of one fallback font and the letters each holds, read from its package's `unicode.json` when first asked. */
function filesOf(family: string): FallbackFile[] {
  let files = rangesOf.get(family);
  if (files) return files;
  const folder = dirname(require.resolve(`@fontsource-variable/${family}/unicode.json`));
  const subsets = JSON.parse(readFileSync(join(folder, 'unicode.json'), 'utf8')) as Record<string, string>;
  files = Object.entries(subsets).map(([subset, range]) => {
    // "[12]" names the 12th slice of a large font, "thai" a script's subset.
    const slice = subset.replace(/^\[(\d+)\]$/, '$1');
    return {
      name: `${family}-${slice}`,
      path: join(folder, 'files', `${family}-${slice}-wght-normal.woff2`),
      ranges: range.split(',').map((part) => {
        const [from, to] = part.trim().replace(/^U\+/i, '').split('-');
        return [parseInt(from!, 16), parseInt(to ?? from!, 16)] as [number, number];
      }),
    };
  });
  rangesOf.set(family, files);
  return files;
}

let woff2: Promise<(data: Uint8Array) => Uint8Array> | undefined;
/**
 * Google's WOFF2 decoder, compiled to WebAssembly: it starts once per process, asynchronously, and then decodes at
 * once, so a line can read the fallback font it needs while it is being drawn.
 */
function woff2Decoder(): Promise<(data: Uint8Array) => Uint8Array> {
  woff2 ??= new Promise((resolve) => {
    const binding = require('wawoff2/build/decompress_binding.js') as {
      decompress: (data: Uint8Array) => Uint8Array | false;
      calledRun?: boolean;
      onRuntimeInitialized?: () => void;
    };
    const decode = (data: Uint8Array) => {
      const font = binding.decompress(data);
      if (font === false) throw new Error('A fallback font is not a valid WOFF2 file');
      return font;
    };
    if (binding.calledRun) resolve(decode);
    else binding.onRuntimeInitialized = () => resolve(decode);
  });
  return woff2;
}

type LoadedFont = { data: Buffer; metrics: FontMetrics };
const loaded = new Map<string, LoadedFont>();
/** A fallback file as a TrueType font, decoded when a line first needs it, then kept: it never changes. */
function fallbackFont(file: FallbackFile, decode: (data: Uint8Array) => Uint8Array): LoadedFont {
  let font = loaded.get(file.name);
  if (!font) {
    const data = Buffer.from(decode(readFileSync(file.path)));
    font = { data, metrics: fontkit.create(data) };
    loaded.set(file.name, font);
  }
  return font;
}

/** A piece of a line that one font prints: `font` names a fallback file, or is null for DejaVu Sans. */
type Run = { text: string; font: string | null; metrics: FontMetrics; data?: Buffer };

const joining = /[\s\p{M}\u200C\u200D]/u;
/**
 * A line cut into runs by the font that has each letter: DejaVu Sans first, then the fallbacks in their order. A
 * fallback run keeps the letters after it that it has and DejaVu lacks, and its spaces, joiners and combining marks,
 * so a shaped word (a Devanagari conjunct, a Thai syllable, a danda after Bengali) is shaped whole in one font. A
 * letter no font has stays in DejaVu, which prints its empty box as before.
 */
function runsOf(text: string, decode: (data: Uint8Array) => Uint8Array): Run[] {
  const dejaVuMetrics = dejaVuFonts().metrics;
  const order = fallbacks(text);
  const runs: Run[] = [];
  for (const letter of text) {
    const codePoint = letter.codePointAt(0)!;
    const last = runs.at(-1);
    if (
      last?.font &&
      last.metrics.hasGlyphForCodePoint(codePoint) &&
      (joining.test(letter) || !dejaVuMetrics.hasGlyphForCodePoint(codePoint))
    ) {
      last.text += letter;
      continue;
    }
    const font = fontFor(codePoint, order, decode);
    if (last && last.font === font.font) last.text += letter;
    else runs.push({ ...font, text: letter });
  }
  return runs;
}

function fontFor(codePoint: number, order: string[], decode: (data: Uint8Array) => Uint8Array): Omit<Run, 'text'> {
  const metrics = dejaVuFonts().metrics;
  if (metrics.hasGlyphForCodePoint(codePoint)) return { font: null, metrics };
  for (const family of order)
    for (const file of filesOf(family))
      if (file.ranges.some(([from, to]) => codePoint >= from && codePoint <= to)) {
        const fallback = fallbackFont(file, decode);
        if (fallback.metrics.hasGlyphForCodePoint(codePoint)) return { font: file.name, ...fallback };
      }
  return { font: null, metrics };
}

/**
 * Where a line may break: after a run of spaces, and after each Chinese or Japanese letter with the punctuation or
 * length mark that follows it ("、", "。", "ー" never start a row).
 */
const breakable =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}][\p{Pe}\p{Pf}\p{Po}\p{Lm}]*\s*|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+\s*|\s+/gu;

/** How tall a line of these runs sets at a size: as tall as its tallest font (its line gap included, as pdfkit's). */
function heightOf(runs: Run[], size: number): number {
  return Math.max(
    ...runs.map(({ metrics }) => ((metrics.ascent - metrics.descent + metrics.lineGap) / metrics.unitsPerEm) * size),
  );
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

/** pdfkit's current size and fill colour, which it keeps but does not give (`doc.fontSize()` only sets). */
type PdfState = { _fontSize: number; _fillColor?: [PDFKit.Mixins.ColorValue, number?] };

/** pdfkit's document metadata (`info`, what `options.info` set) and the method that writes its XMP packet from it. */
type XmpWriter = { info: Record<string, unknown>; _addInfo: () => void };

/**
 * From PDF 1.7 on, pdfkit 0.20 writes the document's metadata twice when it ends: as PDF strings in the Info
 * dictionary, then as an XMP packet (the XML that PDF/UA requires to carry dc:title), where it puts Title, Subject,
 * Author and Keywords as they are, unescaped. A title or a name with "&" or "<" ("Head & deputy", "O'Brien & Ali") made
 * that packet invalid XML, which XMP readers (pypdf, veraPDF, Acrobat's properties) refuse and pdf.js misreads, and a
 * title could add XML elements of its own. pdfkit has no option for it, so its XMP writer (`_addInfo`, called only by
 * `endMetadata`, after the Info dictionary is written) reads, for its duration alone, the same values escaped for XML;
 * the Info dictionary keeps them as typed (escaping them there would show "&amp;" as the title). Kept on pdfkit's own
 * writer rather than writing the packet here, so the packet stays what pdfkit makes of every other field.
 */
function writeXmpEscaped(doc: PDFKit.PDFDocument): void {
  const writer = doc as unknown as XmpWriter;
  const writeXmp = writer._addInfo;
  writer._addInfo = function (this: XmpWriter) {
    const typed = this.info;
    this.info = Object.fromEntries(
      Object.entries(typed).map(([key, value]) => [key, typeof value === 'string' ? escapeXml(value) : value]),
    );
    try {
      writeXmp.call(this);
    } finally {
      this.info = typed;
    }
  };
}

/**
 * A tagged PDF (PDF/UA's structure): its language, its title shown instead of the file name, and every line in a
 * heading or paragraph of one "Document", so a screen reader reads certificates and records in order and can jump
 * by heading, as on the pages (WCAG applies to the documents Pathways hands out too).
 */
export async function createPdf(
  options: PDFKit.PDFDocumentOptions & { info: { Title: string } },
): Promise<PathwaysPdf> {
  const decode = await woff2Decoder();
  // PDF 1.7, the version PDF/UA builds on (pdfkit writes 1.3 unless told, which predates tagging).
  const doc = new PDFDocument({
    pdfVersion: '1.7',
    lang: 'en-GB',
    displayTitle: true,
    tagged: true,
    ...options,
  } as PDFKit.PDFDocumentOptions);
  writeXmpEscaped(doc);
  const { regular, bold } = dejaVuFonts();
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
  const registered = new Set<string>();

  const fontOf = (run: Run, isBold: boolean) => {
    if (run.font === null) return isBold ? 'Pathways-Bold' : 'Pathways';
    if (!registered.has(run.font)) doc.registerFont(run.font, run.data!);
    registered.add(run.font);
    return run.font;
  };
  const widthOf = (run: Run, text: string, isBold: boolean) =>
    doc.font(fontOf(run, isBold)).widthOfString(text, { features: [] });

  /**
   * The runs of a line cut into rows that fit its width, at spaces and between two Chinese or Japanese letters (which
   * need no space to break): each row is drawn as one, centred as one, as pdfkit would wrap a line in one font.
   */
  const rowsOf = (runs: Run[], room: number, isBold: boolean): Run[][] => {
    const rows: Run[][] = [[]];
    let used = 0;
    for (const run of runs)
      for (const piece of run.text.match(breakable) ?? []) {
        const width = widthOf(run, piece.trimEnd(), isBold);
        let row = rows.at(-1)!;
        if (row.length > 0 && used + width > room) {
          const last = row.at(-1)!;
          last.text = last.text.trimEnd();
          if (!last.text) row.pop();
          rows.push((row = []));
          used = 0;
        }
        const previous = row.at(-1);
        if (previous && previous.font === run.font) previous.text += piece;
        else row.push({ ...run, text: piece });
        used += widthOf(run, piece, isBold);
      }
    const last = rows.at(-1)!.at(-1);
    if (last) last.text = last.text.trimEnd();
    return rows.filter((row) => row.length > 0);
  };

  /**
   * A line in more than one font. pdfkit centres each piece of a `continued` line on its own and sets each font's
   * top at the same height, so the pieces are placed here: side by side from where the row starts, on one baseline,
   * each row as tall as its tallest font.
   */
  const drawRows = (rows: Run[][], isBold: boolean, room: number, options: PDFKit.Mixins.TextOptions) => {
    const { align, width: _width, ...textOptions } = options;
    const state = doc as unknown as PdfState;
    const size = state._fontSize;
    // A fallback prints at its file's own weight (Noto's Chinese, Japanese and Korean files are Thin, the others
    // Regular), and pdfkit's fontkit cannot subset another weight of a variable font (re-encoding a glyph throws): a
    // line lighter than it should be is outlined in its own colour, thicker for each weight it lacks (0.016 em a
    // hundred), so Thin prints as Regular and Regular as Bold.
    const outlineWidth = (run: Run) =>
      run.font === null ? 0 : (Math.max(0, (isBold ? 700 : 400) - run.metrics['OS/2'].usWeightClass) / 100) * 0.016;
    const em = (run: Run, value: number) => (value / run.metrics.unitsPerEm) * size;
    const startX = doc.x;
    for (const row of rows) {
      const widths = row.map((run) => widthOf(run, run.text, isBold));
      const total = widths.reduce((sum, width) => sum + width, 0);
      const ascent = Math.max(...row.map((run) => em(run, run.metrics.ascent)));
      const startY = doc.y;
      let x = startX + (align === 'center' ? (room - total) / 2 : align === 'right' ? room - total : 0);
      row.forEach((run, index) => {
        const stroke = outlineWidth(run) * size;
        if (stroke > 0) {
          doc.save().lineWidth(stroke).lineJoin('round');
          if (state._fillColor) doc.strokeColor(...state._fillColor);
        }
        // pdfkit sets a font's top at y: each run comes down by what the tallest font rises above its own.
        doc.font(fontOf(run, isBold)).text(run.text, x, startY + ascent - em(run, run.metrics.ascent), {
          features: [],
          ...textOptions,
          fill: true,
          stroke: stroke > 0,
          lineBreak: false,
        });
        if (stroke > 0) doc.restore();
        x += widths[index]!;
      });
      doc.x = startX;
      doc.y = startY + heightOf(row, size);
    }
    doc.font(isBold ? 'Pathways-Bold' : 'Pathways');
  };

  const line = (text: string, { bold = false, role = 'P', ...textOptions }: PdfLineOptions = {}) => {
    const runs = runsOf(text, decode);
    const fallback = runs.some((run) => run.font !== null);
    if (!fallback) {
      const element = doc.struct(role);
      root.add(element);
      // Without `features` pdfkit shapes each word on its own, which drops the spaces of a right-to-left line; with
      // them (none beyond the font's defaults) fontkit shapes the whole line as one run, so an Arabic or Hebrew name
      // reads right to left with its spaces.
      element.add(
        () => void doc.font(bold ? 'Pathways-Bold' : 'Pathways').text(text, { features: [], ...textOptions }),
      );
      element.end();
      return;
    }
    const room = textOptions.width ?? doc.page.width - doc.page.margins.right - doc.x;
    const rows = rowsOf(runs, room, bold);
    // Rows are drawn without pdfkit's wrapping, which turns the page inside the paragraph's marked content: a
    // paragraph that no longer fits turns it here, before it begins, so the new page's content is marked too.
    const size = (doc as unknown as PdfState)._fontSize;
    const height = rows.reduce((sum, row) => sum + heightOf(row, size), 0);
    if (doc.y + height > doc.page.maxY() && doc.y > doc.page.margins.top) doc.addPage();
    // A shaped line's glyphs are in the order they are drawn (a Devanagari "ि" before its consonant), so a reader
    // copying them gets the letters out of order: its ActualText is the line as typed, which readers copy instead.
    const element = doc.struct(role, { actual: text });
    root.add(element);
    element.add(() => drawRows(rows, bold, room, textOptions));
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
