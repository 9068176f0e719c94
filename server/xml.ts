/**
 * What XML 1.0 cannot hold, escaped or not (its Char production: C0 controls but tab and line ends, U+FFFE, U+FFFF, a
 * lone surrogate), and the other noncharacters. Names holding one are refused when typed (server/visibleText.ts
 * `notText`), but a name stored before that rule would make the XML it is written into (the Pledge badge, a PDF's
 * metadata) unreadable, so they are left out here too.
 */
const notInXml = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]|\p{Noncharacter_Code_Point}/gu;

const xmlEntities: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };

/** Text as XML element content or an attribute value: markup characters escaped, characters XML cannot hold left out. */
export const escapeXml = (text: string): string =>
  text.replace(notInXml, '').replace(/[<>&"']/g, (c) => xmlEntities[c]!);
