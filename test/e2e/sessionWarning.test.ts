import { expect } from 'chai';
import mongoose from 'mongoose';
import { signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

const minute = 60_000;

/**
 * WCAG 2.2.1 (timing adjustable): a signed-in page warns her 5 minutes before the session ends. The idle timeout (2
 * hours without a request) can be extended with one button, which asks the real server; the 12-hour end cannot, and
 * the warning says to save her work. The page's clock is the browser's, fast-forwarded (the server's clock is not
 * touched: the session really is renewed, or really gone).
 */
describe('browser: the warning before the session ends', () => {
  useTestDatabase();
  const ui = useBrowserApp();

  it('five minutes before the idle sign-out she is warned, and "Stay signed in" renews the session and the count', async function () {
    this.timeout(60_000);
    const user = await buildUser({ name: 'Wendy Warned' });
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.clock.install();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);
    await page.goto(`${ui.baseUrl}/account`);
    const warning = page.getByRole('alert').filter({ hasText: 'signed out in 5 minutes' });
    expect(await warning.isVisible()).to.equal(false);

    await page.clock.fastForward(114 * minute);
    expect(await warning.isVisible()).to.equal(false);
    await page.clock.fastForward(2 * minute);
    await warning.waitFor();
    expect(await warning.textContent()).to.include('unless you stay signed in');
    expect((await wcagViolations(page)).filter((v) => /\((serious|critical)\)/.test(v))).to.deep.equal([]);
    const renewed = page.waitForResponse((r) => r.url().endsWith('/session/keep-alive'));
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    expect((await renewed).status()).to.equal(204);
    await warning.waitFor({ state: 'hidden' });

    // The count starts again from her click: no warning an hour later, one again 115 minutes after it.
    await page.clock.fastForward(60 * minute);
    expect(await warning.isVisible()).to.equal(false);
    await page.clock.fastForward(56 * minute);
    await warning.waitFor();

    // Signed out meanwhile (here: her cookie gone), the button says so instead of pretending.
    await context.clearCookies();
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await page.getByText('You have already been signed out').waitFor();
    expect(await page.getByRole('button', { name: 'Stay signed in' }).isVisible()).to.equal(false);
    await context.close();
  });

  it('while the warning shows, no field she tabs to is hidden under it (WCAG 2.4.11), and Escape or "Hide this message" puts it away', async function () {
    this.timeout(60_000);
    const user = await buildUser({ name: 'Tabitha Tabs' });
    const context = await ui.browser.newContext({ viewport: { width: 1280, height: 600 } });
    const page = await context.newPage();
    await page.clock.install();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);
    await page.goto(`${ui.baseUrl}/account`);
    await page.clock.fastForward(116 * minute);
    const warning = page.locator('#session-warning');
    await warning.waitFor();
    const covered: string[] = [];
    for (let step = 0; step < 60; step += 1) {
      await page.keyboard.press('Tab');
      const hidden = await page.evaluate(() => {
        const focused = document.activeElement as HTMLElement | null;
        const box = document.getElementById('session-warning')!;
        if (!focused || box.contains(focused) || !document.querySelector('main')!.contains(focused)) return null;
        const field = focused.getBoundingClientRect();
        return field.top >= box.getBoundingClientRect().top ? focused.outerHTML.slice(0, 80) : null;
      });
      if (hidden) covered.push(hidden);
    }
    expect(covered).to.deep.equal([]);
    await page.getByRole('button', { name: 'Hide this message' }).click();
    await warning.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.body.style.paddingBottom)).to.equal('');
    await page.goto(`${ui.baseUrl}/account`);
    await page.clock.fastForward(116 * minute);
    await warning.waitFor();
    await page.keyboard.press('Escape');
    await warning.waitFor({ state: 'hidden' });
    await context.close();
  });

  it('near the end of the 12 hours after sign-in the warning offers no extension: it says to save her work', async function () {
    this.timeout(60_000);
    const user = await buildUser({ name: 'Ada Absolute' });
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);
    // Her session started 11 hours 57 minutes ago: it ends in 3 minutes whatever she does.
    const sessions = mongoose.connection.db!.collection<{ _id: string; session: string }>('sessions');
    for (const stored of await sessions.find({}).toArray()) {
      const data = JSON.parse(stored.session) as { startedAt?: number; passport?: { user?: string } };
      if (data.passport?.user !== user.id) continue;
      data.startedAt = Date.now() - (12 * 60 - 3) * minute;
      await sessions.updateOne({ _id: stored._id }, { $set: { session: JSON.stringify(data) } });
    }
    await page.goto(`${ui.baseUrl}/account`);
    const warning = page.getByRole('alert').filter({ hasText: 'You signed in almost 12 hours ago' });
    await warning.waitFor();
    expect(await warning.textContent()).to.include('Send or copy what you are writing now');
    expect(await page.getByRole('button', { name: 'Stay signed in' }).isVisible()).to.equal(false);
    await context.close();
  });

  it('a page answered to an API token or to nobody signed in carries no warning', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${ui.baseUrl}/login`);
    expect(await page.locator('#session-warning').count()).to.equal(0);
    const answer = await page.request.get(`${ui.baseUrl}/session/keep-alive`);
    expect(answer.status()).to.equal(401);
    expect(answer.headers()['cache-control']).to.equal('no-store');
    await context.close();
  });
});
