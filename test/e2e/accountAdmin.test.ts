import { expect } from 'chai';
import { signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

describe('browser: account pages (admin person page, your data, delete my account)', () => {
  useTestDatabase();
  const ui = useBrowserApp();

  it('the person page, its error state, “Your data” and “Delete my account” have no WCAG A/AA violations', async function () {
    this.timeout(120_000);
    const admin = await buildUser({ roles: ['admin'] });
    const invited = await buildUser({ name: 'Ina Invited', status: 'invited' });
    const problems: string[] = [];

    const adminContext = await ui.browser.newContext({ bypassCSP: true });
    const page = await adminContext.newPage();
    await signInInBrowser(page, ui.baseUrl, admin.email, testPassword);
    await page.goto(`${ui.baseUrl}/admin/users/${invited.id}`);
    for (const v of await wcagViolations(page)) problems.push(`person page: ${v}`);
    // Untick every role and save: the form comes back with its error summary, still accessible.
    await page.getByLabel('participant', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForSelector('.error-summary');
    for (const v of await wcagViolations(page)) problems.push(`person page with errors: ${v}`);
    expect(await page.getByText('choose at least one role').count()).to.be.greaterThan(0);
    await adminContext.close();

    const participant = await buildUser();
    const context = await ui.browser.newContext({ bypassCSP: true });
    const own = await context.newPage();
    await signInInBrowser(own, ui.baseUrl, participant.email, testPassword);
    for (const path of ['/account/data', '/account/delete']) {
      await own.goto(`${ui.baseUrl}${path}`);
      for (const v of await wcagViolations(own)) problems.push(`${path}: ${v}`);
    }
    await own.getByLabel('Your password', { exact: true }).fill('not the password');
    await own.getByRole('button', { name: 'Delete my account' }).click();
    await own.waitForSelector('.error-summary');
    for (const v of await wcagViolations(own)) problems.push(`/account/delete with errors: ${v}`);
    await own.getByLabel('Your password', { exact: true }).fill(testPassword);
    await own.getByRole('button', { name: 'Delete my account' }).click();
    await own.waitForURL((url) => url.pathname === '/account-deleted');
    for (const v of await wcagViolations(own)) problems.push(`/account-deleted: ${v}`);
    await context.close();
    expect(problems).to.deep.equal([]);
  });
});
