import type { Stream } from 'node:stream';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
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
