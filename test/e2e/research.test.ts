import { expect } from 'chai';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { SurveyModel } from '../../models/Survey.ts';
import { SurveyResponseModel } from '../../models/SurveyResponse.ts';
import { refreshAllCohortFigures } from '../../server/services/research/cohortFigures.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { screenshot, signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { enrolDirectly } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';

describe('browser: a researcher walks through the impact dashboard', () => {
  useTestDatabase();
  let researcher: TestUser;

  const ui = useBrowserApp({
    env: { BASE_URL: 'http://127.0.0.1' },
    prepare: async () => {
      researcher = await buildUser({ roles: ['researcher'], name: 'Rhea Researcher' });
      const aspiring = await ProgrammeModel.create({
        title: 'Aspiring to headship',
        track: 'aspiring-leader',
        summary: 's',
        status: 'published',
      });
      const heads = await ProgrammeModel.create({
        title: 'New heads',
        track: 'new-head',
        summary: 's',
        status: 'published',
      });
      const cohort = (p: typeof aspiring) =>
        CohortModel.create({
          programmeId: p._id,
          name: 'C',
          capacity: 40,
          timezone: 'Europe/London',
          startsOn: '2026-02-01',
          endsOn: '2026-07-31',
        });
      const [a, h] = await Promise.all([cohort(aspiring), cohort(heads)]);
      const survey = await SurveyModel.create({
        title: 'Start',
        programmeId: aspiring._id,
        moment: 'start',
        createdBy: researcher.id,
        questions: [{ id: 'confidence', prompt: 'Confidence to apply', type: 'likert5' }],
      });
      for (let i = 0; i < 12; i++) {
        const user = await buildUser();
        const inHeads = i >= 9;
        await enrolDirectly(inHeads ? h : a, user.id, new Date('2026-02-01T09:00:00Z'));
        await setResearchConsent({ userId: user.id, consented: true, now: new Date('2026-02-02T09:00:00Z') });
        if (!inHeads) {
          await SurveyResponseModel.create({
            surveyId: survey._id,
            userId: user.id,
            programmeId: aspiring._id,
            moment: 'start',
            answers: { confidence: 2 + (i % 3) },
            answeredAt: new Date('2026-02-03T09:00:00Z'),
          });
          await CareerOutcomeModel.create({ userId: user.id, kind: 'applied', on: '2026-09-01' });
        }
      }
      // Answers and outcomes written straight into the collections reach the figures when the scheduled job runs.
      await refreshAllCohortFigures();
    },
  });

  it('reads the figures in the chart and the table, filters by programme, opens the data dictionary; no serious or critical axe violation', async function () {
    this.timeout(120_000);
    const page = await ui.browser.newPage({ bypassCSP: true });
    await signInInBrowser(page, ui.baseUrl, researcher.email, testPassword);
    await page.getByRole('link', { name: 'Research', exact: true }).click();
    await page.waitForURL(/\/research$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Impact dashboard');
    const summary = page.getByRole('row', { name: /^Participants/ });
    expect(await summary.textContent()).to.include('12');
    // The new-heads track has 3 people: withheld, and so is the other track (it would give them away).
    expect(await summary.textContent()).to.include('fewer than 5');
    const chart = page.getByRole('img', { name: /Mean answer at the start and end/ });
    expect(await chart.count()).to.equal(1);
    expect(await page.getByRole('table', { name: 'Figures of the chart' }).first().textContent()).to.include(
      'Start: Confidence to apply',
    );

    await page.getByLabel('Programme', { exact: true }).selectOption({ label: 'Aspiring to headship' });
    await page.getByRole('button', { name: 'Show figures' }).click();
    await page.waitForURL(/programmeId=/);
    // Its 9 people are withheld in the unfiltered breakdown (they would give away the new heads' 3), so the filtered
    // view withholds them too: a filter never shows a cell the breakdown withholds.
    expect(await page.getByRole('row', { name: /^Participants/ }).textContent()).to.include('fewer than 5');
    expect(await page.getByLabel('Programme', { exact: true }).inputValue()).not.to.equal('');
    await screenshot(page, 'research-dashboard');

    const problems: string[] = [];
    for (const path of ['/research', '/research/data-dictionary', '/surveys', '/surveys/new', '/account/research']) {
      await page.goto(`${ui.baseUrl}${path}`);
      for (const v of await wcagViolations(page)) if (/\((serious|critical)\)/.test(v)) problems.push(`${path}: ${v}`);
    }
    expect(problems).to.deep.equal([]);
    await page.goto(`${ui.baseUrl}/research`);
    await page.getByRole('link', { name: 'Data dictionary' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.include('Data dictionary');
  });

  it('at 320 px a wide table is a region named by its caption, which the keyboard reaches with Tab and scrolls (WCAG 2.1.1)', async function () {
    this.timeout(60_000);
    const page = await ui.browser.newPage({ bypassCSP: true, viewport: { width: 320, height: 640 } });
    await signInInBrowser(page, ui.baseUrl, researcher.email, testPassword);
    await page.goto(`${ui.baseUrl}/research`);
    // The first table too wide for the screen (the figures by programme and group).
    const wide = await page
      .locator('.table-wrap')
      .evaluateAll((els) => els.findIndex((el) => el.scrollWidth > el.clientWidth));
    expect(wide).to.be.at.least(0);
    const region = page.locator('.table-wrap').nth(wide);
    expect(await region.getAttribute('role')).to.equal('region');
    const captionId = await region.getAttribute('aria-labelledby');
    const caption = page.locator(`caption#${captionId}`);
    expect(await caption.count()).to.equal(1);
    expect(await page.getByRole('region', { name: (await caption.textContent())!.trim() }).count()).to.equal(1);
    expect(await region.evaluate((el) => el.scrollWidth > el.clientWidth)).to.equal(true);
    let presses = 0;
    while (!(await region.evaluate((el) => el === document.activeElement)) && presses < 80) {
      await page.keyboard.press('Tab');
      presses++;
    }
    expect(presses).to.be.below(80);
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    // Chromium scrolls for arrow keys with an animation, so on a busy machine the first frames may not have moved
    // it yet when the presses return: wait for it to have moved (up to 5 s), rather than read it at once.
    let scrollLeft = 0;
    for (const started = Date.now(); scrollLeft === 0 && Date.now() - started < 5_000;) {
      scrollLeft = await region.evaluate((el) => el.scrollLeft);
      if (scrollLeft === 0) await page.waitForTimeout(50);
    }
    expect(scrollLeft, 'how far the region scrolled right under the arrow keys').to.be.greaterThan(0);
    expect(await wcagViolations(page)).to.satisfy((found: string[]) =>
      found.every((v) => !/\((serious|critical)\)/.test(v)),
    );
  });
});
