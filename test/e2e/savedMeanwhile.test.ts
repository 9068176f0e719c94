import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import supertest from 'supertest';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { endMentorshipsPastTheirEnd } from '../../server/services/mentoring/mentorships.ts';
import { signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { buildCohort, buildSession } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';
import { buildNetwork } from '../support/networkFactories.ts';
import { buildBoard } from '../support/boardsFactories.ts';
import { buildCommitmentOption } from '../support/pledgeFactories.ts';

/**
 * The states of pages added today, as a keyboard and screen-reader user meets them: a save refused because a
 * colleague saved first (409), a network with two leads and a disabled member, a mentorship ended on its end date.
 */
describe('browser: a form saved meanwhile, a network with two leads, an ended mentorship (WCAG 2.2 AA)', () => {
  useTestDatabase();
  let admin: TestUser;
  let mentee: TestUser;
  let cohortId: string;
  let programmeId: string;
  let sessionId: string;
  let network: { id: string; name: string };
  let activeMentorship: string;
  let endedMentorship: string;

  const ui = useBrowserApp({
    prepare: async () => {
      admin = await buildUser({ roles: ['admin'], name: 'Ada Admin', timezone: 'America/Toronto' });
      const cohort = await buildCohort({ name: 'Spring cohort' });
      cohortId = String(cohort._id);
      programmeId = String(cohort.programmeId);
      sessionId = String((await buildSession(cohort._id))._id);
      network = await buildNetwork(
        { name: 'Returners after a career break' },
        {
          leads: [await buildUser({ name: 'Lena Lead' }), await buildUser({ name: 'Lola Lead' })],
          members: [
            await buildUser({ name: 'Mia Member' }),
            await buildUser({ name: 'Dora Disabled', status: 'disabled' }),
          ],
        },
      );
    },
  });

  /** A mentorship accepted through the API, as members make one. */
  async function mentorshipOf(who: TestUser): Promise<string> {
    const mentor = await buildMentor();
    const asked = await supertest(ui.baseUrl)
      .post('/api/v1/mentoring/requests')
      .set('Authorization', `Bearer ${await tokenFor(who)}`)
      .send({ mentorId: mentor.id, message: 'Please.' })
      .expect(201);
    const accepted = await supertest(ui.baseUrl)
      .post(`/api/v1/mentoring/requests/${asked.body.id}/accept`)
      .set('Authorization', `Bearer ${await tokenFor(mentor)}`)
      .expect(201);
    return accepted.body.id as string;
  }

  /** Opens `path` in two tabs of one session, saves the first, then the second: the second is the stale one. */
  async function savedMeanwhile(
    browser: Browser,
    email: string,
    path: string,
    edit: (page: Page, which: 'first' | 'second') => Promise<void>,
    options: { javaScriptEnabled?: boolean } = {},
  ): Promise<{ page: Page; status: number | undefined }> {
    const context = await browser.newContext({ bypassCSP: true, ...options });
    const first = await context.newPage();
    await signInInBrowser(first, ui.baseUrl, email, testPassword);
    const second = await context.newPage();
    await Promise.all([first.goto(`${ui.baseUrl}${path}`), second.goto(`${ui.baseUrl}${path}`)]);
    await edit(first, 'first');
    await edit(second, 'second');
    const [response] = await Promise.all([
      second.waitForResponse((r) => r.request().method() === 'POST'),
      second.waitForNavigation(),
      second.keyboard.press('Enter'),
    ]);
    return { page: second, status: response.status() };
  }

  /** What a 409 page must be: said in the title, the summary focused and read, the fields labelled, no axe violation. */
  async function conflictProblems(page: Page, status: number | undefined, javaScript = true): Promise<string[]> {
    const problems: string[] = [];
    if (status !== 409) problems.push(`status ${status}`);
    if (!(await page.title()).startsWith('Error: ')) problems.push(`title "${await page.title()}"`);
    if ((await page.getByRole('heading', { level: 1 }).count()) !== 1) problems.push('not one h1');
    const summary = page.locator('.error-summary');
    if (!/saved|changed/i.test((await summary.textContent()) ?? '')) problems.push('the summary does not say why');
    if (javaScript && !(await summary.evaluate((el) => el === document.activeElement)))
      problems.push('the error summary is not focused');
    if (javaScript) for (const v of await wcagViolations(page)) problems.push(v);
    const unlabelled = await page.$$eval(
      'main input:not([type="hidden"]):not([type="submit"]), main select, main textarea',
      (els) =>
        els
          .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
          .map((el) => el.getAttribute('name')),
    );
    if (unlabelled.length) problems.push(`unlabelled: ${unlabelled.join(', ')}`);
    // A label's `for` and the summary's links find one element each.
    const ids = await page.$$eval('[id]', (els) => els.map((el) => el.id));
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (twice.length) problems.push(`ids used twice: ${twice.join(', ')}`);
    return problems;
  }

  it('cohort settings, network details and a mentorship agreement saved meanwhile: a 409 page that says so, focused, labelled; her text kept', async function () {
    this.timeout(120_000);
    activeMentorship = await mentorshipOf((mentee = await buildMentee()));
    const problems: string[] = [];

    const cohort = await savedMeanwhile(ui.browser, admin.email, `/cohorts/${cohortId}/edit`, async (page, which) => {
      await page.getByLabel('Name', { exact: true }).fill(`Spring cohort (${which})`);
      await page.getByLabel('Name', { exact: true }).focus();
      if (which === 'first')
        await Promise.all([page.waitForNavigation(), page.getByLabel('Name', { exact: true }).press('Enter')]);
    });
    for (const p of await conflictProblems(cohort.page, cohort.status)) problems.push(`cohort: ${p}`);
    expect(await cohort.page.getByLabel('Name', { exact: true }).inputValue()).to.equal('Spring cohort (second)');

    const net = await savedMeanwhile(ui.browser, admin.email, `/networks/${network.id}/edit`, async (page, which) => {
      await page.getByLabel('Name', { exact: true }).fill(`Returners (${which})`);
      await page.getByLabel('Name', { exact: true }).focus();
      if (which === 'first')
        await Promise.all([page.waitForNavigation(), page.getByLabel('Name', { exact: true }).press('Enter')]);
    });
    for (const p of await conflictProblems(net.page, net.status)) problems.push(`network: ${p}`);
    expect(await net.page.getByLabel('Name', { exact: true }).inputValue()).to.equal('Returners (second)');

    const agreement = await savedMeanwhile(
      ui.browser,
      mentee.email,
      `/mentorships/${activeMentorship}`,
      async (page, which) => {
        await page.getByLabel('Goals you agreed, one a line').fill(`Goals of the ${which} tab`);
        await page.getByLabel('How often you meet').selectOption('monthly');
        await page.getByLabel('End date').fill('2030-06-30');
        await page.getByLabel('End date').focus();
        if (which === 'first')
          await Promise.all([page.waitForNavigation(), page.getByLabel('End date').press('Enter')]);
      },
    );
    for (const p of await conflictProblems(agreement.page, agreement.status)) problems.push(`agreement: ${p}`);
    expect(await agreement.page.getByLabel('Goals you agreed, one a line').inputValue()).to.equal(
      'Goals of the second tab',
    );
    expect(problems).to.deep.equal([]);
  });

  it('programme settings and a session saved meanwhile: the same 409 page, focused, labelled, her title kept', async function () {
    this.timeout(120_000);
    const problems: string[] = [];
    for (const path of [`/programmes/${programmeId}/edit`, `/sessions/${sessionId}/edit`]) {
      const { page, status } = await savedMeanwhile(ui.browser, admin.email, path, async (p, which) => {
        const title = p.getByLabel('Title', { exact: true });
        await title.fill(`Title from the ${which} tab`);
        await title.focus();
        if (which === 'first') await Promise.all([p.waitForNavigation(), title.press('Enter')]);
      });
      for (const q of await conflictProblems(page, status)) problems.push(`${path}: ${q}`);
      if ((await page.getByLabel('Title', { exact: true }).inputValue()) !== 'Title from the second tab')
        problems.push(`${path}: her title is not kept`);
    }
    expect(problems).to.deep.equal([]);
  });

  it("on a page of many forms (a board, the Pledge's commitment options) the 409 summary links to the form she sent", async function () {
    this.timeout(120_000);
    const chair = await buildUser({ name: 'Chloe Chair' });
    const board = await buildBoard([{ user: chair, role: 'chair' }], { name: 'Riverside board' });
    for (const title of ['Bias training first', 'Diverse panels', 'Flexible hours'])
      await buildCommitmentOption({ title });
    const problems: string[] = [];
    const visits = [
      { email: chair.email, path: `/boards/${board.id}`, field: 'Board name', form: `/boards/${board.id}` },
      { email: admin.email, path: '/admin/pledge/commitments', field: 'Commitment', form: 'last' },
    ];
    for (const visit of visits) {
      const typed = `Typed in the ${visit.path} second tab`;
      const { page, status } = await savedMeanwhile(ui.browser, visit.email, visit.path, async (p, which) => {
        // The last commitment option's form (not the first, which the page starts with).
        const form = visit.form === 'last' ? p.locator('form.panel').last() : p.locator(`form[action="${visit.form}"]`);
        const field = form.getByLabel(visit.field, { exact: true });
        await field.fill(which === 'first' ? `${typed} (first)` : typed);
        await field.focus();
        if (which === 'first') await Promise.all([p.waitForNavigation(), field.press('Enter')]);
      });
      for (const q of await conflictProblems(page, status)) problems.push(`${visit.path}: ${q}`);
      const links = await page.$$eval('.error-summary a[href^="#"]', (as) =>
        as.map((a) => (a as HTMLAnchorElement).hash),
      );
      if (links.length !== 1) {
        problems.push(`${visit.path}: the summary has ${links.length} links to a field`);
        continue;
      }
      const target = page.locator(links[0]!);
      if ((await target.inputValue()) !== typed)
        problems.push(`${visit.path}: ${links[0]} is not the field she typed in`);
      await page.locator('.error-summary a').click();
      if (!(await target.evaluate((el) => el === document.activeElement)))
        problems.push(`${visit.path}: following the link does not reach ${links[0]}`);
    }
    expect(problems).to.deep.equal([]);
  });

  it('without JavaScript a stale save is a 409 page with her changes, and sending it again (knowing) saves', async function () {
    this.timeout(60_000);
    const net = await savedMeanwhile(
      ui.browser,
      admin.email,
      `/networks/${network.id}/edit`,
      async (page, which) => {
        await page.getByLabel('Name', { exact: true }).fill(`Returners, no script (${which})`);
        await page.getByLabel('Name', { exact: true }).focus();
        if (which === 'first')
          await Promise.all([page.waitForNavigation(), page.getByLabel('Name', { exact: true }).press('Enter')]);
      },
      { javaScriptEnabled: false },
    );
    expect(await conflictProblems(net.page, net.status, false)).to.deep.equal([]);
    await net.page.getByLabel('Name', { exact: true }).focus();
    await Promise.all([net.page.waitForNavigation(), net.page.keyboard.press('Enter')]);
    expect(await net.page.getByRole('heading', { level: 1 }).textContent()).to.equal('Returners, no script (second)');
  });

  it('a form expired without JavaScript: her text is in read-only fields, reached by Tab, selectable to copy, read as read-only', async function () {
    this.timeout(60_000);
    const writer = await buildMentee();
    const mentorship = await mentorshipOf(writer);
    const context = await ui.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, writer.email, testPassword);
    await page.goto(`${ui.baseUrl}/mentorships/${mentorship}`);
    await page.getByLabel('Goals you agreed, one a line').fill('Chair a governors meeting\nLead the budget');
    await page.getByLabel('End date').fill('2030-06-30');
    await context.clearCookies();
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save the agreement' }).click()]);
    expect(await page.title()).to.match(/^Error: /);
    const goals = page.getByRole('textbox', { name: 'Goals' });
    expect(await goals.inputValue()).to.equal('Chair a governors meeting\nLead the budget');
    expect(await goals.ariaSnapshot()).to.match(/textbox "Goals"/);
    expect(await goals.evaluate((el) => (el as HTMLTextAreaElement).readOnly)).to.equal(true);
    // As the page says, copy first, then open the form again: Tab reaches her text before the link that leaves it.
    expect(await page.getByRole('link', { name: 'Open the form again' }).count()).to.equal(1);
    const passed: string[] = [];
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await goals.evaluate((el) => el === document.activeElement);
      passed.push(await page.evaluate(() => (document.activeElement as HTMLElement).innerText));
    }
    expect(reached, 'Tab reaches her text').to.equal(true);
    expect(passed).not.to.include('Open the form again');
    await page.keyboard.press('ControlOrMeta+A');
    expect(
      await goals.evaluate((el) => [
        (el as HTMLTextAreaElement).selectionStart,
        (el as HTMLTextAreaElement).selectionEnd,
      ]),
    ).to.deep.equal([0, 'Chair a governors meeting\nLead the budget'.length]);
    const cdp = await context.newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: {
        role?: { value: string };
        name?: { value: string };
        properties?: { name: string; value: { value: unknown } }[];
      }[];
    };
    const node = nodes.find((n) => n.role?.value === 'textbox' && n.name?.value === 'Goals');
    expect(node?.properties?.find((p) => p.name === 'readonly')?.value.value, 'announced as read-only').to.equal(true);
    await context.close();
  });

  it("a network with two leads and a disabled member: the members page counts the active ones and marks hers, each 'Remove as lead' is named and reached by keyboard", async function () {
    this.timeout(60_000);
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, admin.email, testPassword);
    await page.goto(`${ui.baseUrl}/networks/${network.id}/members`);
    expect(await page.getByRole('link', { name: /^Members \(\d+\)$/ }).getAttribute('aria-current')).to.equal('page');
    expect(await page.getByRole('listitem').filter({ hasText: 'Dora Disabled' }).textContent()).to.include(
      'Account disabled',
    );
    expect(await wcagViolations(page)).to.deep.equal([]);
    const remove = page.getByRole('button', { name: 'Remove as lead Lola Lead', exact: true });
    expect(await remove.count()).to.equal(1);
    // Tab reaches it, with a visible outline, and Enter sends it.
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await remove.evaluate((el) => el === document.activeElement);
    }
    expect(reached, 'Tab reaches the button').to.equal(true);
    expect(await remove.evaluate((el) => getComputedStyle(el).outlineStyle)).to.not.equal('none');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await page.getByRole('button', { name: /^Remove as lead/ }).count()).to.equal(0);
    expect(await wcagViolations(page)).to.deep.equal([]);
    await context.close();
  });

  it('a mentorship ended on its end date reads as ended, with no agreement form, and no violation', async function () {
    this.timeout(60_000);
    endedMentorship = await mentorshipOf(mentee);
    await MentorshipModel.updateOne(
      { _id: endedMentorship },
      { $set: { agreement: { goals: ['Lead a staff meeting'], meetingFrequency: 'monthly', endsOn: '2026-01-31' } } },
    );
    expect(await endMentorshipsPastTheirEnd()).to.equal(1);
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, mentee.email, testPassword);
    await page.goto(`${ui.baseUrl}/mentorships/${endedMentorship}`);
    const text = await page.locator('main').innerText();
    // Read in the past, once: not "closed, closed …", nor "You meet every month, until" a day long gone.
    expect(text).to.match(
      /Status\s+Closed \w+day \d+ \w+ 2026, \d\d:\d\d GMT \(Europe\/London\): Ended on its agreed end date/,
    );
    expect(text).to.contain('You had agreed to meet every month, until 31 January 2026. The mentorship ended on');
    expect(text).not.to.contain('You meet');
    expect(await page.getByLabel('Goals you agreed, one a line').count()).to.equal(0);
    expect(await wcagViolations(page)).to.deep.equal([]);
    await context.close();
  });
});
