/** Reading the confirmation page of a destructive form (server/http/confirmFirst.ts, views/confirm.ejs). */

/** EJS's escapes undone, so a text can be compared with the words that produced it. */
export const unescapeHtml = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/**
 * The page's question (its h1), what it says will happen, and the form that asks to act: where it posts, its fields
 * (CSRF token and `confirmed=yes` among them), its button and its way back. Throws when the page asks nothing.
 */
export function confirmationPage(html: string) {
  const question = /<h1>([^<]*)<\/h1>/.exec(html)?.[1];
  const form =
    /<form method="post" action="([^"]+)"[^>]*>((?:(?!<\/form>)[\s\S])*?name="confirmed" value="yes"[\s\S]*?)<\/form>/.exec(
      html,
    );
  if (question === undefined || !form) throw new Error('not a confirmation page');
  const fields: Record<string, string> = {};
  for (const [, name, value] of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[unescapeHtml(name!)] = unescapeHtml(value!);
  const main = html.slice(html.indexOf('<h1>'), html.indexOf('<form', html.indexOf('<h1>')));
  return {
    question: unescapeHtml(question),
    consequences: [...main.matchAll(/<p class="prose">([^<]*)<\/p>/g)].map((m) => unescapeHtml(m[1]!)),
    action: unescapeHtml(form[1]!),
    fields,
    yes: unescapeHtml(/<button type="submit"[^>]*>([^<]*)<\/button>/.exec(form[2]!)?.[1] ?? ''),
    back: unescapeHtml(/<a href="([^"]+)">No, go back<\/a>/.exec(form[2]!)?.[1] ?? ''),
  };
}

/** The `data-confirm` dialog text of the page's form that posts to `action` (undefined when it has none). */
export function dialogOf(html: string, action: string): string | undefined {
  for (const [, formAction, text] of html.matchAll(/<form method="post" action="([^"]+)"[^>]*data-confirm="([^"]*)"/g))
    if (unescapeHtml(formAction!) === action) return unescapeHtml(text!);
  return undefined;
}
