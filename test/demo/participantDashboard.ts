import { expect } from 'chai';
import { demoPassword } from '../../server/demo/people.ts';
import { screenshot, signInInBrowser, useBrowserApp } from '../support/browser.ts';

export function participantDashboardDemo(): void {
  describe('browser: a demo participant signs in and sees her dashboard', () => {
    const ui = useBrowserApp({
      env: { BASE_URL: 'http://127.0.0.1' },
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
}
