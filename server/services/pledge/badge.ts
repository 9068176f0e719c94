import { escapeXml } from '../../xml.ts';

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * The embeddable badge: a self-contained SVG with a <title> (its accessible name) and role="img". The
 * organisation's name is XML-escaped; nothing else in it comes from users.
 */
export function badgeSvg(props: { organisationName: string; year: number }): string {
  const title = `${props.organisationName} has signed the Leading Women to Headship Pledge`;
  // Cut between characters as a reader sees them (an accented letter, a character outside the BMP, an emoji), never
  // inside one, which would leave half a character drawn as "�".
  const characters = [...graphemes.segment(props.organisationName)].map((g) => g.segment);
  const shortened = characters.length > 42 ? `${characters.slice(0, 41).join('')}…` : props.organisationName;
  // Isolated (FSI … PDI): after a right-to-left name, " · 2027" would otherwise be laid out right to left with it.
  const name = `\u2068${shortened}\u2069`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="96" viewBox="0 0 320 96" role="img" aria-labelledby="badge-title">
<title id="badge-title">${escapeXml(title)}</title>
<rect width="320" height="96" rx="10" fill="#5a2a82"/>
<rect x="4" y="4" width="312" height="88" rx="8" fill="none" stroke="#ffffff" stroke-width="2"/>
<text x="160" y="30" text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="15" font-weight="700" fill="#ffffff">We have signed the</text>
<text x="160" y="52" text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="15" font-weight="700" fill="#ffffff">Leading Women to Headship Pledge</text>
<text x="160" y="78" text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12" fill="#f3e9fb">${escapeXml(name)} · ${props.year}</text>
</svg>
`;
}
