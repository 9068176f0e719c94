import { expect } from 'chai';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { UserModel } from '../../models/User.ts';
import { signInInBrowser, useBrowserApp } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

describe('browser: email addresses at internationalised domains', () => {
  useTestDatabase();
  const ui = useBrowserApp({ env: { BASE_URL: 'http://127.0.0.1' } });

  it('she signs in typing her domain in Unicode (the browser may send it in punycode), and moves her account to another such address', async function () {
    this.timeout(120_000);
    const user = await buildUser({ email: `ana-${Date.now()}@café.fr` });
    const page = await (await ui.browser.newContext()).newPage();
    await signInInBrowser(page, ui.baseUrl, user.email, testPassword);

    const wanted = `ana-${Date.now()}@bücher.de`;
    await page.goto(`${ui.baseUrl}/account/security`);
    const form = page.locator('form[action="/account/email"]');
    await form.getByLabel('New email address').fill(wanted);
    await form.getByLabel('Your password').fill(testPassword);
    await form.getByRole('button', { name: 'Send a confirmation link' }).click();
    await page.waitForURL((url) => url.pathname === '/account/security');
    expect(await page.locator('.field-error').count()).to.equal(0);
    expect(await OutboxMessageModel.countDocuments({ to: wanted, subject: /Confirm/ })).to.equal(1);
    expect((await UserModel.findById(user.id).lean())!.email).to.equal(user.email);
  });
});
