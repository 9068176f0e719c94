import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { signInInBrowser, useBrowserApp } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/**
 * A computer shared in a school: after she signs out (or her session ends), the browser's Back shows whoever comes
 * next nothing of hers, neither her pages nor the text of a form refused as she was signed out
 * (server/http/privatePages.ts).
 */
describe('browser: Back after signing out on a shared computer', () => {
  useTestDatabase();
  let ana: TestUser;
  let network: { id: string; name: string };
  const ui = useBrowserApp({
    prepare: async () => {
      ana = await buildUser({ name: 'Ana Shared' });
      network = await buildNetwork({ joining: 'open' }, { members: [ana] });
    },
  });
  const story = 'I am leaving my school because of my head.';

  /** What the tab shows once Back has settled (Chrome may still be moving to its own page for a form not kept). */
  async function afterBack(page: Page): Promise<string> {
    await page.goBack().catch(() => null);
    for (let attempt = 0; ; attempt += 1) {
      try {
        await page.waitForLoadState('load');
        return await page.content();
      } catch (error) {
        if (attempt >= 20) throw error;
      }
    }
  }

  it('her form refused after she was signed out in another tab: Back from the sign-in page does not show her text', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, ana.email, testPassword);
    await page.goto(`${ui.baseUrl}/networks/${network.id}`);
    const other = await context.newPage();
    await other.goto(`${ui.baseUrl}/`);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.waitForURL(/\/login$/);
    await other.close();
    await page.getByLabel('Title').fill('Leaving');
    await page.getByLabel('Your story or question').fill(story);
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    await page.waitForLoadState();
    expect(await page.content()).to.include(story);
    await page.goto(`${ui.baseUrl}/login`);
    // Not kept, the refused page is not shown again: the browser would have to send the form again, and asks first.
    expect(await afterBack(page)).to.not.include(story);
    await context.close();
  });

  it('her account page: after she signs out, Back leads to sign in, not to her details', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, ana.email, testPassword);
    await page.goto(`${ui.baseUrl}/account`);
    expect(await page.content()).to.include(ana.email);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
    expect(await afterBack(page)).to.not.include(ana.email);
    await context.close();
  });
});
