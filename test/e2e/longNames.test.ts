import { expect } from 'chai';
import { signInInBrowser, useBrowserApp } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

/** A real one-word name (a hill in Hawke's Bay, and a family name taken from it): 85 letters, no place to break. */
const longName = 'Taumatawhakatangihangakoauauotamateaturipukakapikimaungahoronukupokaiwhenuakitanatahu';

describe('browser: a long one-word name at 320 CSS px', () => {
  useTestDatabase();

  const ui = useBrowserApp({ env: { BASE_URL: 'http://127.0.0.1' } });

  it('wraps instead of widening the page, where she sees it and where an admin does (WCAG 1.4.10)', async function () {
    this.timeout(120_000);
    const her = await buildUser({ name: longName });
    const admin = await buildUser({ roles: ['admin'], name: 'Ada Admin' });
    const problems: string[] = [];
    for (const [who, paths] of [
      [her, ['/', '/account']],
      [admin, [`/admin/users/${her.id}`, `/admin/users?q=${longName.slice(0, 20)}`]],
    ] as const) {
      const context = await ui.browser.newContext({ viewport: { width: 320, height: 640 } });
      const page = await context.newPage();
      await signInInBrowser(page, ui.baseUrl, who.email, testPassword);
      for (const path of paths) {
        await page.goto(`${ui.baseUrl}${path}`);
        expect(await page.content(), path).to.include(longName);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        if (width > 320) problems.push(`${path}: the page is ${width} CSS px wide`);
      }
      await context.close();
    }
    expect(problems).to.deep.equal([]);
  });
});
