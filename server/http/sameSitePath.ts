/**
 * A path of this site that a redirect or a link may go to: one `/` then anything but another `/` or a `\` (a browser
 * reads `/\evil.example` as `//evil.example`, another site), no control character or space (a browser drops tabs and
 * newlines from an address, so `/\t/evil.example` is `//evil.example` too), and no scheme. Everything else is none.
 */
export function sameSitePath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  if (!/^\/(?![/\\])/.test(value)) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(value)) return null;
  return value;
}
