import { expect } from 'chai';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { MentorshipMeetingModel } from '../../models/MentorshipMeeting.ts';
import { screenshot, signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';
import { buildMentor } from '../support/mentorshipFactories.ts';

/** axe's serious and critical findings only (the bar the issue sets). */
const serious = async (page: Page) => (await wcagViolations(page)).filter((v) => /\((serious|critical)\)/.test(v));

describe('browser: a mentee asks for a mentor, the mentor accepts and logs a first meeting', () => {
  useTestDatabase();
  let mentee: TestUser;
  let mentor: TestUser;

  const ui = useBrowserApp({
    env: { BASE_URL: 'http://127.0.0.1' },
    prepare: async () => {
      mentee = await buildUser({ name: 'Rosa Aspiring', timezone: 'Europe/London' });
      mentor = await buildMentor({ name: 'Dame Helen Serving', capacity: 2 });
    },
  });

  it('walks from profile to request to accept to a first meeting log, by keyboard and labels, with no serious axe finding', async function () {
    this.timeout(180_000);
    const findings: string[] = [];
    // bypassCSP only so the test can inject axe-core (the app's CSP is asserted in test/routes/platform.test.ts).
    const page = await ui.browser.newPage({ bypassCSP: true });
    await signInInBrowser(page, ui.baseUrl, mentee.email, testPassword);

    await page.goto(`${ui.baseUrl}/mentoring/profile/mentee`);
    findings.push(...(await serious(page)));
    await page.getByLabel('Interviews', { exact: true }).check();
    await page.getByLabel('School phase').selectOption('primary');
    await page.getByLabel('School (optional)').fill('Brook Lane Primary');
    await page.getByLabel('Country', { exact: true }).selectOption('GB');
    await page.getByLabel('Region', { exact: true }).fill('London');
    await page.getByLabel('Time zone', { exact: true }).fill('Europe/London');
    await page.getByLabel('Languages', { exact: true }).fill('English');
    for (const day of ['Monday', 'Tuesday', 'Wednesday']) {
      await page.getByLabel(`${day}, from`, { exact: true }).fill('18:00');
      await page.getByLabel(`${day}, to`, { exact: true }).fill('21:00');
    }
    await page.getByRole('button', { name: 'Save and see my suggested mentors' }).press('Enter');
    await page.waitForURL(/\/mentoring\/suggestions/);
    findings.push(...(await serious(page)));
    await page.getByRole('link', { name: 'Request Dame Helen Serving as your mentor' }).click();
    await page.waitForURL(/\/mentoring\/requests\/new\?mentorId=/);
    findings.push(...(await serious(page)));
    await page.getByLabel('Your message to her').fill('I have my first headship interview in March.');
    await page.getByRole('button', { name: 'Send the request' }).press('Enter');
    await page.waitForURL(/\/mentoring\/requests$/);
    expect(await page.textContent('main')).to.include('Your request was sent to Dame Helen Serving');
    findings.push(...(await serious(page)));

    const hers = await ui.browser.newPage({ bypassCSP: true });
    await signInInBrowser(hers, ui.baseUrl, mentor.email, testPassword);
    await hers.goto(`${ui.baseUrl}/mentoring/requests`);
    findings.push(...(await serious(hers)));
    expect(await hers.textContent('main')).to.include('I have my first headship interview in March.');
    await hers.getByRole('button', { name: 'Accept Rosa Aspiring' }).press('Enter');
    await hers.waitForURL(/\/mentorships\/[0-9a-f]{24}$/);
    expect(await hers.textContent('main')).to.include('You are now mentoring Rosa Aspiring.');
    findings.push(...(await serious(hers)));
    const heldAt = DateTime.now().setZone('Europe/London').minus({ hours: 1 }).startOf('minute');
    await hers.getByLabel('When you met (Europe/London)').fill(heldAt.toFormat("yyyy-LL-dd'T'HH:mm"));
    await hers.getByLabel('How long, in minutes').fill('45');
    await hers.getByLabel('Shared notes (both of you see them)').fill('Talked through the interview day.');
    await hers.getByLabel('Private notes (only you see them)').fill('Strong on curriculum.');
    await hers.getByRole('button', { name: 'Log the meeting' }).press('Enter');
    await hers.getByText('The meeting was logged.').waitFor();
    findings.push(...(await serious(hers)));
    await screenshot(hers, 'mentoring-first-meeting');
    expect(await MentorshipMeetingModel.countDocuments({ authorId: mentor.id })).to.equal(1);

    await page.goto(hers.url());
    const menteeView = (await page.textContent('main'))!;
    expect(menteeView).to.include('Talked through the interview day.');
    expect(menteeView).not.to.include('Strong on curriculum.');
    findings.push(...(await serious(page)));
    expect(findings, findings.join('\n')).to.deep.equal([]);
  });
});
