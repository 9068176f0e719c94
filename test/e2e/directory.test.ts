import { expect } from 'chai';
import { screenshot, signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildNetwork } from '../support/directoryFactories.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';
import { saveDirectoryProfile } from '../../server/services/directory/profiles.ts';

const seriousOnly = (violations: string[]) => violations.filter((v) => /\((serious|critical)\)/.test(v));

describe('browser: find a person in the directory and write to her; a lead finds a time', () => {
  useTestDatabase();
  let seeker: TestUser;
  let found: TestUser;
  let network: { id: string };

  const ui = useBrowserApp({
    env: { BASE_URL: 'http://127.0.0.1' },
    prepare: async () => {
      seeker = await buildUser({ name: 'Sasha Seeker', timezone: 'America/Toronto' });
      found = await buildUser({ name: 'Farah Found', timezone: 'Asia/Kuala_Lumpur' });
      const others = await Promise.all(
        ['Europe/London', 'Asia/Dubai', 'Australia/Sydney'].map((timezone) => buildUser({ timezone })),
      );
      network = await buildNetwork([seeker, found, ...others], { leads: [seeker], name: 'Leaders across zones' });
      await saveDirectoryProfile({
        actor: { ...found, roles: found.roles },
        profile: {
          visibility: 'networks',
          headline: 'Principal in Kuala Lumpur, open to peer support',
          role: 'Principal',
          phase: 'secondary',
          country: 'MY',
          region: 'Kuala Lumpur',
          topics: ['wellbeing-and-isolation'],
          openTo: ['peer-support'],
        },
      });
    },
  });

  it('searches by country and topic, opens her profile, sends a message, with no serious accessibility problem', async function () {
    this.timeout(120_000);
    // bypassCSP only so axe-core can be injected.
    const page = await ui.browser.newPage({ bypassCSP: true });
    await signInInBrowser(page, ui.baseUrl, seeker.email, testPassword);
    await page.goto(`${ui.baseUrl}/directory`);
    const problems: string[] = [];
    problems.push(...seriousOnly(await wcagViolations(page)).map((v) => `/directory: ${v}`));
    await page.getByLabel('Country').selectOption('MY');
    await page.getByLabel('Topic').selectOption('wellbeing-and-isolation');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Farah Found' }).click();
    await page.waitForURL(/\/directory\/people\/[0-9a-f]{24}$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Farah Found');
    expect(await page.content()).to.not.include(found.email);
    problems.push(...seriousOnly(await wcagViolations(page)).map((v) => `/directory/people: ${v}`));
    await page.getByLabel('Your message').fill('Would you like to talk about the first year?');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByText('Your message was sent to Farah Found').waitFor();
    await screenshot(page, 'directory-message-sent');

    await page.goto(`${ui.baseUrl}/directory/profile`);
    problems.push(...seriousOnly(await wcagViolations(page)).map((v) => `/directory/profile: ${v}`));

    await page.goto(`${ui.baseUrl}/networks/${network.id}/find-a-time?durationMinutes=60&from=2027-01-13&days=3`);
    expect(await page.locator('caption').first().textContent()).to.include('America/Toronto');
    expect(await page.locator('svg.heat-map').getAttribute('role')).to.equal('img');
    problems.push(...seriousOnly(await wcagViolations(page)).map((v) => `find-a-time: ${v}`));
    await screenshot(page, 'directory-find-a-time');
    expect(problems).to.deep.equal([]);
  });
});
