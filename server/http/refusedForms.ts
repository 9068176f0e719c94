/**
 * A form refused before anything it says is read: its CSRF token no longer matches (the form was open past its session,
 * she signed in again meanwhile) or her session ended while she wrote (the idle or 12-hour timeout, signed out in
 * another tab, ended by a password change); or refused on the error page for what changed meanwhile (archived,
 * closed). Nothing is saved, and what she typed must not be lost with it: the page that says so shows it back,
 * read-only, for her to copy into the form opened again. No drafts are stored: the refused request writes nothing, so
 * her text lives only in her browser and on that page.
 */
import type { Application, Request, Response } from 'express';
import { settings } from '../settings.ts';
import { fieldLabel } from './forms.ts';
import { sameSitePath } from './sameSitePath.ts';

export type TypedField = { name: string; label: string; value: string };

/**
 * Record ids (a select of her mentorships, a ticked cohort), alone or after their kind (the LTI picker's
 * `cohort:<id>`): chosen, not typed, and meaningless to copy.
 */
const recordId = /^([a-z-]+:)?[0-9a-f]{24}$/i;

/**
 * Fields never shown back: passwords and their confirmation, one-time and recovery codes (any name ending in `code`),
 * anything named as a token, key or secret (a calendar feed's, an API's), an LTI platform's signed posts, and the hidden
 * fields the pages put in their forms (a confirmation, a record's version, the register's marks as shown, a round's
 * details as shown: `titleShown`, `…DateShown`). `_csrf`, `_submission` and every other `_` field are left out by
 * name. Named broadly: a field shown back by mistake would put a secret on a page, one left out only costs her
 * copying it.
 */
const secretName = /password|passphrase|passcode|secret|token|key$|code$|^otp|^confirm$|^jwt$|^state$/i;
const hiddenName = /^(confirmed|version|hidden|consented|\w+Shown|shown-.*)$/;

/**
 * What she typed in a refused form, to show read-only so that it is not lost: each field's text, named in words
 * (fieldLabel). Empty fields, record ids, the honeypot (`website`) and the fields above are left out; a field sent
 * several times (ticked boxes) is one line each.
 */
export function typedInForm(body: unknown): TypedField[] {
  if (!body || typeof body !== 'object') return [];
  return Object.entries(body as Record<string, unknown>).flatMap(([name, raw]) => {
    if (name.startsWith('_') || name === 'website' || secretName.test(name) || hiddenName.test(name)) return [];
    const values = (Array.isArray(raw) ? raw : [raw]).filter(
      (v): v is string => typeof v === 'string' && v.trim() !== '' && !recordId.test(v.trim()),
    );
    return values.length ? [{ name, label: fieldLabel(name) || name, value: values.join('\n') }] : [];
  });
}

/**
 * The page the form was on, from the Referer, when it is a page of Pathways itself (BASE_URL's origin, or the origin
 * the request came to) that a link can open: its path and query. Anything else is no link: another site, no Referer,
 * or an address with no page (a form refused at its fields is shown at the address it posts to, such as
 * /networks/:id/posts, which a link would answer 404).
 */
export function formPageOf(req: Request): string | null {
  const referer = req.get('referer');
  if (!referer) return null;
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return null;
  }
  if (!ownOrigins(req).includes(url.origin) || !isPage(req.app, url.pathname)) return null;
  return sameSitePath(url.pathname + url.search);
}

/** Pathways' own origins: BASE_URL's, or the one the request came to. */
const ownOrigins = (req: Request): string[] => [
  new URL(settings.baseUrl).origin,
  `${req.protocol}://${req.get('host') ?? ''}`,
];

/**
 * Whether the browser says the form was sent from a page of another site (Sec-Fetch-Site, or an Origin not ours, or
 * `null` from a sandboxed or data: page). Its fields are then no text of hers: a page elsewhere posting to Pathways
 * would otherwise have its words shown on a Pathways page as "What you typed". A request naming neither (a script, an
 * older browser) is taken as hers, as before.
 */
function sentFromElsewhere(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.get('origin');
  return origin !== undefined && !ownOrigins(req).includes(origin);
}

type Layer = {
  match?: (path: string) => unknown;
  route?: { methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
};

/**
 * Whether a GET of `path` reaches a page: a GET route of a router mounted where `path` is (routes/index.ts mounts the
 * web routes at / and the API at /api/v1), read from Express's router stack (the router's `match` stores nothing).
 */
function isPage(app: Application, path: string): boolean {
  if (path.startsWith('/api/')) return false;
  const mounted = (app as unknown as { router?: { stack?: Layer[] } }).router?.stack ?? [];
  const matches = (layer: Layer) => {
    try {
      return !!layer.match?.(path);
    } catch {
      return false; // a parameter that does not decode (`%E0%A4`): no page, as the router answers it 400
    }
  };
  return mounted.some(
    (router) => matches(router) && (router.handle?.stack ?? []).some((r) => !!r.route?.methods.get && matches(r)),
  );
}

/**
 * Forms for visitors without an account (or not signed in yet): the Pledge's (signing, confirming, asking for and
 * using a manage link, managing through it), the pool's request, a password reset, an invitation. Expired, they are
 * not said to be a sign-out, nor is a sign-in offered: the visitor has nothing to sign in to.
 */
const publicFormPath = /^\/(pledge\/|pool\/request(\/|$)|pool\/requests\/confirm\/|password-reset(\/|$)|invitations\/)/;
const isPublicForm = (req: Request): boolean => publicFormPath.test(req.path);

const messages = {
  title: {
    expired: 'Form expired',
    signedOut: 'You are signed out',
    notSignedIn: 'You are signed out',
    twoStepRequired: 'Set up two-step sign-in first',
  },
  why: {
    expired:
      'This form has expired, so nothing it sent was saved. It was open for a long time, or you signed in again meanwhile.',
    expiredVisitorForm:
      'This form has expired, so nothing it sent was saved: it was open for a long time (2 hours without using Pathways).',
    expiredOrSignedOut:
      'This form has expired, so nothing it sent was saved. It was open for a long time, or you were signed out while you wrote (after 2 hours without using Pathways, or by signing out or changing your password elsewhere).',
    signedOut:
      'Nothing this form sent was saved: you were signed out while you wrote (12 hours after signing in, however active).',
    notSignedIn:
      'Nothing this form sent was saved: you are not signed in. You may have been signed out while you wrote.',
    twoStepRequired:
      'Nothing this form sent was saved: your role now needs two-step sign-in, and you have not set it up yet.',
  },
  copyThen: (reason: RefusalReason, offersSignIn: boolean, back: boolean) =>
    'What you typed is below: copy it, ' +
    (reason === 'twoStepRequired' ? 'set up two-step sign-in, ' : '') +
    (back ? 'open the form again' : 'open the form again from the page you were on') +
    // A visitor's public form (the Pledge, the pool) needs no account: she is not told to sign in unless she must.
    (reason === 'signedOut' || reason === 'notSignedIn'
      ? ' (you will be asked to sign in first)'
      : reason === 'expired' && offersSignIn
        ? ' (if you were signed out, you will be asked to sign in)'
        : '') +
    ', paste it and send it.',
  fileAgain: 'The file you attached was not kept: choose it again in the form.',
  fileAgainIfAny: 'If you attached a file, it was not kept: choose it again in the form.',
  typedHeading: 'What you typed (not saved)',
  back: 'Open the form again',
  twoStepSetup: 'Set up two-step sign-in',
};

/**
 * Why a form was refused unread: `expired`, its CSRF token is not this session's (when she is not signed in, her
 * session may have ended: idle, signed out elsewhere, ended by a password change); `signedOut`, her session reached its
 * 12 hours as this request came; `notSignedIn`, a page that needs her signed in was sent by nobody signed in;
 * `twoStepRequired`, she was given a role of MFA_REQUIRED_ROLES (or her two-step sign-in was reset) while she wrote.
 */
export type RefusalReason = 'expired' | 'signedOut' | 'notSignedIn' | 'twoStepRequired';

/**
 * What a page refusing a form shows of it (views/errors/error.ejs): her typed fields to copy, that an attached file
 * must be chosen again, and a link back to the form's page. For any form refused on the error page, whatever the
 * reason (an expired form, her session ended, what she wrote for was archived or closed meanwhile).
 */
export function keptOfRefusedForm(req: Request): {
  typed: TypedField[];
  typedHeading: string;
  fileAgain?: string;
  link: { href: string; text: string } | null;
} {
  if (sentFromElsewhere(req)) return { typed: [], typedHeading: messages.typedHeading, link: null };
  const back = formPageOf(req);
  return {
    typed: typedInForm(req.body),
    typedHeading: messages.typedHeading,
    // A file refused while it was read (too large) is not in req.file, but the form carried one.
    fileAgain: req.file ? messages.fileAgain : req.is('multipart/form-data') ? messages.fileAgainIfAny : undefined,
    link: back ? { href: back, text: messages.back } : null,
  };
}

/**
 * Answers a form refused unread with a page: why nothing was saved, her typed text to copy, a link back to the form's
 * page and, when she is not signed in (and the form is not a visitor's, isPublicForm), to sign in. Writes nothing.
 */
export function renderRefusedForm(req: Request, res: Response, opts: { status: number; reason: RefusalReason }): void {
  const { reason } = opts;
  const visitorForm = reason === 'expired' && !req.user && isPublicForm(req);
  const signIn =
    reason === 'signedOut' || reason === 'notSignedIn' || (reason === 'expired' && !req.user && !visitorForm);
  const title = messages.title[reason];
  const why =
    messages.why[visitorForm ? 'expiredVisitorForm' : reason === 'expired' && signIn ? 'expiredOrSignedOut' : reason];
  const kept = keptOfRefusedForm(req);
  const detail = kept.typed.length ? `${why} ${messages.copyThen(reason, signIn, !!kept.link)}` : why;
  res.status(opts.status).render('errors/error', {
    title,
    problem: { status: opts.status, title, detail },
    ...kept,
    twoStepSetup: reason === 'twoStepRequired' ? { href: '/account/two-step', text: messages.twoStepSetup } : null,
    signIn,
    visitorForm,
    refused: true,
  });
}
