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

type XmlElement = { name: string; children: (XmlElement | string)[] };

const xmlReference = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;
const xmlDecoded: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** Text or an attribute value with its references read, refusing a bare "&" as XML does. */
function xmlText(raw: string, at: number): string {
  if (raw.replace(xmlReference, '').includes('&')) throw new Error(`Not well-formed XML: a bare "&" at ${at}`);
  return raw.replace(xmlReference, (ref) =>
    ref[1] === '#'
      ? String.fromCodePoint(Number(ref[2] === 'x' ? `0${ref.slice(2, -1)}` : ref.slice(2, -1)))
      : xmlDecoded[ref.slice(1, -1)]!,
  );
}

/**
 * XML read as strictly as a conforming parser reads it, for what an XMP packet uses (elements, attributes, text,
 * references, processing instructions, comments): it throws at the first thing not well-formed (a bare "&" or "<",
 * a tag closed out of order, a character XML cannot hold, two root elements). No XML parser is among the project's
 * packages, and pdf.js's own is lenient (it read "Head & deputy <2027>" as "Head & deputy" and went on).
 */
function parseXml(xml: string): XmlElement {
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(xml))
    throw new Error('Not well-formed XML: a character XML cannot hold');
  const name = '[A-Za-z_][\\w.:-]*';
  const token = new RegExp(
    `<\\?${name}(?:\\s[^]*?)?\\?>|<!--[^]*?-->|<\\/(${name})\\s*>|<(${name})((?:\\s+${name}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(\\/?)>|[^<]+`,
    'y',
  );
  const top: XmlElement = { name: '', children: [] };
  const open: XmlElement[] = [top];
  while (token.lastIndex < xml.length) {
    const at = token.lastIndex;
    const match = token.exec(xml);
    if (!match) throw new Error(`Not well-formed XML at ${at}: ${JSON.stringify(xml.slice(at, at + 40))}`);
    const [whole, closing, opening, attributes, selfClosing] = match;
    const current = open.at(-1)!;
    if (closing) {
      if (current.name !== closing)
        throw new Error(`Not well-formed XML at ${at}: </${closing}> closes <${current.name}>`);
      open.pop();
    } else if (opening) {
      for (const [, value] of attributes!.matchAll(/=\s*(?:"([^"]*)"|'([^']*)')/g)) xmlText(value ?? '', at);
      const element: XmlElement = { name: opening, children: [] };
      if (current === top && top.children.some((child) => typeof child !== 'string'))
        throw new Error(`Not well-formed XML at ${at}: a second root element`);
      current.children.push(element);
      if (!selfClosing) open.push(element);
    } else if (!whole.startsWith('<')) {
      if (current === top && whole.trim()) throw new Error(`Not well-formed XML at ${at}: text outside the root`);
      current.children.push(xmlText(whole, at));
    }
  }
  if (open.length > 1) throw new Error(`Not well-formed XML: <${open.at(-1)!.name}> is never closed`);
  const root = top.children.find((child) => typeof child !== 'string');
  if (!root) throw new Error('Not well-formed XML: no root element');
  return root;
}

/**
 * The XMP packet of a PDF (the XML metadata stream that PDF/UA requires to carry the title), parsed as XML (it throws
 * if the packet is not well-formed), and what it says of the document: its dc:title, dc:description and dc:creator.
 * pdfkit writes the packet uncompressed, between its <?xpacket?> instructions.
 */
export function pdfXmp(pdf: Buffer): { title?: string; description?: string; creators: string[] } {
  const start = pdf.indexOf('<?xpacket begin=');
  const end = pdf.indexOf('?>', pdf.indexOf('<?xpacket end=', start));
  if (start < 0 || end < 0) throw new Error('The PDF has no XMP packet');
  const root = parseXml(pdf.subarray(start, end + 2).toString('utf8'));
  const find = (element: XmlElement, name: string): XmlElement | undefined => {
    for (const child of element.children)
      if (typeof child !== 'string') {
        const found = child.name === name ? child : find(child, name);
        if (found) return found;
      }
    return undefined;
  };
  const textOf = (element: XmlElement): string =>
    element.children.map((child) => (typeof child === 'string' ? child : textOf(child))).join('');
  const items = (name: string) => {
    const property = find(root, name);
    if (!property) return [];
    const list: XmlElement[] = [];
    const collect = (element: XmlElement) => {
      for (const child of element.children)
        if (typeof child === 'string') continue;
        else if (child.name === 'rdf:li') list.push(child);
        else collect(child);
    };
    collect(property);
    return list.map(textOf);
  };
  return { title: items('dc:title')[0], description: items('dc:description')[0], creators: items('dc:creator') };
}
