import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * What a destructive form asks before it acts (WCAG 2.2 SC 3.3.4): the same words on the confirmation page, which
 * works without JavaScript, and in the form's `data-confirm` dialog (public/js/enhance.js), via `dialogText`.
 */
export type Confirmation = {
  /** The question, naming exactly what will happen ("Cancel the session “X” on …?"): the page's heading. */
  question: string;
  /** What follows from it, a sentence each (who is emailed, who takes the place). */
  consequences: string[];
  /** The confirming button's words: "Yes, …". */
  yes: string;
  /** Where "No, go back" leads: a path on this site, the page the form was on. */
  back: string;
};

/** The form field that says she has already confirmed: empty in the page, "yes" once she has said so. */
export const confirmedField = 'confirmed';

/** A form's `data-confirm` text: the confirmation page's question and consequences, in one line. */
export const dialogText = (c: Pick<Confirmation, 'question' | 'consequences'>): string =>
  [c.question, ...c.consequences].join(' ');

/** The posted fields to send again, as hidden inputs: text only (our forms post nothing else), never the token. */
function fieldsToRepost(body: unknown): [string, string][] {
  if (!body || typeof body !== 'object') return [];
  const fields: [string, string][] = [];
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name === '_csrf' || name === confirmedField) continue;
    for (const one of Array.isArray(value) ? value : [value]) if (typeof one === 'string') fields.push([name, one]);
  }
  return fields;
}

/**
 * Placed before a web form's destructive action: a post without `confirmed=yes` is answered with a page asking the
 * question (200), which posts the same fields again with `confirmed=yes`, and the action does not run. `describe`
 * loads what the question names, with the action's own authorization (so a refusal is the same 403 or 404), and
 * returns null when there is nothing to confirm (already cancelled, not enrolled): the action then answers as usual.
 * The JSON API never passes here: confirming is a question for people at a form.
 */
export function confirmFirst(describe: (req: Request) => Promise<Confirmation | null>): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    if ((req.body as Record<string, unknown> | undefined)?.[confirmedField] === 'yes') return next();
    const confirmation = await describe(req);
    if (!confirmation) return next();
    if (!confirmation.back.startsWith('/') || confirmation.back.startsWith('//'))
      throw new Error(`confirmFirst: "back" must be a path on this site, not ${confirmation.back}`);
    res.render('confirm', {
      title: confirmation.question,
      ...confirmation,
      action: req.originalUrl,
      fields: fieldsToRepost(req.body),
      confirmedField,
    });
  };
}
