import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { CertificateModel } from '../../models/Certificate.ts';
import { QuizAttemptModel } from '../../models/QuizAttempt.ts';
import { screenshot, signInInBrowser, useBrowserApp } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol, sampleQuiz } from '../support/learningFactories.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
type AxeResult = { violations: { nodes: { target: string[] }[] }[] };

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
    // The result sits below the module's text: the title says the answers were refused and focus moves to the result,
    // so a screen-reader user hears it at once rather than the page she just left.
    expect(await page.title()).to.match(/^Error: Knowledge check/);
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.include('You scored 50%');

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

  it('a module whose text starts at ### skips no heading level (axe heading-order), as a learner and in the preview', async function () {
    this.timeout(120_000);
    const programme = await buildProgramme({ title: 'Chairing a panel' });
    const module = await buildModule(programme.id, {
      title: 'Before the interviews',
      body: '### Agree the criteria\n\nWrite them down.\n\n#### Weighting\n\nOne to five.\n\n### Share them',
    });
    const learner = await buildUser({ roles: ['participant'] });
    await enrol(learner.id, (await buildCohort(programme.id)).id, programme.id);
    const author = await buildUser({ roles: ['admin'] });
    /** heading-order is one of axe's best practices, not a WCAG-tagged rule, so it is run by name here. */
    const headingOrder = async (page: Page) => {
      await page.addScriptTag({ content: axeSource });
      return page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<AxeResult> } }).axe;
        const result = await axe.run(document, { runOnly: { type: 'rule', values: ['heading-order'] } });
        return result.violations.flatMap((v) => v.nodes.map((n) => n.target.join(' ')));
      });
    };

    // bypassCSP only so the test can inject axe-core.
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, learner.email, testPassword);
    await page.goto(`${ui.baseUrl}/modules/${module.id}`);
    expect(await page.getByRole('heading', { name: 'Agree the criteria', level: 2 }).count()).to.equal(1);
    expect(await page.getByRole('heading', { name: 'Weighting', level: 3 }).count()).to.equal(1);
    expect(await headingOrder(page)).to.deep.equal([]);
    await context.close();

    const authoring = await ui.browser.newContext({ bypassCSP: true });
    const editor = await authoring.newPage();
    await signInInBrowser(editor, ui.baseUrl, author.email, testPassword);
    await editor.goto(`${ui.baseUrl}/modules/${module.id}/edit`);
    await editor.getByRole('button', { name: 'Preview' }).click();
    await editor.getByRole('heading', { name: 'Agree the criteria', level: 3 }).waitFor();
    expect(await headingOrder(editor)).to.deep.equal([]);
    await authoring.close();
  });
});
