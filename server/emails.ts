import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { settings } from './settings.ts';
import { escapeHtml, TemplateCache } from './templates.ts';
import { isolatedText } from './visibleText.ts';

/**
 * The one place email templates are rendered (views/emails/<name>.text.ejs and <name>.html.ejs). Every email has a
 * plain-text part and an HTML part; each is wrapped in its layout (views/emails/_layout.*.ejs), whose footer says why
 * she receives it and, on emails she can turn off, links to stop them and to her email settings, in both parts.
 */
const emailViews = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../views/emails');

/** Why she receives it, by the layout's `footer` local (default: an account). */
const footerNotes: Record<string, string> = {
  account: 'You receive this email because you have an account on Pathways',
  pledge:
    'You receive this email because this address was used to sign the Leading Women to Headship Pledge on Pathways',
  pool: 'You receive this email because this address was used on the Pathways pool request form',
};

/**
 * A name or a title inside a sentence, printed set apart from the words around it: `<%= isolated(p.name) %>` is
 * `<bdi>…</bdi>` in an HTML part and isolated by U+2068…U+2069 in a plain-text part (isolatedText), so a number after
 * a right-to-left name stays after it ("فاطمة الزهراء: 3 modules", not "3 :فاطمة الزهراء modules").
 */
class Isolated {
  constructor(readonly text: string) {}
}

/**
 * A plain-text part is not HTML: there `<%=` prints a value as written, or "Mary O'Brien & Co" would arrive as
 * "Mary O&#39;Brien &amp; Co". HTML parts keep EJS's escaping.
 */
const asWritten = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

const isolated = (value: unknown) => new Isolated(asWritten(value));

/** Compiled once (compiling per email would halve the reminders job's throughput); development recompiles an edited one. */
const emailTemplates = new TemplateCache({
  views: emailViews,
  reloadEdits: () => settings.env === 'development',
  optionsFor: (filename) => ({
    escape: filename.endsWith('.text.ejs')
      ? (value: unknown) => (value instanceof Isolated ? isolatedText(value.text) : asWritten(value))
      : (value: unknown) => (value instanceof Isolated ? `<bdi>${escapeHtml(value.text)}</bdi>` : escapeHtml(value)),
  }),
});

/** Renders one email template (`<name>.text.ejs` or `<name>.html.ejs`). */
export function renderTemplate(file: string, data: Record<string, unknown>): string {
  if (!file.endsWith('.text.ejs') && !file.endsWith('.html.ejs'))
    throw new Error(`An email template is .text.ejs or .html.ejs: ${file}`);
  return emailTemplates.get(path.join(emailViews, file))({ ...data, isolated });
}

/** A template's two parts without the layout (what a daily digest gathers into sections). */
export function renderBody(template: string, locals: Record<string, unknown>): { text: string; html: string } {
  return {
    text: renderTemplate(`${template}.text.ejs`, locals).trim() + '\n',
    html: renderTemplate(`${template}.html.ejs`, locals),
  };
}

/**
 * Both parts in their layouts. Locals the layouts read: `subject`, `footer` ('pledge', 'pool', else an account),
 * `unsubscribeUrl` and `preferencesUrl` (the footer's two links, shown when `unsubscribeUrl` is set).
 */
export function renderEmailParts(template: string, locals: Record<string, unknown>): { text: string; html: string } {
  const body = renderBody(template, locals);
  const footerNote = footerNotes[typeof locals.footer === 'string' ? locals.footer : 'account'] ?? footerNotes.account;
  const layout = { subject: '', unsubscribeUrl: undefined, preferencesUrl: undefined, ...locals, footerNote };
  return {
    text: renderTemplate('_layout.text.ejs', { ...layout, body: body.text }).trim() + '\n',
    html: renderTemplate('_layout.html.ejs', { ...layout, body: body.html }),
  };
}

/** Emails outside the reminders pipeline (Pledge, pool requests): `data` holds the template's values and `subject`. */
export async function renderEmail(
  name: string,
  data: Record<string, unknown>,
): Promise<{ text: string; html: string }> {
  return renderEmailParts(name, data);
}

/**
 * A value for a one-line header such as Subject: a name or title holding a line break (or another control character)
 * could otherwise start a header of its own, so every run of them becomes one space.
 */
export const headerText = (value: string): string => value.replace(/[\s\p{Cc}]+/gu, ' ').trim();
