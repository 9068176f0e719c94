import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import MongoStore from 'connect-mongo';
import { csrfSync } from 'csrf-sync';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import mongoose from 'mongoose';
import passport from 'passport';
import { mountRoutes } from '../routes/index.ts';
import { bearerTokenAuth, configurePassport } from './auth.ts';
import type { Config } from './config.ts';
import { clearSessionCookie, sessionCookieName, sessionCookieOptions, sessionIdleMs } from './http/sessionCookie.ts';
import { connectedDatabase } from './db.ts';
import { drainable } from './http/draining.ts';
import { untrustedProxyWarning } from './http/untrustedProxy.ts';
import { bodyParsers, bodyRefusals } from './http/bodies.ts';
import { refuseQueryNotUtf8 } from './http/utf8.ts';
import { fieldLabel } from './http/forms.ts';
import { withFieldLabels } from './http/errorSummaryLabels.ts';
import { renderView, useViews } from './templates.ts';
import { errorHandler, isApiRequest, notFoundHandler } from './http/errorHandler.ts';
import { takeFlash } from './http/flash.ts';
import { renderRefusedForm } from './http/refusedForms.ts';
import { privatePages } from './http/privatePages.ts';
import { saveSessionBeforeRedirect } from './http/saveSessionBeforeRedirect.ts';
import { signedInSessions } from './http/signedInSessions.ts';
import { twoStepSetupGate } from './http/twoStepGate.ts';

import { ltiSessionFraming } from './http/ltiFraming.ts';
import { requestLog } from './http/requestLog.ts';
import { logger } from './logger.ts';
import { mainNavigation } from './navigation.ts';
import { configureMailer } from './mailer.ts';
import { applySettings } from './settings.ts';
import './subscriptions.ts';
import { formatDate, formatDateTime, formatTime } from './time.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Absolute timeout (from sign-in) of a web session; the idle timeout is the rolling cookie's (sessionCookie.ts). */
export const sessionAbsoluteMs = 12 * 60 * 60 * 1000;

/**
 * Builds the Express app on an already-connected mongoose. It does not listen, connect or start jobs
 * (server/index.ts does), so tests build it freely.
 */
export function createApp(config: Config): express.Express {
  applySettings(config);
  configureMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom });
  configurePassport();

  const app = express();
  // EJS, with the error summary's field names taken from the page's own labels (see errorSummaryLabels.ts).
  const viewsDir = path.join(root, 'views');
  // Views include partials by their path under views/ ('/partials/field'): EJS resolves such a path against `root`
  // at once, where a relative one costs a file-system check on every include of every page (a measured 1–3% of a
  // page's CPU under load). Templates compile without `with` (server/templates.ts).
  useViews(viewsDir, { reloadEdits: config.env === 'development' });
  app.engine('ejs', (file, options, done) => {
    let html: string;
    try {
      html = renderView(file, options);
    } catch (error) {
      return done(error);
    }
    done(null, withFieldLabels(html, options as { errorList?: unknown }));
  });
  app.set('view engine', 'ejs');
  app.set('views', viewsDir);
  // Who may tell us the visitor's address and protocol (TRUST_PROXY): req.ip keys the rate limits, req.secure the
  // Secure session cookie.
  app.set('trust proxy', typeof config.trustProxy === 'number' ? config.trustProxy : [...config.trustProxy]);
  app.disable('x-powered-by');
  // No ETag by default: answers are `no-store` (server/http/privatePages.ts), so no client ever revalidates one, and
  // hashing each page cost about 2% of the register page's CPU. The few answers a client may keep send their own
  // (sendKeepable in server/http/keepableAnswers.ts).
  app.set('etag', false);

  app.use(drainable);
  app.use(requestLog(logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          upgradeInsecureRequests: config.env === 'production' ? [] : null,
        },
      },
      strictTransportSecurity: config.env === 'production',
      // Pathways' own pages tell it which page a form was sent from (a refused form links back to it:
      // server/http/refusedForms.ts); other sites are told nothing, as with helmet's default no-referrer.
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
  if (config.env === 'production') app.use(untrustedProxyWarning());
  // Defaults first, so an error page can be rendered even for a request refused before sign-in or CSRF checks.
  app.use((req: Request, res: Response, next: NextFunction) => {
    setPageLocals(res, 'UTC');
    res.locals.currentUser = undefined;
    res.locals.csrfToken = () => '';
    // A create form's hidden `_submission`: a double-click posts the same key twice (server/submissions.ts).
    res.locals.submissionKey = () => randomUUID();
    res.locals.flash = [];
    res.locals.path = req.path;
    next();
  });
  // Browsers ask for /favicon.ico on their own, in parallel with the page: answered here, before the session, so that
  // request never loads and saves the visitor's session alongside the page's own request.
  app.get('/favicon.ico', (_req: Request, res: Response) => res.redirect(301, '/public/favicon.svg'));
  app.use('/public', express.static(path.join(root, 'public'), { maxAge: config.env === 'production' ? '1d' : 0 }));
  app.use(privatePages);
  app.use(bodyParsers);

  app.use(
    session({
      name: sessionCookieName,
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: sessionCookieOptions(config),
      // Expired sessions: on MongoDB a TTL index (connect-mongo's 'native'); FerretDB 1.x has no TTL indexes, so there
      // the maintenance job deletes them (acknowledged; connect-mongo's 'interval' would delete with w:0).
      store: MongoStore.create({
        client: mongoose.connection.getClient(),
        dbName: mongoose.connection.name,
        collectionName: 'sessions',
        ttl: sessionIdleMs / 1000,
        autoRemove: connectedDatabase().ferretDb ? 'disabled' : 'native',
        touchAfter: 60,
      }),
    }),
  );
  app.use(saveSessionBeforeRedirect);
  // No `req._passport`: that is for strategies written for passport 0.4, which Pathways does not use.
  app.use(passport.initialize({ compat: false }));
  app.use(passport.session());
  app.use(absoluteSessionTimeout);
  app.use(signedInSessions);

  app.use(ltiSessionFraming);
  app.use('/api/', bearerTokenAuth);
  app.use(twoStepSetupGate);

  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) =>
      (req.body?._csrf as string | undefined) ?? (req.headers['x-csrf-token'] as string | undefined),
    // API calls with a bearer token carry no ambient credential, and anonymous API calls act as nobody.
    // One-click unsubscribe (RFC 8058): mail clients POST with no token and no cookie; the URL's HMAC signature is
    // the authentication, and it can only mute one kind of email for one person. Only that exact path shape.
    skipCsrfProtection: (req) =>
      (isApiRequest(req) && (req.authInfo?.via === 'token' || !req.user)) ||
      (req.method === 'POST' && /^\/unsubscribe\/[^/]{1,64}\/[^/]{1,64}\/[^/]{1,128}$/.test(req.path)) ||
      // LTI 1.3: the platform's cross-site form posts. The login starts nothing; the launch is protected by the
      // signed id_token and the single-use state bound to this browser's cookie. Only these two exact paths.
      (req.method === 'POST' && (req.path === '/lti/launch' || req.path === '/lti/login')),
  });
  // The signed-in user's view of every page (her zone, her CSRF token, her messages).
  app.use((req: Request, res: Response, next: NextFunction) => {
    setPageLocals(res, req.user?.timezone ?? 'UTC');
    res.locals.currentUser = req.user;
    res.locals.csrfToken = () => generateToken(req);
    res.locals.flash = isApiRequest(req) ? [] : takeFlash(req);
    res.locals.sessionEnds = sessionEndsOf(req);
    next();
  });
  // A body too large or unreadable, or a query string not UTF-8, is answered now that the page knows who sent it, and
  // before the CSRF check reads the body.
  app.use(bodyRefusals);
  app.use(refuseQueryNotUtf8);

  app.use(csrfSynchronisedProtection);

  mountRoutes(app);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

function setPageLocals(res: Response, zone: string): void {
  res.locals.mainNavigation = mainNavigation;
  res.locals.errors = {};
  res.locals.errorList = [];
  res.locals.values = {};
  res.locals.zone = zone;
  res.locals.fieldLabel = fieldLabel;
  // Ids unique within the page, for what a view may repeat: each scrollable table is a focusable region named by its
  // caption, so it can be scrolled from the keyboard in any browser (WCAG 2.1.1).
  let ids = 0;
  res.locals.pageId = (prefix: string) => `${prefix}-${++ids}`;
  res.locals.fmt = {
    dateTime: (d: Date, z = zone) => formatDateTime(d, z),
    time: (d: Date, z = zone) => formatTime(d, z),
    date: (d: Date | string, z = zone) => formatDate(d, z),
    // The end of something begun at `start` (or a time said on the day of `start`): its clock time alone on the same
    // local day, its date too on another ("to 01:00 GMT" after 23:15 on 31 December would read as that morning).
    timeAfter: (d: Date, start: Date, z = zone) =>
      formatDate(d, z) === formatDate(start, z) ? formatTime(d, z) : formatDateTime(d, z),
  };
}

/**
 * When a signed-in page's session ends: `idleMs` after her last request (the idle timeout, which a request renews), and
 * in any case at `absoluteAt` (12 hours after sign-in, epoch ms: the same on every page of the session, read against
 * her device's clock). The page warns her before either (views/partials/foot.ejs, public/js/enhance.js), so that she
 * can stay signed in or save her work (WCAG 2.2.1). Null when she is not signed in through a session.
 */
function sessionEndsOf(req: Request): { idleMs: number; absoluteAt: number } | null {
  if (!req.user || !req.session?.startedAt || req.authInfo?.via === 'token') return null;
  return { idleMs: sessionIdleMs, absoluteAt: req.session.startedAt + sessionAbsoluteMs };
}

/** Sessions end 12 hours after sign-in, however active (the idle timeout is the rolling cookie). */
function absoluteSessionTimeout(req: Request, res: Response, next: NextFunction): void {
  if (!req.session || !req.user || req.authInfo?.via === 'token') return next();
  const startedAt = req.session.startedAt ?? Date.now();
  req.session.startedAt = startedAt;
  if (Date.now() - startedAt <= sessionAbsoluteMs) return next();
  req.session.destroy(() => {
    clearSessionCookie(res);
    if (isApiRequest(req))
      return res
        .status(401)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'about:blank',
            title: 'Session expired',
            status: 401,
            detail: 'Your session has expired; sign in again.',
          }),
        );
    // A form sent as the session ended is not turned into a redirect that drops what she typed.
    if (['GET', 'HEAD'].includes(req.method)) return res.redirect(303, '/login');
    renderRefusedForm(req, res, { status: 401, reason: 'signedOut' });
  });
}
