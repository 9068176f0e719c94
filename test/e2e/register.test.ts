import { expect } from 'chai';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { UserModel } from '../../models/User.ts';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { screenshot, signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
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
    // The JavaScript enhancement shows the "Mark the rest present" button.
    expect(await page.getByRole('button', { name: 'Mark the rest present' }).isVisible()).to.equal(true);
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

    // "Mark the rest present" chooses present for the 5 rows with no mark, leaves the late and excused marks as they
    // are, and says so in its status line.
    await page.goto(`${ui.baseUrl}/sessions/${String(session._id)}/register`);
    await page.getByRole('button', { name: 'Mark the rest present' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('status').filter({ hasText: 'not yet marked' }).textContent()).to.include(
      '5 people not yet marked now have "present" chosen; the marks already chosen were left as they were.',
    );
    await page.getByRole('button', { name: 'Save register', exact: true }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/register'));
    expect(await page.locator('#register-counts').textContent()).to.include(
      '6 present, 1 late, 1 excused, 0 absent, 0 not marked',
    );
    expect((await AttendanceRecordModel.findOne({ sessionId: session._id, status: 'late' }).lean())!.note).to.equal(
      'Bus strike',
    );
  });

  it('a register saved with nothing chosen: the error summary link lands on the first row, by keyboard', async function () {
    this.timeout(60_000);
    // A session begun an hour ago whose register nobody has taken, so no row has a saved mark the form would send
    // back (a session to come has no register form yet).
    const workshop = (await CohortSessionModel.findOne({ title: 'Week 7 workshop' }).lean())!;
    const session = await CohortSessionModel.create({
      cohortId: workshop.cohortId,
      title: 'Unmarked workshop',
      startsAt: new Date(Date.now() - 60 * 60_000),
      durationMinutes: 90,
      mode: 'online',
      joinUrl: 'https://meet.example.org/unmarked',
    });
    const page = await ui.browser.newPage({ bypassCSP: true });
    await signInInBrowser(page, ui.baseUrl, 'facilitator@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/sessions/${String(session._id)}/register`);
    await page.getByRole('button', { name: 'Save register', exact: true }).click();
    await page.waitForLoadState('load');
    expect(await page.title()).to.match(/^Error: Register/);
    const link = page.locator('.error-summary a');
    expect(await link.textContent()).to.equal('Register: Nothing to save: choose a status for at least one person.');
    await link.focus();
    await page.keyboard.press('Enter');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLInputElement;
      return { type: el.type, row: el.closest('tr')?.rowIndex };
    });
    expect(focused).to.deep.equal({ type: 'radio', row: 1 });
    expect(await wcagViolations(page)).to.deep.equal([]);
    expect(await AttendanceRecordModel.countDocuments({ sessionId: session._id })).to.equal(0);
    await page.close();
  });

  it('a row refused on saving: her message is read with her choices, and the summary names her and reaches them', async function () {
    this.timeout(60_000);
    const session = (await CohortSessionModel.findOne({ title: 'Drop-in clinic (live now)' }).lean())!;
    const page = await ui.browser.newPage();
    await signInInBrowser(page, ui.baseUrl, 'facilitator@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/sessions/${String(session._id)}/register`);
    const row = page.locator('table.register tbody tr').last();
    const name = (await row.locator('th').textContent())!.trim();
    const userId = (await row.getAttribute('id'))!.replace('row-', '');
    // A status the server refuses (a stale or altered form): the row comes back with its error.
    await row
      .locator('input[type=radio]')
      .first()
      .evaluate((radio: HTMLInputElement) => {
        radio.value = 'asleep';
        radio.checked = true;
      });
    await page.getByRole('button', { name: 'Save register', exact: true }).click();
    await page.waitForLoadState('load');
    const wiring = await page.evaluate((id) => {
      const link = document.querySelector<HTMLAnchorElement>('.error-summary a')!;
      const target = document.getElementById(link.hash.slice(1));
      const radios = [...document.querySelectorAll<HTMLInputElement>(`input[name="status-${id}"]`)];
      return {
        link: link.textContent,
        target: target?.getAttribute('name'),
        described: radios.map((r) => document.getElementById(r.getAttribute('aria-describedby') ?? '')?.textContent),
      };
    }, userId);
    expect(wiring.link).to.equal(`${name}: must be one of present, late, excused, absent`);
    expect(wiring.target).to.equal(`status-${userId}`);
    expect(wiring.described).to.have.length(4);
    for (const text of wiring.described) expect(text).to.include('must be one of present, late, excused, absent');
    await page.close();
  });

  it('cancelling a session asks first: with JavaScript in a dialog (dismissed: nothing; accepted: cancelled at once), without it on a page of its own', async function () {
    this.timeout(90_000);
    const facilitator = (await UserModel.findOne({ email: 'facilitator@pathways.test' }).lean())!;
    const runs = await CohortModel.find({ facilitatorIds: facilitator._id }, { _id: 1 }).lean();
    // Sessions to come that the other tests here do not use.
    const [first, second] = await CohortSessionModel.find({
      cohortId: { $in: runs.map((c) => c._id) },
      status: 'scheduled',
      startsAt: { $gt: new Date() },
      title: { $ne: 'Week 7 workshop' },
    })
      .sort({ startsAt: -1 })
      .limit(2)
      .lean();
    const statusOf = async (id: unknown) => (await CohortSessionModel.findById(id).lean())!.status;
    // The question names the session and its time in her zone, the zone named: "… 10:00 GMT+1 (Europe/London)?"
    const question = (title: string, after: string) =>
      new RegExp(
        `^Cancel the session “${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}” on .+ \\([A-Za-z_/]+\\)\\?${after}`,
      );

    const page = await ui.browser.newPage({ bypassCSP: true });
    await signInInBrowser(page, ui.baseUrl, 'facilitator@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/sessions/${String(first!._id)}/edit`);
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Cancel session' }).click();
    expect(asked).to.have.length(1);
    expect(asked[0]).to.match(question(first!.title, ' Everyone enrolled will be emailed'));
    expect(new URL(page.url()).pathname).to.equal(`/sessions/${String(first!._id)}/edit`);
    expect(await statusOf(first!._id)).to.equal('scheduled');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Cancel session' }).click();
    await page.waitForURL((url) => url.pathname === `/sessions/${String(first!._id)}`);
    expect(await page.locator('.flash').first().textContent()).to.include('Session cancelled');
    expect(await statusOf(first!._id)).to.equal('cancelled');

    // The page a post without confirming gets (no JavaScript, or an old page) passes the WCAG checks.
    await page.goto(`${ui.baseUrl}/sessions/${String(second!._id)}/edit`);
    await page.locator(`form[action$="/cancel"]`).evaluate((form: HTMLFormElement) => form.submit());
    await page.waitForURL((url) => url.pathname.endsWith('/cancel'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.match(question(second!.title, '$'));
    expect(await wcagViolations(page)).to.deep.equal([]);
    await page.close();

    const noScript = await ui.browser.newContext({ javaScriptEnabled: false });
    const plain = await noScript.newPage();
    await signInInBrowser(plain, ui.baseUrl, 'facilitator@pathways.test', demoPassword);
    // Without JavaScript the register shows no "Mark all present" button: it would do nothing. (A `hidden` element
    // is shown when a class sets its display, unless the stylesheet keeps `hidden` hidden.)
    const live = (await CohortSessionModel.findOne({ title: 'Drop-in clinic (live now)' }).lean())!;
    await plain.goto(`${ui.baseUrl}/sessions/${String(live._id)}/register`);
    expect(await plain.locator('[data-mark-all]').isVisible()).to.equal(false);
    expect(await plain.locator('input[type="radio"]').count()).to.be.greaterThan(0);
    await plain.goto(`${ui.baseUrl}/sessions/${String(second!._id)}/edit`);
    await plain.getByRole('button', { name: 'Cancel session' }).click();
    await plain.waitForURL((url) => url.pathname.endsWith('/cancel'));
    expect(await plain.getByRole('heading', { level: 1 }).textContent()).to.match(question(second!.title, '$'));
    expect(await statusOf(second!._id)).to.equal('scheduled');
    expect(await plain.getByRole('link', { name: 'No, go back' }).getAttribute('href')).to.equal(
      `/sessions/${String(second!._id)}/edit`,
    );
    await plain.getByRole('button', { name: 'Yes, cancel the session' }).click();
    await plain.waitForURL((url) => url.pathname === `/sessions/${String(second!._id)}`);
    expect(await statusOf(second!._id)).to.equal('cancelled');
    await noScript.close();
  });
});
