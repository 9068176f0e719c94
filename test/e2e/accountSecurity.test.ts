import { expect } from 'chai';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { UserModel } from '../../models/User.ts';
import { screenshot, signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/** axe's serious and critical findings only (the bar for these pages). */
async function seriousViolations(page: Page): Promise<string[]> {
  return (await wcagViolations(page)).filter((v) => /\((serious|critical)\)/.test(v));
}

// bypassCSP only so axe-core can be injected; the app's CSP (img data: for the QR code) is asserted in
// test/routes/platform.test.ts.
const axeContext = { bypassCSP: true };

describe('browser: two-step sign-in, sessions and the audit trail', () => {
  useTestDatabase();

  const ui = useBrowserApp({ env: { BASE_URL: 'http://127.0.0.1' } });

  it('she sets up two-step sign-in from the key in text, signs out, and signs in again with a code', async function () {
    this.timeout(120_000);
    const user = await buildUser({ name: 'Tamsin Twostep' });
    const page = await (await ui.browser.newContext(axeContext)).newPage();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);

    await page.goto(`${ui.baseUrl}/account/security`);
    await page.getByRole('heading', { name: "Where you're signed in" }).waitFor();
    expect(await page.getByText('This browser').count()).to.equal(1);
    expect(await seriousViolations(page), 'security page').to.deep.equal([]);

    await page.getByRole('link', { name: 'Set up two-step sign-in' }).click();
    await page.getByRole('img', { name: /QR code for your authenticator app/ }).waitFor();
    expect(await seriousViolations(page), 'set-up page').to.deep.equal([]);
    await screenshot(page, 'accounts-two-step-setup');
    const secret = (await page.locator('#two-step-secret').innerText()).replaceAll(/\s/g, '');
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    await page.getByLabel('Code from your authenticator app').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await page.getByRole('heading', { name: 'Two-step sign-in is on' }).waitFor();
    expect(await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count()).to.equal(10);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    // A refused step comes back saying so in its title, with focus on what went wrong (heard before anything else).
    const focusedText = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    await page.getByLabel('Email address').fill(user.email);
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The email or password is not right').waitFor();
    expect(await page.title()).to.match(/^Error: Sign in/);
    expect(await focusedText()).to.include('The email or password is not right');
    await page.getByLabel('Password').fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    expect(await seriousViolations(page), 'second-step page').to.deep.equal([]);
    await page.getByLabel('Code from your authenticator app').fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.title()).to.match(/^Error: Enter your code/);
    expect(await focusedText()).to.include('That code is not right');
    await page.locator('.error-summary a').click();
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('field-code');
    expect(await seriousViolations(page), 'second-step page, refused').to.deep.equal([]);
    await screenshot(page, 'accounts-second-step');
    // The set-up used this step's code, and a code is never accepted twice: the app's next code (one step of drift).
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    await page.getByLabel('Code from your authenticator app').fill(next);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByText('Welcome, Tamsin Twostep').waitFor();
    expect((await UserModel.findById(user.id).lean())!.mfaEnabledAt).to.be.instanceOf(Date);
    expect(
      await AuditEventModel.countDocuments({ action: 'sign-in', actorId: user.id, detail: 'password and totp' }),
    ).to.equal(1);
  });

  it('an admin reads the audit trail, filtered, with no serious accessibility problem', async function () {
    this.timeout(120_000);
    const admin = await buildUser({ roles: ['admin'], name: 'Audrey Admin' });
    const page = await (await ui.browser.newContext(axeContext)).newPage();
    await signInInBrowser(page, ui.baseUrl, admin.email, testPassword);
    await page.goto(`${ui.baseUrl}/admin/audit`);
    await page.getByLabel('Action').selectOption('sign-in');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'sign-in');
    expect(await page.getByRole('cell', { name: 'Audrey Admin' }).count()).to.be.at.least(1);
    expect(await seriousViolations(page), 'audit page').to.deep.equal([]);
    await screenshot(page, 'accounts-audit');
  });

  it('signed out in another tab while she wrote a post: sending it shows her text to copy and a link back to the form', async function () {
    this.timeout(120_000);
    const member = await buildUser({ name: 'Wren Writer' });
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const context = await ui.browser.newContext(axeContext);
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, member.email, testPassword);
    await page.goto(`${ui.baseUrl}/networks/${network.id}`);
    await page.getByLabel('Title').fill('My first term');
    await page.getByLabel('Your story or question').fill('What nobody told me about the budget <and> the board.');
    const other = await context.newPage();
    await other.goto(`${ui.baseUrl}/account`);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.waitForURL((url) => url.pathname === '/login');

    await page.getByRole('button', { name: 'Post' }).click();
    await page.getByRole('heading', { level: 1, name: 'Form expired' }).waitFor();
    expect(await page.title()).to.match(/^Error: Form expired/);
    expect(await page.getByLabel('Your text').inputValue()).to.equal(
      'What nobody told me about the budget <and> the board.',
    );
    expect(await page.getByLabel('Title').inputValue()).to.equal('My first term');
    expect(await page.getByLabel('Your text').getAttribute('readonly')).to.not.equal(null);
    expect(await seriousViolations(page), 'refused form page').to.deep.equal([]);
    await page.getByRole('link', { name: 'Open the form again' }).click();
    // Signed out, the form's page asks her to sign in first, then opens it.
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByLabel('Email address').fill(member.email);
    await page.getByLabel('Password').fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === `/networks/${network.id}`);
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(0);
  });
});
