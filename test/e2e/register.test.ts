import { expect } from 'chai';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { screenshot, signInInBrowser, useBrowserApp } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';

describe('browser: a facilitator fills a register by keyboard and sees the report change', () => {
  useTestDatabase();

  const ui = useBrowserApp({
    env: { BASE_URL: 'http://127.0.0.1' },
    prepare: async () => {
      await seedDemoDataIfEmpty();
    },
  });

  it('marks three people with Space, arrows and Tab, saves with Enter, and the attendance report counts them', async function () {
    this.timeout(60_000);
    const session = (await CohortSessionModel.findOne({ title: 'Drop-in clinic (live now)' }).lean())!;
    const page = await ui.browser.newPage();
    await signInInBrowser(page, ui.baseUrl, 'facilitator@pathways.test', demoPassword);

    const reportUrl = `${ui.baseUrl}/cohorts/${String(session.cohortId)}/attendance`;
    await page.goto(reportUrl);
    const liveRow = page.getByRole('row').filter({ hasText: 'Drop-in clinic (live now)' });
    const before = (await liveRow.getByRole('cell').allTextContents()).slice(-5);
    expect(before).to.deep.equal(['0', '0', '0', '0', '8']);

    await page.goto(`${ui.baseUrl}/sessions/${String(session._id)}/register`);
    // The JavaScript enhancement shows the "Mark all present" button.
    expect(await page.getByRole('button', { name: 'Mark all present' }).isVisible()).to.equal(true);
    const firstRadio = page.locator('table.register input[type=radio]').first();
    await firstRadio.focus();
    await page.keyboard.press('Space'); // row 1: present
    await page.keyboard.press('Tab'); // row 1 note
    await page.keyboard.press('Tab'); // row 2: radio group (first radio, not yet chosen)
    await page.keyboard.press('ArrowRight'); // row 2: late
    await page.keyboard.press('Tab'); // row 2 note
    await page.keyboard.type('Bus strike');
    await page.keyboard.press('Tab'); // row 3: radio group
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight'); // row 3: excused
    await screenshot(page, 'register-marked');
    await page.getByRole('button', { name: 'Save register', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname.endsWith('/register'));
    expect(await page.locator('.flash').first().textContent()).to.include('Register saved (3 rows)');
    expect(await page.locator('#register-counts').textContent()).to.include(
      '1 present, 1 late, 1 excused, 0 absent, 5 not marked',
    );

    const records = await AttendanceRecordModel.find({ sessionId: session._id }).lean();
    expect(records.map((r) => r.status).sort()).to.deep.equal(['excused', 'late', 'present']);
    expect(records.find((r) => r.status === 'late')!.note).to.equal('Bus strike');

    await page.goto(reportUrl);
    const after = (
      await page.getByRole('row').filter({ hasText: 'Drop-in clinic (live now)' }).getByRole('cell').allTextContents()
    ).slice(-5);
    expect(after).to.deep.equal(['1', '1', '1', '0', '5']);
    await screenshot(page, 'attendance-report');
  });
});
