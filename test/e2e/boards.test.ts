import { expect } from 'chai';
import { DateTime } from 'luxon';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { ModuleModel } from '../../models/Module.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { completeModule } from '../../server/services/learning/completion.ts';
import { asActor, buildBoard, buildGoverningProgramme, giveCertificate } from '../support/boardsFactories.ts';
import { screenshot, signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';

describe('browser: a chair sets up an interview panel and watches it become ready', () => {
  useTestDatabase();
  let chair: TestUser;
  let trained: TestUser;
  let second: TestUser;
  let third: TestUser;
  let board: { id: string };

  const ui = useBrowserApp({
    env: { BASE_URL: 'http://127.0.0.1' },
    prepare: async () => {
      chair = await buildUser({ roles: ['governor'], name: 'Chair Carys' });
      trained = await buildUser({ roles: ['governor'], name: 'Trained Tamsin' });
      second = await buildUser({ roles: ['governor'], name: 'Second Sofia' });
      third = await buildUser({ roles: ['governor'], name: 'Third Thea' });
      board = await buildBoard([
        { user: chair, role: 'chair' },
        { user: trained, role: 'governor' },
        { user: second, role: 'governor' },
        { user: third, role: 'governor' },
      ]);
      await buildGoverningProgramme(2);
      await giveCertificate(trained.id, { issuedAt: new Date(Date.now() - 86_400_000), expiresAt: null });
    },
  });

  it('creates a round with a panel of three, enrols the two who lack training, and the board turns ready after they complete', async function () {
    this.timeout(120_000);
    const page = await ui.browser.newPage();
    await signInInBrowser(page, ui.baseUrl, chair.email, testPassword);
    await page.goto(`${ui.baseUrl}/boards/${board.id}`);
    await page.getByLabel('Title').fill('Headteacher, January 2028');
    await page.getByLabel('Interview date', { exact: true }).fill(DateTime.now().plus({ days: 21 }).toISODate()!);
    for (const name of ['Trained Tamsin', 'Second Sofia', 'Third Thea'])
      await page.getByLabel(new RegExp(name)).check();
    await page.getByRole('button', { name: 'Create round' }).click();
    await page.waitForURL(/\/rounds\/[0-9a-f]{24}$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Headteacher, January 2028');
    expect(await page.locator('.readiness-summary').textContent()).to.include('2 of 3 panel members not ready');

    await page.getByRole('button', { name: 'Enrol 2 panel members who lack training' }).click();
    await page
      .getByText('2 panel member(s) enrolled')
      .waitFor({ timeout: 60_000 })
      .catch(async (e) => {
        await screenshot(page, 'boards-debug');
        throw e;
      });
    await screenshot(page, 'boards-round-enrolled');

    for (const member of [second, third]) {
      const enrolment = (await EnrolmentModel.findOne({ userId: member.id, status: 'active' }).lean())!;
      for (const m of await ModuleModel.find({ programmeId: enrolment.programmeId, archived: false }).lean()) {
        await completeModule({ actor: asActor(member), moduleId: String(m._id), input: {}, now: new Date() });
      }
    }
    await page.reload();
    const summary = await page.locator('.readiness-summary').textContent();
    expect(summary).to.include('Ready');
    expect(summary).to.include('Every panel member holds unconscious-bias training');
    expect(await page.locator('.readiness-board.readiness-ready').count()).to.equal(1);
    expect(await page.locator('td .badge', { hasText: 'Valid on the interview day' }).count()).to.equal(3);
    await screenshot(page, 'boards-round-ready');
  });

  it('the board, round, training and dashboard pages have no WCAG A/AA violations', async function () {
    this.timeout(120_000);
    // bypassCSP only so axe-core can be injected.
    const page = await ui.browser.newPage({ bypassCSP: true });
    await signInInBrowser(page, ui.baseUrl, chair.email, testPassword);
    const round = await RecruitmentRoundModel.findOne({ boardId: board.id }).lean();
    const problems: string[] = [];
    for (const path of [
      '/',
      '/boards',
      `/boards/${board.id}`,
      `/rounds/${String(round!._id)}`,
      '/training/safer-recruitment',
    ]) {
      await page.goto(`${ui.baseUrl}${path}`);
      for (const v of await wcagViolations(page)) problems.push(`${path}: ${v}`);
    }
    expect(problems).to.deep.equal([]);
  });
});
