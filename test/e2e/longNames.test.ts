import { expect } from 'chai';
import { signInInBrowser, useBrowserApp } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildModule, buildProgramme } from '../support/learningFactories.ts';

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

  it('a module with a table of 16 columns, a long code line and a long word scrolls the table in its own box, not the page', async function () {
    this.timeout(120_000);
    const admin = await buildUser({ roles: ['admin'] });
    const programme = await buildProgramme();
    // Sixteen columns: even with every word broken, wider than a phone.
    const weeks = Array.from({ length: 15 }, (_, i) => `Week ${i + 1}`);
    const body = [
      `| Stage | ${weeks.join(' | ')} |`,
      `| --- | ${weeks.map(() => '---').join(' | ')} |`,
      `| ${longName} | ${weeks.map(() => 'yes').join(' | ')} |`,
      '',
      `    const criteria = ['leadership', 'safeguarding', 'curriculum', 'finance', 'community', 'governance'];`,
      '',
      longName,
    ].join('\n');
    const module = await buildModule(programme.id, { body });
    const context = await ui.browser.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, admin.email, testPassword);
    await page.goto(`${ui.baseUrl}/modules/${module.id}`);
    expect(await page.locator('.prose table').count()).to.equal(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(320);
    // The table's box scrolls, and the keyboard reaches it.
    const box = page.locator('.prose .table-wrap');
    expect(await box.evaluate((el) => el.scrollWidth > el.clientWidth)).to.equal(true);
    expect(await box.getAttribute('tabindex')).to.equal('0');
    await context.close();
  });
});
