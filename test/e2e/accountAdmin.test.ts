import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { buildCohort, enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

/** Whether the page's error summary is where the page opened, without scrolling (the top of the viewport). */
/** In view, and holding focus (so the next Tab goes to its first link, and a screen reader reads it). */
async function summaryInView(page: Page): Promise<boolean> {
  const box = await page.locator('.error-summary').boundingBox();
  const viewport = page.viewportSize()!;
  const focused = await page.evaluate(() => document.activeElement?.classList.contains('error-summary') ?? false);
  return !!box && box.y >= 0 && box.y + box.height <= viewport.height && focused;
}

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

  it('without JavaScript, a form sent back with errors below a long table opens on its error summary, focused, titled “Error:”', async function () {
    this.timeout(120_000);
    const admin = await buildUser({ roles: ['admin'] });
    const taken = await buildUser({ name: 'Taken Address' });
    const cohort = await buildCohort({ name: 'Long cohort', capacity: 60 });
    // Enough people that each table is far taller than the window.
    for (let i = 0; i < 50; i++) await enrolDirectly(cohort, (await buildUser({ name: `Listed Person ${i}` })).id);

    const context = await ui.browser.newContext({ bypassCSP: true, javaScriptEnabled: false });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, admin.email, testPassword);
    const seen: Record<string, { title: string; inView: boolean }> = {};

    await page.goto(`${ui.baseUrl}/admin/users`);
    await page.getByLabel('Name', { exact: true }).fill('Second Taken');
    await page.getByLabel('Email address', { exact: true }).fill(taken.email);
    await page.getByLabel('participant', { exact: true }).check();
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.waitForSelector('.error-summary');
    seen['/admin/users'] = { title: await page.title(), inView: await summaryInView(page) };
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).to.equal('Second Taken');

    await page.goto(`${ui.baseUrl}/admin/lti`);
    await page.getByLabel('Name', { exact: true }).fill('Trust Moodle');
    await page.getByLabel('Issuer (platform id)').fill('https://moodle.trust.example');
    await page.getByLabel('Client id').fill('abc');
    await page.getByLabel('Authentication request URL').fill('not a link');
    await page.getByLabel('Access token URL').fill('https://moodle.trust.example/mod/lti/token.php');
    await page.getByLabel('Public keyset URL').fill('https://moodle.trust.example/mod/lti/certs.php');
    await page.getByLabel('Deployment ids').fill('3');
    await page.getByRole('button', { name: 'Register platform' }).click();
    await page.waitForSelector('.error-summary');
    seen['/admin/lti'] = { title: await page.title(), inView: await summaryInView(page) };

    await page.goto(`${ui.baseUrl}/cohorts/${cohort.id}/people`);
    await page.getByRole('button', { name: 'Enrol everyone' }).click();
    await page.waitForSelector('.error-summary');
    seen['/cohorts/:id/people'] = { title: await page.title(), inView: await summaryInView(page) };
    await context.close();

    expect(seen).to.deep.equal({
      '/admin/users': { title: 'Error: People · Pathways', inView: true },
      '/admin/lti': { title: 'Error: LTI platforms · Pathways', inView: true },
      '/cohorts/:id/people': { title: 'Error: People: Long cohort · Pathways', inView: true },
    });
  });
});
