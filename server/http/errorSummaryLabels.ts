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
  const linked = toFirstControls(html);
  if (!linked.includes('data-field-label="')) return linked;
  const labels = new Map<string, string>();
  for (const [, id, text] of linked.matchAll(fieldsetLegend)) if (!labels.has(id!)) labels.set(id!, wordsOf(text!));
  for (const [, id, text] of linked.matchAll(labelFor)) if (!labels.has(id!)) labels.set(id!, wordsOf(text!));
  return linked.replace(mark, (_whole, id: string, fallback: string) => labels.get(id) || fallback);
}

const errorSummary = /<div class="error-summary"[\s\S]*?<\/div>/;
const fieldsetWithId = /<fieldset\b[^>]*\bid="([^"]+)"[^>]*>([\s\S]*?)<\/fieldset>/g;
const control = /<(?:input|select|textarea)\b(?![^>]*\btype="hidden")[^>]*\bid="([^"]+)"/;

/**
 * The summary's links to a group of radios or checkboxes (a fieldset) lead to its first control: a fieldset takes no
 * focus, so following the link left focus nowhere (WCAG 2.4.3). Its name stays the group's legend (the mark's id).
 */
function toFirstControls(html: string): string {
  const summary = errorSummary.exec(html);
  if (!summary || !summary[0].includes('href="#')) return html;
  const linkedTo = new Set([...summary[0].matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!));
  const firstControl = new Map<string, string>();
  // A group whose boxes carry no id of their own (each inside its label) gets one on its first box, to be linked to.
  const withIds = html.replace(fieldsetWithId, (whole, id: string, inner: string) => {
    if (!linkedTo.has(id) || firstControl.has(id)) return whole;
    const first = control.exec(inner)?.[1];
    if (first) {
      firstControl.set(id, first);
      return whole;
    }
    const box = /<input\b(?![^>]*\bid=)(?=[^>]*\btype="(?:radio|checkbox)")/.exec(inner);
    if (!box) return whole;
    firstControl.set(id, `${id}-first`);
    return whole.replace(inner, inner.slice(0, box.index) + `<input id="${id}-first"` + inner.slice(box.index + 6));
  });
  if (!firstControl.size) return html;
  const at = errorSummary.exec(withIds)!;
  const linked = at[0].replace(/href="#([^"]+)"/g, (whole, id: string) =>
    firstControl.has(id) ? `href="#${firstControl.get(id)}"` : whole,
  );
  return withIds.slice(0, at.index) + linked + withIds.slice(at.index + at[0].length);
}
