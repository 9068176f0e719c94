import type { NextFunction, Request, Response } from 'express';
import {
  ConflictError,
  DomainError,
  NotFoundError,
  NotUtf8Error,
  RateLimitedError,
  SubmissionReusedError,
  ValidationError,
} from '../errors.ts';
import { logger, urlForLog } from '../logger.ts';
import { savedMeanwhileForApi } from '../versions.ts';
import { keptOfRefusedForm, renderRefusedForm, typedInForm } from './refusedForms.ts';
import { linkToSubmitted } from './submittedRecords.ts';

/** Requests under /api/ get problem+json; everything else gets a page. */
export const isApiRequest = (req: Request): boolean => req.originalUrl.startsWith('/api/');

type Problem = {
  status: number;
  title: string;
  detail: string;
  errors?: { path: string; message: string }[];
  extensions?: Record<string, unknown>;
};

/** csrf-sync's refusal: the form's token is not the one of this session (or the session is new). */
function isCsrfError(error: unknown): boolean {
  const e = error as { status?: number; code?: string; message?: string } | null;
  return !!e && (e.code === 'EBADCSRFTOKEN' || (e.status === 403 && /csrf/i.test(e.message ?? '')));
}

const isJson = (text: unknown): boolean => {
  if (typeof text !== 'string') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Normalises anything thrown into a problem: domain errors keep their status; the rest is a logged 500. */
function toProblem(error: unknown, req: Request): Problem {
  if (error instanceof DomainError) {
    return {
      status: error.status,
      title: error.title,
      detail: isApiRequest(req) ? savedMeanwhileForApi(error.message) : error.message,
      errors:
        error instanceof ValidationError || error instanceof ConflictError || error instanceof NotUtf8Error
          ? error.errors
          : undefined,
      extensions: error.extensions,
    };
  }
  const e = error as { status?: number; statusCode?: number; type?: string; code?: string; message?: string };
  // body-parser: malformed JSON, too large, wrong charset.
  if (e.type === 'entity.parse.failed')
    return isJson((e as { body?: unknown }).body)
      ? // Strict JSON bodies are objects or lists: `null` or `"text"` is JSON, but no request Pathways reads.
        { status: 400, title: 'Bad request', detail: 'The request body must be a JSON object, such as {"name": "…"}.' }
      : { status: 400, title: 'Malformed JSON', detail: 'The request body is not valid JSON.' };
  // More fields than formFieldLimit (server/http/bodies.ts): more than 1 MB could hold, so answered as too large.
  if (e.type === 'entity.too.large' || e.type === 'parameters.too.many')
    return isApiRequest(req)
      ? { status: 413, title: 'Too large', detail: 'The request body is too large.' }
      : {
          status: 413,
          title: 'Too much to send',
          // Its text was never read, so it cannot be shown back; a browser's Back usually still holds it.
          detail:
            'This form sent more than Pathways reads at once (1 MB), so nothing was saved. Go back to the form: your browser may still show what you typed. Shorten the longest text and send it again.',
        };
  if (e.type === 'charset.unsupported')
    return {
      status: 415,
      title: 'Unsupported media type',
      detail: `The request body is sent in the ${(e as { charset?: string }).charset ?? 'unnamed'} character set; send it as UTF-8.`,
    };
  if (e.type === 'encoding.unsupported')
    return {
      status: 415,
      title: 'Unsupported media type',
      detail:
        'The request body is compressed in a way Pathways does not read; send it as it is, or with gzip or deflate.',
    };
  if (isCsrfError(error)) {
    return {
      status: 403,
      title: 'Form expired',
      detail: 'This form has expired or did not come from Pathways. Go back, reload the page and try again.',
    };
  }
  if ((e.status ?? e.statusCode) === 400 || (e.status ?? e.statusCode) === 415) {
    return { status: e.status ?? e.statusCode ?? 400, title: 'Bad request', detail: 'The request could not be read.' };
  }
  const requestId = String(req.id ?? '');
  logger.error({ err: error, requestId, url: urlForLog(req.originalUrl) }, 'unhandled error');
  return {
    status: 500,
    title: 'Something went wrong',
    detail: `Something went wrong on our side. It has been logged with reference ${requestId}.`,
  };
}

export function errorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  const problem = toProblem(error, req);
  if (error instanceof RateLimitedError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(problem.status);
  if (isApiRequest(req)) {
    // A 401 names how to authenticate (RFC 9110 15.5.2), and a refused token as such (RFC 6750 3.1).
    if (problem.status === 401)
      res.setHeader(
        'WWW-Authenticate',
        req.headers.authorization ? 'Bearer realm="Pathways", error="invalid_token"' : 'Bearer realm="Pathways"',
      );
    res.type('application/problem+json').send(
      JSON.stringify({
        type: problem.status === 500 ? 'about:blank' : `https://pathways.local/problems/${problem.status}`,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        ...(problem.errors?.length ? { errors: problem.errors } : {}),
        ...problem.extensions,
      }),
    );
    return;
  }
  if (isCsrfError(error)) {
    // Sign out pressed in a tab left open after her session ended: she is signed out already, as she asked, and is
    // not told a form expired. Signed in, a stale or forged sign-out is refused like any form.
    if (req.method === 'POST' && req.path === '/logout' && !req.user) return res.redirect(303, '/login');
    // An expired form, or one sent after her session ended: her text is shown back to copy (server/http/refusedForms.ts).
    renderRefusedForm(req, res, { status: problem.status, reason: 'expired' });
    return;
  }
  if (error instanceof SubmissionReusedError) {
    // A page's form sent back (the browser's Back) with changed content under the key of its first sending: her
    // changes are not silently dropped, she is told, and shown what the first sending made.
    const link = linkToSubmitted(error.model, error.record);
    const typed = typedInForm(req.body);
    res.render('errors/error', {
      title: 'This form was already sent',
      problem: {
        ...problem,
        title: 'This form was already sent',
        detail:
          'This form was already sent once, and what it sent then was saved. Your changes were not saved. To send something new, open the page again and use its form' +
          (typed.length ? ': what you typed this time is below, to copy.' : '.'),
      },
      link: link && { href: link, text: 'See what was saved' },
      typed,
      refused: true,
    });
    return;
  }
  // An error page answering a sent form (a refusal the form's page cannot show: what she wrote for was archived or
  // closed meanwhile) is a refused form: its title says "Error:" as every refused form's does (WCAG 3.3.1), and what
  // she typed is shown back to copy, not lost with it. A page asked for and not found is not.
  const refused = !['GET', 'HEAD'].includes(req.method);
  res.render('errors/error', { title: problem.title, problem, refused, ...(refused ? keptOfRefusedForm(req) : {}) });
}

export function notFoundHandler(req: Request, _res: Response, next: NextFunction): void {
  next(
    new NotFoundError(
      isApiRequest(req)
        ? 'There is nothing at this address.'
        : 'There is no page at this address. Check the link, or use one of the links below.',
    ),
  );
}
