import { expect } from 'chai';
import mongoose from 'mongoose';
import { framesDrawn, signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
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

  it('once past the warning from her field, Tab goes on down the page and out of it (no loop back to her field); "Hide this message" with no field to return to puts focus on the page content, and a renewal is announced', async function () {
    this.timeout(60_000);
    const user = await buildUser({ name: 'Lola Loop' });
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await page.clock.install();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);
    await page.goto(`${ui.baseUrl}/account`);
    await page.getByLabel('Your name').focus();
    await page.clock.fastForward(116 * minute);
    const warning = page.locator('#session-warning');
    await warning.waitFor();
    let reachedFooter = false;
    for (let step = 0; step < 120 && !reachedFooter; step += 1) {
      await page.keyboard.press('Tab');
      reachedFooter = await page.evaluate(() => !!document.activeElement?.closest('footer'));
    }
    expect(reachedFooter, 'Tab reaches the footer').to.equal(true);

    await page.goto(`${ui.baseUrl}/account`);
    await page.clock.fastForward(116 * minute);
    await warning.waitFor();
    await page.getByRole('button', { name: 'Hide this message' }).press('Enter');
    await warning.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('main');

    await page.goto(`${ui.baseUrl}/account`);
    await page.clock.fastForward(116 * minute);
    await warning.waitFor();
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await page.getByRole('status').filter({ hasText: 'You are still signed in.' }).waitFor({ state: 'attached' });
    await context.close();
  });

  it('at 400% zoom (320×256 CSS px) the field she is typing in stays in view and keeps her keys, the warning\'s words all scroll into view, and one Tab reaches "Stay signed in"', async function () {
    this.timeout(60_000);
    const user = await buildUser({ name: 'Zoe' });
    const context = await ui.browser.newContext({ viewport: { width: 320, height: 256 } });
    const page = await context.newPage();
    await page.clock.install();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);
    await page.goto(`${ui.baseUrl}/account`);
    const name = page.getByLabel('Your name');
    await name.click();
    await name.press('End');
    await page.clock.fastForward(116 * minute);
    const warning = page.locator('#session-warning');
    await warning.waitFor();

    await page.keyboard.type(' Zoomed');
    expect(await name.inputValue(), 'her keys still reach her field').to.equal('Zoe Zoomed');
    const [field, box] = await Promise.all([name.boundingBox(), warning.boundingBox()]);
    expect(field!.y + field!.height, 'her field ends above the warning').to.be.at.most(box!.y);
    expect(box!.y, 'the warning starts inside the window').to.be.at.least(0);
    expect(box!.y + box!.height).to.be.at.most(256);

    // One Tab from her field reaches the button; the box scrolls (arrow keys too) to show every line of it.
    await page.keyboard.press('Tab');
    const stay = page.getByRole('button', { name: 'Stay signed in' });
    expect(await stay.evaluate((b) => b === document.activeElement)).to.equal(true);
    const inView = (selector: string) =>
      page.$eval(selector, (el) => {
        const line = el.getBoundingClientRect();
        const frame = el.closest('#session-warning')!.getBoundingClientRect();
        return line.top >= Math.max(frame.top, 0) && line.bottom <= Math.min(frame.bottom, window.innerHeight);
      });
    expect(await inView('#session-warning [data-stay-signed-in]')).to.equal(true);
    await framesDrawn(page);
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.getElementById('session-warning')!.scrollTop === 0);
    expect(await inView('#session-warning [data-when="idle"]'), 'its first line').to.equal(true);

    // Shift+Tab goes back to her field; "Stay signed in" renews the session and puts her back in her field.
    await page.keyboard.press('Shift+Tab');
    expect(await name.evaluate((input) => input === document.activeElement)).to.equal(true);
    await page.keyboard.press('Tab');
    const renewed = page.waitForResponse((r) => r.url().endsWith('/session/keep-alive'));
    await page.keyboard.press('Enter');
    expect((await renewed).status()).to.equal(204);
    await warning.waitFor({ state: 'hidden' });
    expect(await name.evaluate((input) => input === document.activeElement)).to.equal(true);
    await context.close();
  });

  it('at 341×192 CSS px with wider text spacing (WCAG 1.4.12) the warning starts inside the window and no control she tabs to is hidden under it', async function () {
    this.timeout(60_000);
    const user = await buildUser({ name: 'Sam Spacing' });
    // bypassCSP only to add the text-spacing style sheet a reader's bookmarklet or extension would add.
    const context = await ui.browser.newContext({ viewport: { width: 341, height: 192 }, bypassCSP: true });
    const page = await context.newPage();
    await page.clock.install();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);
    await page.goto(`${ui.baseUrl}/account`);
    await page.addStyleTag({
      content:
        '* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }',
    });
    await page.clock.fastForward(116 * minute);
    const warning = page.locator('#session-warning');
    await warning.waitFor();
    const box = (await warning.boundingBox())!;
    expect(box.y, 'the warning starts inside the window').to.be.at.least(0);
    expect(box.height, 'and leaves half of it to the page').to.be.at.most(96);
    // Nothing was focused: focus went to the warning's first button, and from there Tab goes round the whole page.
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal('Stay signed in');
    const covered: string[] = [];
    const reached = new Set<string>();
    for (let step = 0; step < 40; step += 1) {
      await page.keyboard.press('Tab');
      const hidden = await page.evaluate(() => {
        const focused = document.activeElement as HTMLElement | null;
        const warningBox = document.getElementById('session-warning')!;
        if (!focused || warningBox.contains(focused) || !document.querySelector('main')!.contains(focused)) return null;
        return focused.getBoundingClientRect().top >= warningBox.getBoundingClientRect().top
          ? focused.outerHTML.slice(0, 80)
          : '';
      });
      if (hidden) covered.push(hidden);
      if (hidden !== null) reached.add(await page.evaluate(() => document.activeElement!.outerHTML.slice(0, 80)));
    }
    expect(covered).to.deep.equal([]);
    expect(reached.size, 'controls of the page reached').to.be.at.least(3);
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
