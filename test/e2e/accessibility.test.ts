import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoAccounts, demoPassword } from '../../server/demo/people.ts';
import { signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';

/** Same-origin links in the main navigation and the page's main content (GET pages only, no downloads). */
async function linksOn(page: Page, origin: string): Promise<string[]> {
  const hrefs = await page.$$eval('nav a[href]:not([download]), main a[href]:not([download])', (as) =>
    as.map((a) => (a as HTMLAnchorElement).href),
  );
  // Files (certificates, exports, calendars, badges) are not pages: a browser downloads them instead of navigating.
  return hrefs.filter(
    (h) =>
      h.startsWith(origin) &&
      !/(\.(csv|ics|pdf|svg|json)|\/download)(\?|$)/.test(h) &&
      !h.includes('/api/') &&
      !h.includes('/logout'),
  );
}

describe('browser: every page a demo user can reach meets WCAG 2.2 AA (axe-core)', () => {
  useTestDatabase();

  const ui = useBrowserApp({
    timeoutMs: 180_000,
    prepare: async () => {
      await seedDemoDataIfEmpty();
    },
  });

  it('public pages (home, sign-in, password reset) have no WCAG A/AA violations', async () => {
    const page = await ui.browser.newPage({ bypassCSP: true });
    const problems: string[] = [];
    for (const path of ['/', '/login', '/password-reset']) {
      await page.goto(`${ui.baseUrl}${path}`);
      for (const v of await wcagViolations(page)) problems.push(`${path}: ${v}`);
    }
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  for (const account of demoAccounts) {
    it(`the pages a demo ${account.roles[0]} reaches from her dashboard have no WCAG A/AA violations`, async function () {
      this.timeout(180_000);
      // bypassCSP only so the test can inject axe-core; the app's CSP itself is asserted in test/routes/platform.test.ts.
      const context = await ui.browser.newContext({ bypassCSP: true });
      const page = await context.newPage();
      await signInInBrowser(page, ui.baseUrl, account.email, demoPassword);
      const toVisit = [`${ui.baseUrl}/`];
      const seen = new Set<string>();
      const problems: string[] = [];
      // Breadth-first over links, two levels deep, at most 25 pages per role: enough to cover every page type.
      for (let depth = 0; depth < 2; depth++) {
        const level = toVisit.splice(0);
        for (const url of level) {
          const key = url.replace(/[0-9a-f]{24}/g, ':id').split('?')[0]!;
          if (seen.has(key) || seen.size >= 25) continue;
          seen.add(key);
          const response = await page.goto(url);
          if (!response || response.status() >= 400) {
            problems.push(`${url}: HTTP ${response?.status()}`);
            continue;
          }
          for (const v of await wcagViolations(page)) problems.push(`${key}: ${v}`);
          toVisit.push(...(await linksOn(page, ui.baseUrl)));
        }
      }
      expect(problems).to.deep.equal([]);
      await context.close();
    });
  }

  it('the skip link is the first thing the keyboard reaches, and focus is visible', async () => {
    const page = await ui.browser.newPage();
    await page.goto(`${ui.baseUrl}/login`);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({
      text: document.activeElement?.textContent,
      outline: getComputedStyle(document.activeElement!).outlineStyle,
    }));
    expect(focused.text).to.equal('Skip to main content');
    expect(focused.outline).to.not.equal('none');
    await page.close();
  });
});
