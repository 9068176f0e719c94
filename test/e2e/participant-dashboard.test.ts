import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { launchBrowser, screenshot, serveTestApp, signInInBrowser } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';

describe('browser: a demo participant signs in and sees her dashboard', () => {
  useTestDatabase();
  let browser: Browser;
  let served: Awaited<ReturnType<typeof serveTestApp>>;

  before(async function () {
    this.timeout(120_000);
    await seedDemoDataIfEmpty();
    served = await serveTestApp({ BASE_URL: 'http://127.0.0.1' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });

  it('signs in with the keyboard and lands on a dashboard made for a participant', async () => {
    const page = await browser.newPage();
    await signInInBrowser(page, served.baseUrl, 'participant@pathways.test', demoPassword);
    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    expect(heading).to.include('Welcome, Priya Shah');
    expect(await page.getByText('America/Toronto').first().isVisible()).to.equal(true);
    expect(await page.locator('main#main').count()).to.equal(1);
    await screenshot(page, 'participant-dashboard');
  });
});
