import type { Stream } from 'node:stream';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';

/** Collects a binary response body (supertest only buffers text and JSON by itself). */
export const binaryBody = (res: Stream, done: (error: Error | null, body: Buffer) => void): void => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

/**
 * The text of a PDF as a reader's PDF viewer extracts it (pdf.js, Firefox's viewer), one line per line of print:
 * letters are read back through each embedded font's Unicode map, so a test sees what a reader copies from the page,
 * and a letter the font could not draw comes back as U+0000 (what a viewer shows as an empty box).
 */
export async function pdfText(pdf: Buffer): Promise<string> {
  const document = await getDocument({ data: new Uint8Array(pdf), verbosity: 0, disableFontFace: true }).promise;
  try {
    const lines: string[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      let current = '';
      for (const item of (await page.getTextContent()).items) {
        if (!('str' in item)) continue;
        current += (item as TextItem).str;
        if ((item as TextItem).hasEOL) {
          lines.push(current);
          current = '';
        }
      }
      if (current) lines.push(current);
    }
    return lines.join('\n');
  } finally {
    await document.destroy();
  }
}

/**
 * Where each line of the first page is printed: its text, and how far its first letter starts and its last letter
 * ends from the page's left edge, with the page's width, so a test can tell a centred line from one run off the page.
 */
export async function pdfLinePlaces(
  pdf: Buffer,
): Promise<{ pageWidth: number; lines: { text: string; left: number; right: number }[] }> {
  const document = await getDocument({ data: new Uint8Array(pdf), verbosity: 0, disableFontFace: true }).promise;
  try {
    const page = await document.getPage(1);
    const lines: { text: string; left: number; right: number }[] = [];
    let current: { text: string; left: number; right: number } | undefined;
    for (const item of (await page.getTextContent()).items) {
      if (!('str' in item)) continue;
      const { str, transform, width, hasEOL } = item as TextItem;
      const x = transform[4] as number;
      if (str.trim()) {
        current ??= { text: '', left: x, right: x + width };
        current.left = Math.min(current.left, x);
        current.right = Math.max(current.right, x + width);
      }
      if (current) current.text += str;
      if (hasEOL && current) {
        lines.push(current);
        current = undefined;
      }
    }
    if (current) lines.push(current);
    return { pageWidth: page.view[2]! - page.view[0]!, lines };
  } finally {
    await document.destroy();
  }
}

/**
 * How assistive technology meets a PDF: whether it is tagged, its language and title (and whether a viewer shows the
 * title rather than the file name), and its structure in reading order, each element with its role and text (and
 * its ActualText, the text a reader copies instead of the glyphs drawn, where it has one).
 * Content marked as an Artifact (a border) is left out, as a screen reader leaves it out; `unmarked` counts what is
 * drawn outside both, which a screen reader cannot place (PDF/UA requires it to be none).
 */
export async function pdfAccessibility(pdf: Buffer): Promise<{
  tagged: boolean;
  language: string | undefined;
  title: string | undefined;
  showsTitle: boolean;
  structure: { role: string; text: string; actualText?: string }[];
  unmarked: number;
}> {
  const document = await getDocument({ data: new Uint8Array(pdf), verbosity: 0, disableFontFace: true }).promise;
  try {
    const { info } = (await document.getMetadata()) as { info: { Language?: string; Title?: string } };
    const preferences = (await document.getViewerPreferences()) as { DisplayDocTitle?: boolean } | null;
    const structure: { role: string; text: string; actualText?: string }[] = [];
    const painting = new Set<number>([
      OPS.constructPath,
      OPS.stroke,
      OPS.fill,
      OPS.eoFill,
      OPS.fillStroke,
      OPS.showText,
      OPS.showSpacedText,
      OPS.paintImageXObject,
    ]);
    let unmarked = 0;
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      let depth = 0;
      for (const op of (await page.getOperatorList()).fnArray) {
        if (op === OPS.beginMarkedContent || op === OPS.beginMarkedContentProps) depth++;
        else if (op === OPS.endMarkedContent) depth--;
        else if (depth === 0 && painting.has(op)) unmarked++;
      }
      const textOf = new Map<string, string>();
      let current: string | null = null;
      for (const item of (await page.getTextContent({ includeMarkedContent: true })).items) {
        if ('str' in item) {
          if (current) textOf.set(current, (textOf.get(current) ?? '') + item.str);
        } else if (item.type === 'beginMarkedContentProps') current = item.id ?? null;
        else if (item.type === 'endMarkedContent') current = null;
      }
      // pdf.js gives an element's ActualText (the text a reader copies instead of the drawn glyphs) as `alt`.
      type Node = { role?: string; type?: string; id?: string; alt?: string; children?: Node[] };
      const walk = (node: Node) => {
        const contents = (node.children ?? []).filter((child) => child.type === 'content');
        if (node.role && contents.length > 0)
          structure.push({
            role: node.role,
            text: contents.map((child) => textOf.get(child.id!) ?? '').join(''),
            ...(node.alt === undefined ? {} : { actualText: node.alt }),
          });
        for (const child of node.children ?? []) if (child.role) walk(child);
      };
      walk((await page.getStructTree()) as Node);
    }
    return {
      tagged: (await document.getMarkInfo())?.Marked === true,
      language: info.Language,
      title: info.Title,
      showsTitle: preferences?.DisplayDocTitle === true,
      structure,
      unmarked,
    };
  } finally {
    await document.destroy();
  }
}
