import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { testApp } from './app.ts';

/** Screenshots kept as test artefacts (git-ignored). */
export const artifactsDir = path.resolve('test-artifacts');

/**
 * Debian's Chromium as its headless shell (package chromium-headless-shell, installed by scripts/ensure-test-deps.sh):
 * the same Blink and V8 as the desktop chromium package, without its windows. The desktop browser opens a window per
 * context, and with it its toolbar's renderers (the omnibox popup's web UI), which a test never sees: over the browser
 * tests it spent 479 s of CPU where the shell spends 207 (README, Tests). No network of its own.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...extraArgs,
    ],
  });
}

/** Serves a test app on a free loopback port. */
export async function serveTestApp(
  overrides: Record<string, string> = {},
): Promise<{ baseUrl: string; server: Server; close: () => Promise<void> }> {
  const app = testApp(overrides);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}

/** Signs in through the login form by keyboard, as a person would. */
export async function signInInBrowser(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/**
 * Waits until the browser has drawn `frames` more frames. A key that scrolls (Home, Page Down, arrows) is carried
 * out by the compositor on the layers it was last sent: right after a box appears or takes focus, before a frame has
 * carried it there, the key scrolls whatever lay under it before (CI, stop 51: Home scrolled the page, not the
 * session warning that had just appeared). A person presses keys frames apart; a test must wait for them. Playwright
 * polls `waitForFunction` with the browser's own animation frames even while `page.clock` holds the page's.
 */
export async function framesDrawn(page: Page, frames = 2): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { framesSeen: number }).framesSeen = 0;
  });
  await page.waitForFunction(
    (wanted) => ((window as unknown as { framesSeen: number }).framesSeen += 1) > wanted,
    frames,
    { polling: 'raf' },
  );
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
type AxeViolation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };

/**
 * Runs axe-core's WCAG 2.0/2.1/2.2 A and AA rules on the page, or on a frame (a page inside an LMS); returns readable
 * violations (none when it passes). axe goes in by the DevTools protocol, which the page's content security policy
 * does not govern, so a frame whose context cannot bypass it (the LMS's must not) is checked too.
 */
export async function wcagViolations(page: Page | Frame): Promise<string[]> {
  // A click that navigates returns once the new page has begun; read before its stylesheet applied, the page is
  // unstyled (the skip link sits on the header's links) and axe reports what no reader sees (CI run 80: target-size
  // at .skip-link, .brand). Judge the page as it is shown.
  await page.waitForLoadState('load');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      // Only violations are read: axe then keeps one example of each pass and inapplicable rule instead of every
      // node, which is most of its time on a long page. Violations are reported in full as before.
      resultTypes: ['violations'],
    });
    return result.violations;
  });
  return violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(', ')}`,
  );
}

export type BrowserApp = { readonly browser: Browser; readonly baseUrl: string };

/**
 * A browser test's surroundings for one `describe` block (call it after `useTestDatabase()`): `prepare` puts in
 * place the data the test starts from, then a test app is served on a free port and chromium is launched; both are
 * closed after the block. The returned handle is filled in once the `before` hook has run.
 */
export function useBrowserApp(
  options: { env?: Record<string, string>; prepare?: () => Promise<void>; timeoutMs?: number } = {},
): BrowserApp {
  let browser: Browser | undefined;
  let served: Awaited<ReturnType<typeof serveTestApp>> | undefined;
  before(async function () {
    this.timeout(options.timeoutMs ?? 120_000);
    await options.prepare?.();
    served = await serveTestApp(options.env);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error('the browser starts in the before hook');
      return browser;
    },
    get baseUrl() {
      if (!served) throw new Error('the app is served in the before hook');
      return served.baseUrl;
    },
  };
}
