import { expect } from 'chai';
import { screenshot, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildCommitmentOption, latestLink } from '../support/pledgeFactories.ts';

describe('browser: an organisation signs the Pledge, confirms, commits and appears on the list', () => {
  useTestDatabase();

  const ui = useBrowserApp({ env: { BASE_URL: 'http://127.0.0.1' } });

  it('signs with the form, confirms from the email, chooses two commitments and is listed with them', async function () {
    // A real browser through six pages with four accessibility scans: on 2 shared cores this takes far beyond mocha's default.
    this.timeout(120_000);
    await buildCommitmentOption({ title: 'Every interview panel completes bias training first' });
    await buildCommitmentOption({ title: 'Headship roles advertised with flexible working' });
    await buildCommitmentOption({ title: 'Gender balance of appointments reported each year' });
    // bypassCSP only so that the test can inject axe-core.
    const page = await (await ui.browser.newContext({ bypassCSP: true })).newPage();
    const accessible = async (where: string) => expect(await wcagViolations(page), where).to.deep.equal([]);
    await page.goto(`${ui.baseUrl}/pledge`);
    await accessible('the Pledge page');
    await page.getByRole('link', { name: 'Sign for an organisation' }).click();
    await accessible('the sign form');
    await page.getByLabel('Name of the organisation').fill('Kingfisher Primary School');
    await page.getByLabel('Type of organisation').selectOption('school');
    await page.getByLabel('Contact person').fill('Nkechi Obi');
    await page.getByLabel('Contact email address').fill('head@kingfisher.example');
    await page.getByLabel('Region').fill('West Midlands');
    await page.getByLabel('Country').selectOption('GB');
    await page.getByRole('button', { name: 'Sign the Pledge' }).click();
    await page.waitForURL(/\/pledge\/thanks$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Check your email');

    await page.goto(`${ui.baseUrl}${await latestLink('head@kingfisher.example', '/pledge/confirm/')}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Confirm your signature');
    await accessible('the confirmation page');
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Thank you for signing');
    await page.getByRole('link', { name: 'Choose your commitments' }).click();
    await accessible('the manage page');
    await page.getByLabel('Every interview panel completes bias training first').check();
    await page.getByLabel('Headship roles advertised with flexible working').check();
    await page.getByRole('button', { name: 'Save commitments' }).click();
    expect(await page.getByRole('status').first().textContent()).to.include('commitments are saved');
    await screenshot(page, 'pledge-manage');

    await page.goto(`${ui.baseUrl}/pledge/signatories`);
    await accessible('the signatory list');
    await page.getByLabel('Name').fill('kingfisher');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('link', { name: 'Kingfisher Primary School' }).click();
    const text = await page.locator('main').textContent();
    expect(text)
      .to.include('Every interview panel completes bias training first')
      .and.to.include('Headship roles advertised with flexible working');
    expect(text).to.not.include('Gender balance of appointments');
    await accessible('the organisation page');
    await screenshot(page, 'pledge-organisation');
  });
});
