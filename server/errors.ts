/**
 * Typed domain errors. Services throw these; the one error middleware (server/http/errorHandler.ts)
 * renders them as a friendly page on the web and as application/problem+json on the API.
 */
export type FieldError = { path: string; message: string };

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** Extra top-level members of the problem document (e.g. a quiz `score`). */
  extensions: Record<string, unknown> = {};
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly title = 'Not found';
  constructor(message = 'We could not find that.') {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly status = 401;
  readonly title = 'Not signed in';
  constructor(message = 'Please sign in to continue.') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly title = 'Not allowed';
  constructor(message = 'You do not have permission to do that.') {
    super(message);
  }
}

/** An API address that exists, asked with a method it does not answer; `allow` lists those it does (the `Allow` header). */
export class MethodNotAllowedError extends DomainError {
  readonly status = 405;
  readonly title = 'Method not allowed';
  constructor(readonly allow: string[]) {
    super(`This address answers ${allow.join(', ')} only.`);
  }
}

/** A clash with what is stored (a duplicate, a state changed meanwhile); `errors` names the field, if one clashes. */
export class ConflictError extends DomainError {
  readonly status = 409;
  readonly title = 'Conflict';
  constructor(
    message: string,
    public readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

export class ValidationError extends DomainError {
  readonly status = 422;
  readonly title = 'Some details need correcting';
  constructor(
    message: string,
    public readonly errors: FieldError[] = [],
    extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.extensions = extensions;
  }
}

/**
 * A create's key sent again with a different request (server/submissions.ts): 422 as the IETF Idempotency-Key draft
 * says. Not a ValidationError, so a form does not show it at a field: the page says the form was already sent and
 * links to what it created (server/http/errorHandler.ts). `model` and `record` name that first record.
 */
export class SubmissionReusedError extends DomainError {
  readonly status = 422;
  readonly title = 'Already sent';
  constructor(
    public readonly model: string,
    public readonly record: Record<string, unknown>,
  ) {
    super(
      "This Idempotency-Key was already used with a different request body. Send a new key for a new request; the first request's record is unchanged.",
    );
  }
}

export class BadRequestError extends DomainError {
  readonly status = 400;
  readonly title = 'Bad request';
}

/**
 * Text sent in bytes that are not UTF-8, in a body or a query string (server/http/utf8.ts): refused whole, never read
 * as U+FFFD. `errors` names the form fields or query parameters that hold them, when they can be told apart.
 */
export class NotUtf8Error extends DomainError {
  readonly status = 400;
  readonly title = 'Text not in UTF-8';
  constructor(
    message: string,
    public readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

/** A request body in a media type no parser reads (text/plain, application/merge-patch+json, XML). */
export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly title = 'Unsupported media type';
}

export class RateLimitedError extends DomainError {
  readonly status = 429;
  readonly title = 'Too many attempts';
  constructor(
    message: string,
    public readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
