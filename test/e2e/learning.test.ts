import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { CertificateModel } from '../../models/Certificate.ts';
import { QuizAttemptModel } from '../../models/QuizAttempt.ts';
import { screenshot, signInInBrowser, useBrowserApp } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol, sampleQuiz } from '../support/learningFactories.ts';

describe('browser: a participant works through a programme and downloads her certificate', () => {
  useTestDatabase();

  const ui = useBrowserApp({ env: { BASE_URL: 'http://127.0.0.1' } });

  it('completes a view module, fails then passes the quiz, and downloads the PDF', async function () {
    this.timeout(120_000);
    const programme = await buildProgramme({ title: 'Fair recruitment for panels', track: 'governing-board' });
    const reading = await buildModule(programme.id, {
      title: 'Why it matters',
      body: '## Read this\n\nCriteria come before candidates.',
    });
    await buildModule(programme.id, { title: 'Knowledge check', completion: sampleQuiz, prerequisites: [reading.id] });
    const learner = await buildUser({ name: 'Priya Shah', roles: ['participant'] });
    await enrol(learner.id, (await buildCohort(programme.id)).id, programme.id);

    const context = await ui.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, learner.email, testPassword);
    expect(
      await page
        .getByRole('progressbar', { name: 'Progress in Fair recruitment for panels' })
        .getAttribute('aria-valuenow'),
    ).to.equal('0');
    expect(await page.getByText('Knowledge check: opens after Why it matters', { exact: false }).count()).to.equal(1);

    await page.getByRole('link', { name: 'Why it matters' }).first().click();
    await page.getByRole('button', { name: 'Mark as done' }).click();
    await page.getByText('Module completed. Well done.').waitFor();

    await page.getByRole('link', { name: 'Knowledge check →' }).click();
    expect(await page.content()).to.not.include('The answers');
    await page.getByRole('radio', { name: 'Criteria' }).check();
    await page.getByRole('checkbox', { name: 'Same questions' }).check();
    await page.getByRole('button', { name: 'Submit my answers' }).click();
    await page.getByText('You scored 50%').waitFor();
    await screenshot(page, 'learning-quiz-failed');

    expect(await page.getByRole('checkbox', { name: 'Same questions' }).isChecked()).to.equal(true);
    await page.getByRole('checkbox', { name: 'Scoring against criteria' }).check();
    await page.getByRole('button', { name: 'Submit my answers' }).click();
    await page.getByRole('heading', { name: 'Your certificates' }).waitFor();
    expect(await QuizAttemptModel.countDocuments({ userId: learner.id })).to.equal(2);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /PDF/ }).first().click(),
    ]);
    const file = await download.path();
    expect(readFileSync(file!).subarray(0, 5).toString()).to.equal('%PDF-');
    expect(download.suggestedFilename()).to.match(/\.pdf$/);
    const certificate = await CertificateModel.findOne({ userId: learner.id }).lean();
    expect(download.suggestedFilename()).to.include(certificate!.verificationCode);
    await screenshot(page, 'learning-certificates');
    await context.close();
  });

  it('a reflection shows its minimum and counts her words as she types', async function () {
    this.timeout(120_000);
    const programme = await buildProgramme({ title: 'Leading as yourself' });
    const module = await buildModule(programme.id, {
      title: 'Your values',
      completion: { type: 'reflection', minWords: 5 },
    });
    const learner = await buildUser({ roles: ['participant'] });
    await enrol(learner.id, (await buildCohort(programme.id)).id, programme.id);
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, learner.email, testPassword);
    await page.goto(`${ui.baseUrl}/modules/${module.id}`);
    await page.getByText('At least 5 words.').waitFor();
    await page.getByText('0 words of at least 5.').waitFor();
    await page.getByRole('textbox', { name: 'Your reflection' }).fill('Three short words');
    await page.getByText('3 words of at least 5.').waitFor();
    await page.getByRole('textbox', { name: 'Your reflection' }).fill('Now there are five words');
    await page.getByText('5 words of at least 5: enough.').waitFor();
    await page.getByRole('button', { name: 'Save my reflection and complete the module' }).click();
    await page.getByText('Module completed. Well done.').waitFor();
    await context.close();
  });
});
