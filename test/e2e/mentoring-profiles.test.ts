import { expect } from 'chai';
import supertest from 'supertest';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentoringFactories.ts';
import { acceptMentoringRequest, createMentoringRequest } from '../../server/services/mentoring/requests.ts';
import { recordOutcome } from '../../server/services/mentoring/mentorships.ts';

describe('browser: mentoring profiles, suggestions, the assignment review and the admin overview meet WCAG 2.2 AA', () => {
  useTestDatabase();
  const ui = useBrowserApp();

  it('a mentor fills her profile with a bad window, reads the error by the row, corrects it; no page has a violation', async function () {
    this.timeout(120_000);
    const mentor = await buildUser({ roles: ['mentor'] });
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, mentor.email, testPassword);
    await page.goto(`${ui.baseUrl}/mentoring/profile/mentor`);
    expect(await wcagViolations(page)).to.deep.equal([]);
    await page.getByLabel('School phase').selectOption('secondary');
    await page.getByLabel('Years as a head').fill('7');
    await page.getByLabel('School', { exact: true }).fill('Northgate High');
    await page.getByLabel('Country').selectOption('GB');
    await page.getByLabel('Time zone').fill('Europe/London');
    await page.getByLabel('Interviews').check();
    await page.getByLabel('How many mentees you take at once').fill('2');
    await page.getByLabel('Monday, from').fill('15:00');
    await page.getByLabel('Monday, to').fill('13:00');
    await page.getByRole('button', { name: 'Save my mentor profile' }).click();
    await page.getByText('There is a problem').waitFor();
    expect(
      await page.getByText('the Monday window 15:00–13:00 ends before or when it starts').count(),
    ).to.be.greaterThan(0);
    expect(await wcagViolations(page)).to.deep.equal([]);
    await page.getByLabel('Monday, to').fill('17:00');
    await page.getByRole('button', { name: 'Save my mentor profile' }).click();
    await page.getByText('Your mentor profile was saved.').waitFor();
    await context.close();
  });

  it('a window ending at 24:00 saved through the API reads 24:00 in the form and saves again unchanged; she types 24:00 herself; all without JavaScript', async function () {
    this.timeout(120_000);
    const mentee = await buildUser({ timezone: 'Europe/London' });
    await supertest(ui.baseUrl)
      .put('/api/v1/me/mentee-profile')
      .set('Authorization', `Bearer ${await tokenFor(mentee)}`)
      .send({
        goals: ['interviews'],
        phase: 'primary',
        country: 'GB',
        timezone: 'Europe/London',
        availability: [{ day: 'mon', from: '19:00', to: '24:00' }],
      })
      .expect(200);
    const noScript = await ui.browser.newContext({ javaScriptEnabled: false });
    const page = await noScript.newPage();
    await signInInBrowser(page, ui.baseUrl, mentee.email, testPassword);
    await page.goto(`${ui.baseUrl}/mentoring/profile/mentee`);
    expect(await page.getByLabel('Monday, to', { exact: true }).inputValue()).to.equal('24:00');
    expect(await page.getByRole('columnheader', { name: 'To', exact: true }).isVisible()).to.equal(true);
    expect(await page.getByText('A window may end at 24:00').isVisible()).to.equal(true);
    await page.getByLabel('Tuesday, from', { exact: true }).pressSequentially('21:30');
    await page.getByLabel('Tuesday, to', { exact: true }).pressSequentially('24:00');
    await page.getByRole('button', { name: 'Save and see my suggested mentors' }).click();
    await page.waitForURL(/\/mentoring\/suggestions/);
    expect((await MenteeProfileModel.findOne({ userId: mentee.id }).lean())!.availability).to.deep.equal([
      { day: 'mon', from: '19:00', to: '24:00' },
      { day: 'tue', from: '21:30', to: '24:00' },
    ]);
    await page.goto(`${ui.baseUrl}/mentoring/profile/mentee`);
    expect(await page.getByLabel('Tuesday, to', { exact: true }).inputValue()).to.equal('24:00');
    await noScript.close();

    const context = await ui.browser.newContext({ bypassCSP: true });
    const checked = await context.newPage();
    await signInInBrowser(checked, ui.baseUrl, mentee.email, testPassword);
    await checked.goto(`${ui.baseUrl}/mentoring/profile/mentee`);
    expect(await wcagViolations(checked)).to.deep.equal([]);
    await context.close();
  });

  it('the suggestions page and the admin assignment review have no violation', async function () {
    this.timeout(120_000);
    await buildMentor({}, { name: 'Helen Mentor' });
    const mentee = await buildMentee({}, { name: 'Grace Mentee' });
    const admin = await buildUser({ roles: ['admin'] });
    for (const [person, path, text] of [
      [mentee, '/mentoring/suggestions', 'Helen Mentor'],
      [admin, '/mentoring/assignments', 'Grace Mentee'],
    ] as const) {
      const context = await ui.browser.newContext({ bypassCSP: true });
      const page = await context.newPage();
      await signInInBrowser(page, ui.baseUrl, person.email, testPassword);
      await page.goto(`${ui.baseUrl}${path}`);
      expect(await page.getByText(text).count(), path).to.be.greaterThan(0);
      expect(await wcagViolations(page), path).to.deep.equal([]);
      await context.close();
    }
  });

  it('the admin overview, with its outcomes chart drawn, has no violation', async function () {
    this.timeout(120_000);
    const mentor = await buildMentor({}, { name: 'Ruth Chart' });
    const mentee = await buildMentee({}, { name: 'Ivy Chart' });
    const request = await createMentoringRequest({
      actor: { id: mentee.id, roles: mentee.roles },
      mentorId: mentor.id,
      message: 'Help with my application.',
    });
    await acceptMentoringRequest({ actor: { id: mentor.id, roles: mentor.roles }, requestId: String(request._id) });
    const today = new Date().toISOString().slice(0, 10);
    await recordOutcome({ actor: { id: mentee.id, roles: mentee.roles }, kind: 'applied', on: today });
    const admin = await buildUser({ roles: ['admin'] });
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, admin.email, testPassword);
    await page.goto(`${ui.baseUrl}/admin/mentoring`);
    await page.getByRole('img', { name: 'Outcomes recorded each month, by kind' }).waitFor();
    expect(await page.getByRole('table', { name: /Outcomes each month/ }).count()).to.equal(1);
    expect(await wcagViolations(page)).to.deep.equal([]);
    await context.close();
  });
});
