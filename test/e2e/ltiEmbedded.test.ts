import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Express } from 'express';
import { decodeJwt } from 'jose';
import type { Browser, Frame } from 'playwright-core';
import { LtiPlatformModel } from '../../models/LtiPlatform.ts';
import { placeCohortsInCourse } from '../../server/services/lti/index.ts';
import { createApp } from '../../server/app.ts';
import { applySettings } from '../../server/settings.ts';
import { testConfig } from '../support/app.ts';
import { launchBrowser, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme } from '../support/learningFactories.ts';
import { SimulatedPlatform } from '../support/ltiPlatform.ts';

/**
 * Canvas opens tools inside its own page by default: the launch then happens in a cross-site frame, where a browser
 * sends a `SameSite=Lax` cookie with nothing, and a browser that blocks third-party cookies sends only partitioned
 * ones. Here a real chromium, with third-party cookies phased out, opens an LMS course page on https://localhost
 * whose frame launches Pathways on https://127.0.0.1 (another site) with SESSION_COOKIE_SAMESITE=none, as
 * production would run it: the login's state cookie must come back with the platform's form post, and the session
 * cookie with every page she opens inside the frame afterwards.
 */
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * An LMS page with a form that submits itself on load: posting `fields` to `action`, into the frame named `target`
 * when there is one (shown on the page, as Canvas embeds a tool), else in place.
 */
function selfPostingPage(action: string, fields: Record<string, string>, target?: string): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const frame = target ? `<iframe name="${target}" title="Pathways" width="1000" height="700"></iframe>` : '';
  return `<!doctype html><html lang="en"><head><title>Course 1</title></head><body><main><h1>Course 1</h1>${frame}
<form id="f" method="post" action="${escapeHtml(action)}"${target ? ` target="${target}"` : ''}>${inputs}</form>
</main><script>document.getElementById('f').submit()</script></body></html>`;
}

/** A self-signed certificate for localhost and 127.0.0.1 (the browser is told to accept it). */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pathways-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
    ],
    { stdio: 'ignore', cwd: dir },
  );
  const pair = { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  rmSync(dir, { recursive: true, force: true });
  return pair;
}

async function listenHttps(
  tls: { key: Buffer; cert: Buffer },
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: https.Server; port: number }> {
  const server = https.createServer(tls, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('browser: an LTI launch inside the LMS page (cross-site frame, HTTPS, third-party cookies blocked)', function () {
  this.timeout(180_000);
  useTestDatabase();

  const platform = new SimulatedPlatform();
  const servers: https.Server[] = [];
  let browser: Browser;
  let toolBase = '';
  let lmsBase = '';
  let programmeId = '';
  let cohortId = '';
  /** What the LMS received at its deep-linking return URL (the tool's signed answer). */
  const returned: string[] = [];
  const custom = 'https://purl.imsglobal.org/spec/lti/claim/custom';
  const roles = 'https://purl.imsglobal.org/spec/lti/claim/roles';
  const instructor = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'];

  before(async () => {
    const tls = selfSignedCertificate();
    const holder: { app?: Express } = {};
    const tool = await listenHttps(tls, (req, res) => holder.app!(req, res));
    toolBase = `https://127.0.0.1:${tool.port}`;
    holder.app = createApp(
      testConfig({
        NODE_ENV: 'production',
        BASE_URL: toolBase,
        SESSION_SECRET: 'e'.repeat(40),
        SMTP_URL: 'smtp://127.0.0.1:9',
        SESSION_COOKIE_SAMESITE: 'none',
        // Production asks facilitators to set up two-step sign-in first (tested on its own); here the launch is the point.
        MFA_REQUIRED_ROLES: 'none',
      }),
    );
    await platform.start(toolBase);
    const programme = await buildProgramme();
    programmeId = programme.id;
    await buildModule(programme.id);
    const cohort = await buildCohort(programme.id);
    cohortId = cohort.id;

    // The LMS's pages: a course page whose frame starts the launch, and the OIDC authorisation endpoint that answers
    // with the signed id_token by form post (into the same frame), as Canvas and Moodle do.
    const lms = await listenHttps(tls, (req, res) => {
      const url = new URL(req.url ?? '/', lmsBase);
      const html = (body: string) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
      // ?launch= names the launch the course page starts; it travels as lti_message_hint to the /auth request.
      if (url.pathname === '/course')
        return html(
          selfPostingPage(
            `${toolBase}/lti/login`,
            {
              iss: lmsBase,
              login_hint: 'hint-1',
              target_link_uri: `${toolBase}/lti/launch`,
              client_id: platform.clientId,
              lti_deployment_id: platform.deploymentId,
              lti_message_hint: url.searchParams.get('launch') ?? 'learner',
            },
            'tool',
          ),
        );
      if (url.pathname === '/deep-link-return' && req.method === 'POST') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          returned.push(new URLSearchParams(body).get('JWT') ?? '');
          html(
            '<!doctype html><html lang="en"><head><title>Added</title></head><body><main><h1>Content added</h1></main></body></html>',
          );
        });
        return;
      }
      if (url.pathname === '/auth')
        return void platform
          .idToken({
            nonce: url.searchParams.get('nonce') ?? '',
            issuer: lmsBase,
            ...launchClaims(url.searchParams.get('lti_message_hint') ?? 'learner'),
          })
          .then((idToken) =>
            html(
              selfPostingPage(url.searchParams.get('redirect_uri') ?? '', {
                id_token: idToken,
                state: url.searchParams.get('state') ?? '',
              }),
            ),
          );
      res.writeHead(404).end();
    });
    lmsBase = `https://localhost:${lms.port}`;
    /** The three launches the course page can start: a learner's, an instructor's, and her deep-linking request. */
    const launchClaims = (kind: string) =>
      kind === 'learner'
        ? { sub: 'embedded-learner', claims: { [custom]: { cohort: cohort.id } } }
        : kind === 'instructor'
          ? { sub: 'embedded-instructor', claims: { [roles]: instructor, [custom]: { cohort: cohort.id } } }
          : {
              sub: 'embedded-instructor',
              claims: {
                [roles]: instructor,
                'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiDeepLinkingRequest',
                'https://purl.imsglobal.org/spec/lti/claim/resource_link': undefined,
                'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': {
                  deep_link_return_url: `${lmsBase}/deep-link-return`,
                  accept_types: ['ltiResourceLink'],
                  accept_multiple: false,
                  data: 'course-1-module-3',
                },
              },
            };
    servers.push(tool.server, lms.server);
    // Registered as an admin would, but straight into the model: the keys are served by the simulated platform on
    // plain loopback http, which production registration (rightly) refuses.
    const registered = await LtiPlatformModel.create({
      name: 'Embedding LMS',
      issuer: lmsBase,
      clientId: platform.clientId,
      authLoginUrl: `${lmsBase}/auth`,
      authTokenUrl: `${platform.base}/token`,
      jwksUrl: `${platform.base}/jwks`,
      deploymentIds: [platform.deploymentId],
    });
    // The cohort is placed in the course, as its facilitator picking it in that course's deep-linking picker does.
    await placeCohortsInCourse({
      course: { platformId: registered._id, deploymentId: platform.deploymentId, contextId: 'course-1' },
      cohortIds: [cohort.id],
      placedBy: (await buildUser({ roles: ['facilitator'] })).id,
    });
    browser = await launchBrowser(['--test-third-party-cookie-phaseout']);
  });

  after(async () => {
    await browser?.close();
    await platform.stop();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    // The production app above set the process's settings; later files build their own apps, but not all of them.
    applySettings(testConfig());
  });

  const frameOf = async (page: import('playwright-core').Page): Promise<Frame> => {
    for (let i = 0; i < 100; i++) {
      const frame = page.frame({ name: 'tool' });
      if (frame) return frame;
      await page.waitForTimeout(50);
    }
    throw new Error('the LMS page has no tool frame');
  };

  it('she lands signed in inside the frame and stays signed in as she moves between Pathways pages there', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${lmsBase}/course`);
    const frame = await frameOf(page);
    // The frame goes to the tool's login, the LMS's authorisation page, the tool's launch, then where it lands.
    await frame.waitForURL((url) => url.origin === toolBase && !url.pathname.startsWith('/lti/login'), {
      timeout: 30_000,
    });
    await frame.waitForURL((url) => url.pathname !== '/lti/launch', { timeout: 5_000 }).catch(() => undefined);
    await frame.waitForLoadState();
    expect(new URL(frame.url()).pathname, await frame.locator('body').innerText()).to.equal(
      `/programmes/${programmeId}`,
    );
    expect(await frame.locator('.who').innerText()).to.include('Signed in as Lena Learner');

    // A second page inside the frame: the partitioned session cookie comes with it.
    await frame.goto(`${toolBase}/account`);
    expect(new URL(frame.url()).pathname).to.equal('/account');
    expect(await frame.locator('.who').innerText()).to.include('Signed in as Lena Learner');

    // The cookie belongs to the LMS's partition: Pathways opened on its own (first-party) is signed out.
    const own = await context.newPage();
    await own.goto(`${toolBase}/account`);
    expect(new URL(own.url()).pathname).to.equal('/login');
    await context.close();
  });

  it('an instructor adds Pathways content from the frame: the picker, its form and the signed answer all work there', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    // Her first launch as the course's instructor makes her its cohort's facilitator.
    await page.goto(`${lmsBase}/course?launch=instructor`);
    let frame = await frameOf(page);
    await frame.waitForURL((url) => url.origin === toolBase && !url.pathname.startsWith('/lti/'), { timeout: 30_000 });

    await page.goto(`${lmsBase}/course?launch=deep-link`);
    frame = await frameOf(page);
    await frame.waitForURL((url) => url.pathname.startsWith('/lti/deep-link/'), { timeout: 30_000 });
    expect(await wcagViolations(frame)).to.deep.equal([]);
    // Two choices where the course takes one (Canvas assignment selection): the refusal, read as any form's, is clean too.
    await frame.locator(`input[name="items"][value="cohort:${cohortId}"]`).check();
    await frame.locator(`input[name="items"][value="programme:${programmeId}"]`).check();
    await frame.getByRole('button', { name: /add/i }).click();
    await frame.waitForLoadState();
    expect(await frame.locator('.error-summary').innerText()).to.include('Content to add');
    expect(await wcagViolations(frame)).to.deep.equal([]);
    await frame.locator(`input[name="items"][value="programme:${programmeId}"]`).uncheck();
    await frame.getByRole('button', { name: /add/i }).click();
    await frame.waitForURL(`${lmsBase}/deep-link-return`, { timeout: 30_000 });
    expect(await frame.locator('h1').innerText()).to.equal('Content added');

    expect(returned).to.have.length(1);
    const answer = decodeJwt(returned[0]!);
    expect(answer['https://purl.imsglobal.org/spec/lti/claim/message_type']).to.equal('LtiDeepLinkingResponse');
    expect(answer['https://purl.imsglobal.org/spec/lti-dl/claim/data']).to.equal('course-1-module-3');
    const items = answer['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as { custom?: unknown }[];
    expect(items.map((i) => i.custom)).to.deep.equal([{ cohort: cohortId }]);
    await context.close();
  });
});
