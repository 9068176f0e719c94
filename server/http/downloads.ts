import { asciiFileNameOf, fileNameOf } from '../fileNames.ts';

/** RFC 8187's attr-char: encodeURIComponent leaves ' ( ) * as they are, which a parameter value may not hold. */
const percentEncoded = (text: string) =>
  encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The Content-Disposition of every download (RFC 6266): `filename*` (RFC 8187) names the file as its title is written,
 * in any script, and `filename` gives the ASCII form (server/fileNames.ts) to programs that read only that one. Given
 * a title and an extension, or a file's name as it was stored (an evidence file, an email's attachment).
 */
export function downloadDisposition(title: string, extension?: string): string {
  const name = extension === undefined ? storedName(title) : fileNameOf(title, extension);
  const ascii = asciiFileNameOf(name);
  return ascii === name
    ? `attachment; filename="${ascii}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${percentEncoded(name)}`;
}

/** A stored file's name, cleaned by the same rule as a title's, its extension kept. */
function storedName(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileNameOf(fileName.slice(0, dot), fileName.slice(dot + 1)) : fileNameOf(fileName, '');
}
