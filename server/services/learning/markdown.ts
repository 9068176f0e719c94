import { LRUCache } from 'lru-cache';
import { marked, type Token, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { escapeRegex } from '../../textSearch.ts';

/**
 * Module bodies are Markdown written by admins and facilitators. Two layers keep them safe:
 * 1. on save, raw HTML that is not on the safe list (and links with unsafe schemes) is removed from the Markdown
 *    itself, so no stored body and no API response ever carries a script or an event handler;
 * 2. on render, the HTML marked produces is sanitised again with the same list (defence in depth).
 * Links never open a new window (no unexpected change of context, WCAG 3.2); every author-given `target` is
 * dropped and every link carries rel="noopener noreferrer".
 */
const safeSchemes = ['http', 'https', 'mailto'];

/** A `lang` value as a BCP 47 language tag in its canonical case ("EN-gb" → "en-GB"), or nothing. */
function languageTag(typed: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(typed.trim());
    // Intl checks the form only, and five to eight letters fit it ("welsh", "english"), though every language has a
    // code of two or three (ISO 639): such a word would tell a screen reader nothing it knows.
    return canonical && /^[a-z]{2,3}(?:-|$)/.test(canonical) ? canonical : undefined;
  } catch {
    return undefined; // "en_GB", "x-private", "": not a language tag
  }
}

/**
 * An author marks a passage in another language (`<span lang="cy">`, `<div lang="fr" dir="ltr">`) so that a screen
 * reader speaks it in that language (WCAG 3.1.2). `lang` is kept only as a BCP 47 language tag, in its canonical case,
 * and `dir` only as one of its three values; any other value is dropped, leaving the passage in the page's language.
 */
const languageAttributes = (attribs: sanitizeHtml.Attributes): sanitizeHtml.Attributes => {
  const { lang, dir, ...rest } = attribs;
  const kept: sanitizeHtml.Attributes = { ...rest };
  const tag = lang === undefined ? undefined : languageTag(lang);
  if (tag) kept.lang = tag;
  const direction = dir?.trim().toLowerCase();
  if (direction === 'ltr' || direction === 'rtl' || direction === 'auto') kept.dir = direction;
  return kept;
};

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: sanitizeHtml.defaults.allowedTags.filter(
    (tag) => !['main', 'nav', 'header', 'footer', 'aside'].includes(tag),
  ),
  allowedAttributes: {
    '*': ['lang', 'dir'],
    a: ['href', 'title', 'rel'],
    abbr: ['title'],
    th: ['scope'],
    td: ['colspan', 'rowspan'],
    ol: ['start'],
    code: [],
  },
  allowedSchemes: safeSchemes,
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    '*': (tagName, attribs) => ({ tagName, attribs: languageAttributes(attribs) }),
    a: (tagName, attribs) => {
      const { target: _target, ...rest } = attribs;
      void _target;
      return { tagName, attribs: { ...rest, rel: 'noopener noreferrer' } };
    },
    // No image is loaded from elsewhere (an outside address learns who read the page, and when): an image becomes a
    // link to it named by its description, so what the author meant is kept, and the reader chooses to open it.
    img: (_tagName, attribs) => ({
      tagName: 'a',
      attribs: { href: attribs.src ?? '', rel: 'noopener noreferrer' },
      text: attribs.alt?.trim() ? `Image: ${attribs.alt.trim()}` : 'Image',
    }),
  },
};

/** Without a `topLevel`, headings start at h2 (under the page's own h1). */
const renderOptions: sanitizeHtml.IOptions = {
  ...sanitizeOptions,
  transformTags: {
    ...sanitizeOptions.transformTags,
    h1: 'h2',
    h2: 'h3',
    h3: 'h4',
    h4: 'h5',
    h5: 'h6',
  },
};

function cleanHtmlFragment(raw: string): string {
  const closing = /^<\/([a-z][a-z0-9]*)\s*>$/i.exec(raw.trim());
  if (closing) return (sanitizeOptions.allowedTags as string[]).includes(closing[1]!.toLowerCase()) ? raw : '';
  const cleaned = sanitizeHtml(raw, sanitizeOptions);
  // An inline opening tag comes alone; sanitize-html closes it, but the closing tag follows later in the text. An
  // element that has no closing tag (an image, made a link with its words inside) keeps the one it was given, or the
  // rest of the paragraph became the link's text.
  const closesItself = /^<(img|br|hr|wbr)\b/i.test(raw.trim());
  return raw.includes('</') || closesItself ? cleaned : cleaned.replace(/<\/[a-z0-9]+>$/i, '');
}

const isSafeHref = (href: string): boolean => {
  const trimmed = href.trim().toLowerCase();
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(trimmed);
  if (scheme) return safeSchemes.includes(scheme[1]!);
  // No scheme as written. One hidden by a character reference ("&#106;avascript:") or by control characters shows
  // once another renderer decodes it (an LMS rendering the stored Markdown): a relative link needs neither, nor a
  // colon, before its path, query or fragment begins.
  const head = trimmed.split(/[/?#]/)[0]!;
  if (/[&:\\\s\p{Cc}]/u.test(head)) return false;
  return !trimmed.startsWith('//');
};

/** Removes unsafe raw HTML and unsafe link destinations from Markdown source, keeping everything else as typed. */
export function sanitizeMarkdown(source: string): string {
  let body = source.replace(/\r\n?/g, '\n').replace(/\0/g, '');
  // Removing a tag can join two halves into a new one ("<scr<b>ipt>"), so repeat until nothing changes.
  for (let pass = 0; pass < 5; pass++) {
    const replacements = new Map<string, string>();
    const tokens = marked.lexer(body);
    // A reference definition ("[x]: javascript:…") is no token of its own: the lexer keeps it in `links`, and its
    // line stays in the text unless removed here.
    for (const [label, link] of Object.entries(tokens.links ?? {})) {
      if (isSafeHref(link.href)) continue;
      const definition = new RegExp(`^ {0,3}\\[${escapeRegex(label)}\\]:[^\\n]*\\n?`, 'gim');
      for (const match of body.match(definition) ?? []) replacements.set(match, '');
    }
    marked.walkTokens(tokens, (token: Token) => {
      if (token.type === 'html') {
        const cleaned = cleanHtmlFragment(token.raw);
        if (cleaned !== token.raw) replacements.set(token.raw, cleaned);
      } else if ((token.type === 'link' || token.type === 'image') && !isSafeHref((token as Tokens.Link).href)) {
        replacements.set(token.raw, (token as Tokens.Link).text);
      }
    });
    if (replacements.size === 0) break;
    for (const [raw, cleaned] of replacements) body = body.split(raw).join(cleaned);
  }
  return body;
}

/**
 * Rendered HTML by its Markdown source and heading level. Rendering is a pure function of the two (about half a
 * millisecond for a short post: marked, then sanitize-html's parser), and a network's page renders the same posts for
 * every reader, so each process keeps the most recent results. The key is the level and the whole source, so an edited
 * body is a new entry and no process can ever answer with another process's stale HTML or another level's headings;
 * the cache only saves work, it never changes an answer.
 */
const renderedHtml = new LRUCache<string, string>({
  maxSize: 8_000_000, // characters of key and HTML together: at most 16 MB per process (2 bytes a character)
  sizeCalculation: (html, key) => html.length + key.length + 1, // at least 1: an empty body is an entry too
});

export type RenderOptions = {
  /**
   * The level the body's highest heading takes, so that the body fits the outline of the page around it: 2 under
   * the page's h1, 3 under a section's h2. Deeper headings keep their distance below it, down to h6 at most.
   * Without it, every heading moves down one level (h1 → h2 … h5 → h6).
   */
  topLevel?: 2 | 3 | 4 | 5 | 6;
};

/**
 * Moves every heading by the same number of levels, so that the highest one becomes `topLevel`. Safe on
 * sanitize-html's output: there every "<" of text and of attribute values is escaped, so "<h" only opens or closes a
 * heading.
 */
function fitHeadings(html: string, topLevel: number): string {
  const levels = [...html.matchAll(/<h([1-6])(?=[\s>])/g)].map((m) => Number(m[1]));
  if (!levels.length) return html;
  const shift = topLevel - Math.min(...levels);
  if (shift === 0) return html;
  return html.replace(
    /<(\/?)h([1-6])(?=[\s>])/g,
    (_tag, slash: string, level: string) => `<${slash}h${Math.min(6, Number(level) + shift)}`,
  );
}

/**
 * A table scrolls sideways in a box of its own, which the keyboard can reach, rather than widening the whole page on
 * a phone (WCAG 1.4.10), as the app's own tables do (`.table-wrap`). Safe on sanitize-html's output, as fitHeadings.
 */
const tablesInScrollBoxes = (html: string): string =>
  html
    .replace(/<table(?=[\s>])/g, '<div class="table-wrap" role="region" tabindex="0" aria-label="Table"><table')
    .replace(/<\/table>/g, '</table></div>');

/** Markdown → safe HTML for a page or an API response. */
export function renderMarkdown(source: string, { topLevel }: RenderOptions = {}): string {
  const key = `${topLevel ?? 0}:${source}`;
  const cached = renderedHtml.get(key);
  if (cached !== undefined) return cached;
  const parsed = marked.parse(source, { async: false, gfm: true, breaks: false }) as string;
  const html = tablesInScrollBoxes(
    topLevel ? fitHeadings(sanitizeHtml(parsed, sanitizeOptions), topLevel) : sanitizeHtml(parsed, renderOptions),
  );
  renderedHtml.set(key, html);
  return html;
}

/** A resource link is kept only with an http(s) address. */
export const isSafeResourceUrl = (url: string): boolean => /^https?:\/\/[^\s/$.?#].[^\s]*$/i.test(url.trim());
