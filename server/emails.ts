import ejs from 'ejs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const emailViews = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../views/emails');

/**
 * Renders views/emails/<name>.text.ejs and <name>.html.ejs (the HTML part is optional).
 * Every email has a plain-text part; HTML wraps the same words in views/emails/_layout.
 */
export async function renderEmail(
  name: string,
  data: Record<string, unknown>,
): Promise<{ text: string; html: string }> {
  const text = await ejs.renderFile(path.join(emailViews, `${name}.text.ejs`), data, { async: true });
  const body = await ejs.renderFile(path.join(emailViews, `${name}.html.ejs`), data, { async: true });
  const html = await ejs.renderFile(path.join(emailViews, '_layout.html.ejs'), { ...data, body }, { async: true });
  return { text: text.trim() + '\n', html };
}
