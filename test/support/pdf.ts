import { inflateSync } from 'node:zlib';
import type { Stream } from 'node:stream';

/** Collects a binary response body (supertest only buffers text and JSON by itself). */
export const binaryBody = (res: Stream, done: (error: Error | null, body: Buffer) => void): void => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

/**
 * The text lines of a PDF written by pdfkit with its standard fonts: each line is one TJ array of hex strings (split
 * by kerning numbers) in a deflated content stream. Enough to assert what a reader sees, not a general PDF parser.
 */
export function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  for (const stream of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(stream[1]!, 'latin1')).toString('latin1');
    } catch {
      continue;
    }
    for (const array of content.matchAll(/\[([^\]]*)\]\s*TJ/g))
      lines.push(
        [...array[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''),
      );
  }
  return lines.join('\n');
}
