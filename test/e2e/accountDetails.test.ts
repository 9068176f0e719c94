import { expect } from 'chai';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { createUser } from '../../server/services/users.ts';
import { screenshot, signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

// bypassCSP only so axe-core can be injected; the app's CSP is asserted in test/routes/platform.test.ts.
const axeContext = { bypassCSP: true };

describe('browser: her name and time zone', () => {
  useTestDatabase();

  const ui = useBrowserApp({ env: { BASE_URL: 'http://127.0.0.1' } });

  it('she finds her details on "Your account", chooses a zone by keyboard alone, and her times are shown in it at once', async function () {
    this.timeout(120_000);
    const user = await buildUser({ name: 'a1', timezone: 'Europe/London' });
    const page = await (await ui.browser.newContext(axeContext)).newPage();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);

    await page.getByRole('link', { name: 'Your account' }).click();
    await page.getByRole('heading', { name: 'Your details' }).waitFor();
    expect(await wcagViolations(page), 'account page').to.deep.equal([]);
    const zone = page.getByRole('combobox', { name: 'Time zone' });
    expect(await zone.inputValue()).to.equal('Europe/London');
    expect(await zone.getAttribute('aria-describedby')).to.equal('field-timezone-hint');

    await page.getByLabel('Your name').fill('Aisha Khan');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('field-timezone');
    // Type-ahead on the closed select: each option begins with its place.
    await page.keyboard.type('Toronto');
    expect(await zone.inputValue()).to.equal('America/Toronto');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal('Save your details');
    await Promise.all([page.waitForURL((url) => url.pathname === '/account'), page.keyboard.press('Enter')]);

    // The page's message (the session warning keeps a status region of its own, empty until a renewal).
    const status = page.getByRole('status').filter({ hasText: 'Your details are saved' });
    expect(await status.innerText()).to.match(/Times are now shown in your zone, America\/Toronto: it is \d\d:\d\d/);
    // Every page's header names her and her zone: the new ones, at once.
    expect(await page.locator('.who').innerText()).to.equal('Signed in as Aisha Khan (America/Toronto)');
    expect(await wcagViolations(page), 'account page after saving').to.deep.equal([]);
    await screenshot(page, 'accounts-your-details');

    await page.goto(`${ui.baseUrl}/account/security`);
    expect(await page.getByRole('columnheader', { name: 'Signed in (America/Toronto)' }).count()).to.equal(1);
    const stored = (await UserModel.findById(user.id).lean())!;
    expect([stored.name, stored.timezone]).to.deep.equal(['Aisha Khan', 'America/Toronto']);
  });

  it('an empty name comes back with the error summary leading to the field, marked invalid and described by its message', async function () {
    this.timeout(120_000);
    const user = await buildUser({ name: 'Lena Fischer', timezone: 'Europe/Berlin' });
    const page = await (await ui.browser.newContext(axeContext)).newPage();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);
    await page.goto(`${ui.baseUrl}/account`);
    await page.getByLabel('Your name').fill('');
    await page.getByRole('combobox', { name: 'Time zone' }).selectOption('Asia/Tokyo');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Save your details' }).click()]);
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    await page.getByRole('link', { name: 'Your name: is required' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('field-name');
    const name = page.getByLabel('Your name');
    expect(await name.getAttribute('aria-invalid')).to.equal('true');
    expect(await name.getAttribute('aria-describedby')).to.equal('field-name-hint field-name-error');
    expect(await page.getByRole('combobox', { name: 'Time zone' }).inputValue()).to.equal('Asia/Tokyo');
    expect(await wcagViolations(page), 'account page with an error').to.deep.equal([]);
  });

  it('her invitation asks her to confirm the name and zone she was given; she corrects both and arrives signed in with them', async function () {
    this.timeout(120_000);
    await createUser({ email: 'a1@example.org', name: 'a1', roles: ['participant'], actorName: 'Ada Admin' });
    const mail = (await OutboxMessageModel.findOne({ to: 'a1@example.org' }).lean())!;
    const path = /https?:\/\/[^/\s]+(\/invitations\/[A-Za-z0-9_-]+)/.exec(mail.text)![1]!;
    const page = await (await ui.browser.newContext(axeContext)).newPage();
    await page.goto(`${ui.baseUrl}${path}`);
    expect(await page.getByLabel('Your name').inputValue()).to.equal('a1');
    const zone = page.getByRole('combobox', { name: 'Time zone' });
    expect(await zone.inputValue()).to.equal('Europe/London');
    expect(await wcagViolations(page), 'invitation page').to.deep.equal([]);
    await screenshot(page, 'accounts-invitation-details');

    await page.getByLabel('Your name').fill('Aisha Khan');
    await zone.selectOption('Asia/Kolkata');
    await page.getByLabel('New password', { exact: true }).fill('maple syrup mornings');
    await page.getByLabel('New password again').fill('maple syrup mornings');
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/'),
      page.getByRole('button', { name: 'Save and sign in' }).click(),
    ]);
    await page.goto(`${ui.baseUrl}/account`);
    expect(await page.getByText('Times are shown in your zone, Asia/Kolkata.').count()).to.equal(1);
    const stored = (await UserModel.findOne({ email: 'a1@example.org' }).lean())!;
    expect([stored.status, stored.name, stored.timezone]).to.deep.equal(['active', 'Aisha Khan', 'Asia/Kolkata']);
  });
});
