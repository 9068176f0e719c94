import { expect } from 'chai';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { screenshot, signInInBrowser, useBrowserApp } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';

describe('browser: a demo participant signs in and sees her dashboard', () => {
  useTestDatabase();

  const ui = useBrowserApp({
    env: { BASE_URL: 'http://127.0.0.1' },
    prepare: async () => {
      await seedDemoDataIfEmpty();
    },
  });

  it('signs in with the keyboard and lands on a dashboard made for a participant', async () => {
    const page = await ui.browser.newPage();
    await signInInBrowser(page, ui.baseUrl, 'participant@pathways.test', demoPassword);
    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    expect(heading).to.include('Welcome, Priya Shah');
    expect(await page.getByText('America/Toronto').first().isVisible()).to.equal(true);
    expect(await page.locator('main#main').count()).to.equal(1);
    await screenshot(page, 'participant-dashboard');
  });
});
