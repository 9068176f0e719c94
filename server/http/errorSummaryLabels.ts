/**
 * A form's error summary sits above the form, so when it is rendered the fields (and their labels) are not yet:
 * a page that gives no `fieldLabels` would have to introduce each message by a name made from the field's code
 * ("Duration minutes", "Option id"). The summary therefore marks such names (views/partials/form-errors.ejs:
 * `<span data-field-label="field-x">Fallback</span>`), and once the page is rendered this puts in the text of the
 * label that the same page gives that field: `<label for="field-x">` or the `<legend>` of `<fieldset id="field-x">`.
 * A field the page does not show keeps the fallback. Runs only on pages that have such a mark (forms sent back with
 * errors).
 */
const mark = /<span data-field-label="([^"]+)">([^<]*)<\/span>/g;
const labelFor = /<label\b[^>]*\bfor="([^"]+)"[^>]*>([\s\S]*?)<\/label>/g;
const fieldsetLegend = /<fieldset\b[^>]*\bid="([^"]+)"[^>]*>\s*(?:<[^>]+>\s*)*?<legend\b[^>]*>([\s\S]*?)<\/legend>/g;

/** A label's words as HTML text: its markup and "(optional)" left out, spaces collapsed (it is already escaped). */
function wordsOf(labelHtml: string): string {
  return labelHtml
    .replace(/<span class="visually-hidden">[\s\S]*?<\/span>/g, '')
    .replace(/<[^>]*>/g, '')
    .replace(/\s*\(optional\)\s*$/i, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The page as rendered, its error summary's field names put in. Only a page rendered with errors (`errorList`, the
 * summary's one source) can hold a mark, so every other page is returned without being searched.
 */
export function withFieldLabels(html: string, locals: { errorList?: unknown }): string {
  if (!Array.isArray(locals.errorList) || !locals.errorList.length) return html;
  if (!html.includes('data-field-label="')) return html;
  const labels = new Map<string, string>();
  for (const [, id, text] of html.matchAll(fieldsetLegend)) if (!labels.has(id!)) labels.set(id!, wordsOf(text!));
  for (const [, id, text] of html.matchAll(labelFor)) if (!labels.has(id!)) labels.set(id!, wordsOf(text!));
  return html.replace(mark, (_whole, id: string, fallback: string) => labels.get(id) || fallback);
}
