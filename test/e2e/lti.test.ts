import { expect } from 'chai';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { UserModel } from '../../models/User.ts';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';

describe('browser: the LTI admin and class-list pages meet WCAG 2.2 AA', () => {
  useTestDatabase();

  const ui = useBrowserApp({
    timeoutMs: 180_000,
    prepare: async () => {
      await seedDemoDataIfEmpty();
    },
  });

  it('an admin registers a platform with a bad URL, sees the field error, and both pages have no violations', async function () {
    this.timeout(120_000);
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/admin/lti`);
    const problems = (await wcagViolations(page)).map((v) => `/admin/lti: ${v}`);
    await page.getByLabel('Name').fill('Trust Moodle');
    await page.getByLabel('Issuer (platform id)').fill('https://moodle.trust.example');
    await page.getByLabel('Client id').fill('abc');
    await page.getByLabel('Authentication request URL').fill('http://moodle.trust.example/mod/lti/auth.php');
    await page.getByLabel('Access token URL').fill('https://moodle.trust.example/mod/lti/token.php');
    await page.getByLabel('Public keyset URL').fill('https://moodle.trust.example/mod/lti/certs.php');
    await page.getByLabel('Deployment ids').fill('3');
    await page.getByRole('button', { name: 'Register platform' }).click();
    // The summary names the field by its label, as the form does.
    expect(await page.locator('.error-summary').textContent()).to.include('Authentication request URL:');
    await page.getByLabel('Authentication request URL').fill('https://moodle.trust.example/mod/lti/auth.php');
    await page.getByRole('button', { name: 'Register platform' }).click();
    expect(await page.locator('table').textContent()).to.include('Trust Moodle');
    const participant = await UserModel.findOne({ email: 'participant@pathways.test' }).lean();
    const enrolment = await EnrolmentModel.findOne({ userId: participant!._id, status: 'active' }).lean();
    await page.goto(`${ui.baseUrl}/cohorts/${enrolment!.cohortId}/lms`);
    problems.push(...(await wcagViolations(page)).map((v) => `/cohorts/:id/lms: ${v}`));
    expect(problems).to.deep.equal([]);
    await context.close();
  });
});
