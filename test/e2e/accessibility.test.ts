import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoAccounts, demoPassword } from '../../server/demo/people.ts';
import { signInInBrowser, useBrowserApp, wcagViolations } from '../support/browser.ts';
import { useTestDatabase } from '../support/db.ts';

/** Same-origin links in the main navigation and the page's main content (GET pages only, no downloads). */
async function linksOn(page: Page, origin: string): Promise<string[]> {
  const hrefs = await page.$$eval('nav a[href]:not([download]), main a[href]:not([download])', (as) =>
    as.map((a) => (a as HTMLAnchorElement).href),
  );
  // Files (certificates, exports, calendars, badges) are not pages: a browser downloads them instead of navigating.
  return hrefs.filter(
    (h) =>
      h.startsWith(origin) &&
      !/(\.(csv|ics|pdf|svg|json)|\/download)(\?|$)/.test(h) &&
      !h.includes('/api/') &&
      !h.includes('/logout'),
  );
}

/**
 * What axe does not check about a form that came back with errors (WCAG 1.3.1, 3.3.1, 4.1.2): ids are unique (a label's
 * `for` and an `aria-describedby` find one element), every link of the error summary reaches a field, every field
 * marked invalid is described by its message, and every message shown inside a form is read with some field.
 */
async function errorWiring(page: Page): Promise<string[]> {
  // A string, not a function: tsx would wrap the inner arrow functions in a __name helper the page does not have.
  return page.evaluate<string[]>(`(() => {
    const problems = [];
    const seen = new Map();
    for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
    for (const [id, n] of seen) if (n > 1) problems.push('id "' + id + '" is used ' + n + ' times');
    for (const a of document.querySelectorAll('.error-summary a[href^="#"]')) {
      const target = document.getElementById(a.hash.slice(1));
      if (!target || !target.matches('input, select, textarea, fieldset'))
        problems.push('error summary link ' + a.hash + ' reaches no field');
    }
    const describedBy = (el) => (el.getAttribute('aria-describedby') ?? '').split(/\\s+/).filter(Boolean);
    for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
      const ids = describedBy(el);
      if (!ids.length || ids.some((id) => !document.getElementById(id)))
        problems.push((el.id || el.getAttribute('name')) + ' is invalid but not described by its message');
    }
    const referenced = new Set([...document.querySelectorAll('[aria-describedby]')].flatMap(describedBy));
    for (const m of document.querySelectorAll('form .error-message'))
      if (!m.id || !referenced.has(m.id)) problems.push('message "' + m.textContent.trim() + '" is tied to no field');
    return problems;
  })()`);
}

/**
 * Links that read the same but lead to different places (WCAG 2.4.4, 2.4.9): in a screen reader's list of links they
 * cannot be told apart. Names as read: `aria-label`, else the text, visually hidden words included.
 */
async function sameLinkTextElsewhere(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const places = new Map();
    for (const a of document.querySelectorAll('main a[href]')) {
      const name = (a.getAttribute('aria-label') || a.textContent).replace(/\\s+/g, ' ').trim().toLowerCase();
      const href = a.href.split('#')[0];
      if (!places.has(name)) places.set(name, new Set());
      places.get(name).add(href);
    }
    return [...places].filter(([, hrefs]) => hrefs.size > 1).map(([name, hrefs]) => 'the link "' + name + '" leads to ' + hrefs.size + ' places');
  })()`);
}

/** A time's zone is named once: "15:53 EST (America/Toronto)", never followed by the same zone again. */
async function zoneNamedTwice(page: Page): Promise<string[]> {
  const text = await page.evaluate<string>('document.body.innerText');
  const twice = /\(((?:[A-Z][A-Za-z_-]+\/)+[A-Za-z_-]+|UTC)\)\s*(?:\(|,\s*)\1\b/.exec(text);
  return twice ? [`the zone ${twice[1]} is named twice: "${twice[0]}"`] : [];
}

/** Sends a form as a person would, past the browser's own checks (the server's messages are what is tested). */
async function submitWithoutBrowserChecks(page: Page, formSelector: string): Promise<void> {
  await Promise.all([
    page.waitForLoadState('load'),
    page.waitForNavigation(),
    page.$eval(formSelector, (form) => {
      (form as HTMLFormElement).noValidate = true;
      (form as HTMLFormElement).requestSubmit();
    }),
  ]);
}

describe('browser: every page a demo user can reach meets WCAG 2.2 AA (axe-core)', () => {
  useTestDatabase();

  const ui = useBrowserApp({
    timeoutMs: 180_000,
    prepare: async () => {
      await seedDemoDataIfEmpty();
    },
  });

  it('public pages (home, sign-in, password reset) have no WCAG A/AA violations', async () => {
    const page = await ui.browser.newPage({ bypassCSP: true });
    const problems: string[] = [];
    for (const path of ['/', '/login', '/password-reset']) {
      await page.goto(`${ui.baseUrl}${path}`);
      for (const v of await wcagViolations(page)) problems.push(`${path}: ${v}`);
    }
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  /** Page types (ids and query left out) each account's crawl has checked: the deeper sweep below skips them. */
  const checkedByCrawl = new Map<string, Set<string>>();
  const pageType = (url: string) => url.replace(/[0-9a-f]{24}/g, ':id').split('?')[0]!;

  for (const account of demoAccounts) {
    it(`the pages a demo ${account.roles[0]} reaches from her dashboard have no WCAG A/AA violations`, async function () {
      this.timeout(180_000);
      // bypassCSP only so the test can inject axe-core; the app's CSP itself is asserted in test/routes/platform.test.ts.
      const context = await ui.browser.newContext({ bypassCSP: true });
      const page = await context.newPage();
      await signInInBrowser(page, ui.baseUrl, account.email, demoPassword);
      const toVisit = [`${ui.baseUrl}/`];
      const seen = new Set<string>();
      const problems: string[] = [];
      // Breadth-first over links, two levels deep, at most 25 pages per role: enough to cover every page type.
      for (let depth = 0; depth < 2; depth++) {
        const level = toVisit.splice(0);
        for (const url of level) {
          const key = pageType(url);
          if (seen.has(key) || seen.size >= 25) continue;
          seen.add(key);
          checkedByCrawl.set(account.email, seen);
          const response = await page.goto(url);
          if (!response || response.status() >= 400) {
            problems.push(`${url}: HTTP ${response?.status()}`);
            continue;
          }
          for (const v of [
            ...(await wcagViolations(page)),
            ...(await errorWiring(page)),
            ...(await zoneNamedTwice(page)),
            ...(await sameLinkTextElsewhere(page)),
          ])
            problems.push(`${key}: ${v}`);
          toVisit.push(...(await linksOn(page, ui.baseUrl)));
        }
      }
      expect(problems).to.deep.equal([]);
      await context.close();
    });
  }

  /**
   * The crawl above stops at 25 pages and two levels a role, so pages deep in an area (a round, a network's
   * find-a-time, admin sub-pages, a mentorship, a post) were never swept. Each is named here: a path, or the first
   * link on a page whose address matches a pattern (demo ids are not fixed).
   */
  type Visit = string | { from: string; link: RegExp | RegExp[] };
  const id = '[0-9a-f]{24}';
  const to = (path: string) => new RegExp(`${path.replace(':id', id)}$`);
  const deepPages: { email: string; visits: Visit[] }[] = [
    {
      email: 'admin@pathways.test',
      visits: [
        '/admin',
        '/admin/users',
        { from: '/admin/users', link: to('/admin/users/:id') },
        '/admin/audit',
        '/admin/notifications',
        '/admin/jobs',
        '/admin/outbox',
        { from: '/admin/outbox', link: to('/admin/outbox/:id') },
        '/admin/pledge',
        '/admin/pledge/signatures',
        { from: '/admin/pledge/signatures', link: to('/admin/pledge/signatures/:id') },
        '/admin/pledge/commitments',
        '/admin/mentoring',
        // A closed mentorship as the programme team reads it: the mentee's rating and the feedback.
        { from: '/admin/mentoring', link: to('/mentorships/:id') },
        '/mentoring/assignments',
        '/admin/directory/reports',
        '/admin/pool',
        '/admin/lti',
        { from: '/admin/lti', link: to('/admin/lti/platforms/:id/deployments') },
        { from: '/admin/lti', link: to('/admin/lti/platforms/:id/edit') },
        '/boards',
        '/boards/fairness',
        { from: '/boards', link: to('/boards/:id') },
        { from: '/boards', link: [to('/boards/:id'), to('/rounds/:id')] },
        '/networks/new',
        { from: '/networks', link: to('/networks/:id') },
        { from: '/networks', link: [to('/networks/:id'), to('/networks/:id/edit')] },
        { from: '/networks', link: [to('/networks/:id'), to('/networks/:id/find-a-time')] },
        { from: '/networks', link: [to('/networks/:id'), to('/networks/:id/events')] },
        '/cohorts/new',
        '/programmes/new',
        '/surveys/new',
      ],
    },
    {
      email: 'governor@pathways.test',
      visits: [
        { from: '/boards', link: to('/boards/:id') },
        { from: '/', link: to('/rounds/:id') },
        '/training/safer-recruitment',
      ],
    },
    {
      email: 'participant@pathways.test',
      visits: [
        '/mentoring/suggestions',
        '/mentoring/profile/mentee',
        '/mentoring/outcomes',
        { from: '/mentoring/suggestions', link: /\/mentoring\/requests\/new\?mentorId=/ },
        '/directory/profile',
        '/directory/messages',
        { from: '/directory', link: to('/directory/people/:id') },
        { from: '/networks', link: to('/networks/:id') },
        { from: '/networks', link: [to('/networks/:id'), to('/posts/:id')] },
        { from: '/networks', link: [to('/networks/:id'), to('/networks/:id/events'), to('/events/:id')] },
        '/pool/profile',
        '/surveys',
        '/account',
        '/account/research',
        '/account/notifications',
        '/account/security',
        '/account/data',
        '/account/delete',
      ],
    },
    { email: 'mentor@pathways.test', visits: ['/mentoring/requests', '/mentoring/profile/mentor'] },
    // An active demo mentorship: participant6 with mentor8.
    { email: 'participant6@pathways.test', visits: [{ from: '/mentorships', link: to('/mentorships/:id') }] },
    { email: 'mentor8@pathways.test', visits: [{ from: '/mentorships', link: to('/mentorships/:id') }] },
    { email: 'researcher@pathways.test', visits: ['/research', '/research/data-dictionary', '/surveys/new'] },
  ];

  for (const { email, visits } of deepPages) {
    it(`the deeper pages of ${email.split('@')[0]} (rounds, networks, mentoring, admin) have no WCAG A/AA violations`, async function () {
      this.timeout(180_000);
      const context = await ui.browser.newContext({ bypassCSP: true });
      const page = await context.newPage();
      await signInInBrowser(page, ui.baseUrl, email, demoPassword);
      const problems: string[] = [];
      for (const visit of visits) {
        let url = typeof visit === 'string' ? `${ui.baseUrl}${visit}` : undefined;
        if (typeof visit !== 'string') {
          // Depth first: the first network may have no events, so try each matching link until the path completes.
          const follow = async (from: string, links: RegExp[]): Promise<string | undefined> => {
            await page.goto(from);
            const matches = (await linksOn(page, ui.baseUrl)).filter((h) => links[0]!.test(h));
            if (links.length === 1) return matches[0];
            for (const next of [...new Set(matches)].slice(0, 10)) {
              const found = await follow(next, links.slice(1));
              if (found) return found;
            }
            return undefined;
          };
          url = await follow(`${ui.baseUrl}${visit.from}`, [visit.link].flat());
          if (!url) {
            problems.push(`${visit.from}: no link along ${String(visit.link)}`);
            continue;
          }
        }
        // The same checks already ran on this page type in this account's crawl (when it ran first, as in a full run).
        if (checkedByCrawl.get(email)?.has(pageType(url!))) continue;
        const response = await page.goto(url!);
        if (!response || response.status() >= 400) {
          problems.push(`${url}: HTTP ${response?.status()}`);
          continue;
        }
        const where = url!.replace(ui.baseUrl, '');
        for (const v of [
          ...(await wcagViolations(page)),
          ...(await errorWiring(page)),
          ...(await zoneNamedTwice(page)),
        ])
          problems.push(`${where}: ${v}`);
      }
      expect(problems).to.deep.equal([]);
      await context.close();
    });
  }

  it('the public Pledge and pool pages have no WCAG A/AA violations', async () => {
    const page = await ui.browser.newPage({ bypassCSP: true });
    const problems: string[] = [];
    for (const path of [
      '/pledge',
      '/pledge/sign/organisation',
      '/pledge/sign/individual',
      '/pledge/signatories',
      '/pledge/manage',
      '/pool/request',
      '/certificates/verify',
    ]) {
      const response = await page.goto(`${ui.baseUrl}${path}`);
      if (!response || response.status() >= 400) problems.push(`${path}: HTTP ${response?.status()}`);
      for (const v of await wcagViolations(page)) problems.push(`${path}: ${v}`);
    }
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  it('a signature page with two "reason" fields: the form that failed shows the error, ids stay unique', async () => {
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/admin/pledge/signatures`);
    const detail = (await linksOn(page, ui.baseUrl)).find((h) => /\/admin\/pledge\/signatures\/[0-9a-f]{24}$/.test(h));
    await page.goto(detail!);
    expect(await errorWiring(page)).to.deep.equal([]);
    await submitWithoutBrowserChecks(page, 'form[action$="/delete"]');
    expect(await errorWiring(page)).to.deep.equal([]);
    const invalid = await page.$$eval('[aria-invalid="true"]', (els) =>
      els.map((el) => `${el.closest('form')!.getAttribute('action')!.split('/').pop()}:${el.getAttribute('name')}`),
    );
    expect(invalid).to.have.members(['delete:reason', 'delete:confirm']);
    expect(await wcagViolations(page)).to.deep.equal([]);
    await context.close();
  });

  it("commitment options: an edit that fails marks its own title, not the other forms'", async () => {
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/admin/pledge/commitments`);
    expect(await errorWiring(page)).to.deep.equal([]);
    const action = await page.$eval('form.panel', (f) => f.getAttribute('action')!);
    await page.fill(`form[action="${action}"] input[name="title"]`, '');
    await submitWithoutBrowserChecks(page, `form[action="${action}"]`);
    expect(await errorWiring(page)).to.deep.equal([]);
    const invalid = await page.$$eval('[aria-invalid="true"]', (els) =>
      els.map((el) => el.closest('form')!.getAttribute('action')),
    );
    expect(invalid).to.deep.equal([action]);
    expect(await page.$eval('#field-title', (el) => el.closest('form')!.getAttribute('action'))).to.equal(action);
    await context.close();
  });

  it('an event without a start time: the error summary reaches the start field, which is marked invalid', async () => {
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/networks`);
    const network = (await linksOn(page, ui.baseUrl)).find((h) => /\/networks\/[0-9a-f]{24}$/.test(h));
    await page.goto(`${network}/events`);
    await page.fill('#field-title', 'Coffee');
    await submitWithoutBrowserChecks(page, 'form[action$="/events"]');
    expect(await errorWiring(page)).to.deep.equal([]);
    expect(await page.$eval('#field-startsAt', (el) => [el.tagName, el.getAttribute('aria-invalid')])).to.deep.equal([
      'INPUT',
      'true',
    ]);
    expect(await wcagViolations(page)).to.deep.equal([]);
    await context.close();
  });

  it('a round started without an interview day: the error summary reaches the interview date field', async () => {
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/boards`);
    const board = (await linksOn(page, ui.baseUrl)).find((h) => to('/boards/:id').test(h));
    await page.goto(board!);
    await page.fill('#field-title', 'Headteacher, September 2027');
    await submitWithoutBrowserChecks(page, 'form[action$="/rounds"]');
    expect(await errorWiring(page)).to.deep.equal([]);
    expect(await page.$$eval('.error-summary a', (as) => as.map((a) => (a as HTMLAnchorElement).hash))).to.include(
      '#field-interviewDate',
    );
    expect(await page.$eval('#field-interviewDate', (el) => el.getAttribute('aria-invalid'))).to.equal('true');
    expect(await wcagViolations(page)).to.deep.equal([]);
    await context.close();
  });

  it('filters it cannot read (audit trail, impact dashboard): each refused field is marked, described and linked; the title says Error', async () => {
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const visits = [
      { email: 'admin@pathways.test', path: '/admin/audit?action=made-up&from=2026-05-10&to=2026-05-01' },
      { email: 'researcher@pathways.test', path: '/research?track=made-up&from=2026-05-10&to=2026-05-01' },
    ];
    for (const { email, path } of visits) {
      await context.clearCookies();
      await signInInBrowser(page, ui.baseUrl, email, demoPassword);
      const response = await page.goto(`${ui.baseUrl}${path}`);
      expect(response!.status(), path).to.equal(422);
      if (!(await page.title()).startsWith('Error: ')) problems.push(`${path}: title "${await page.title()}"`);
      // Every field the summary names is the one marked invalid, so a screen reader reaching it hears why.
      for (const hash of await page.$$eval('.error-summary a', (as) => as.map((a) => (a as HTMLAnchorElement).hash)))
        if ((await page.$eval(hash, (el) => el.getAttribute('aria-invalid'))) !== 'true')
          problems.push(`${path}: ${hash} is linked from the summary but not marked invalid`);
      for (const v of [...(await wcagViolations(page)), ...(await errorWiring(page))]) problems.push(`${path}: ${v}`);
    }
    expect(problems).to.deep.equal([]);
    await context.close();
  });

  it('a directory profile with a refused value: each message is tied to its field; personal fields autocomplete', async () => {
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'participant@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/directory/profile`);
    expect(
      await page.$$eval('#field-country, #field-region, #field-role', (els) =>
        els.map((el) => el.getAttribute('autocomplete')),
      ),
    ).to.deep.equal(['organization-title', 'country', 'address-level1']);
    await page.$$eval('input[name="visibility"]', (radios) => {
      (radios[0] as HTMLInputElement).value = 'everyone-on-earth';
      (radios[0] as HTMLInputElement).checked = true;
    });
    await page.$eval('#field-country option:last-child', (o) => ((o as HTMLOptionElement).value = 'XX'));
    await page.selectOption('#field-country', 'XX');
    await submitWithoutBrowserChecks(page, 'form[action="/directory/profile"]');
    expect(await errorWiring(page)).to.deep.equal([]);
    expect(await page.$$eval('.error-summary a', (as) => as.length)).to.equal(2);
    expect(await wcagViolations(page)).to.deep.equal([]);
    await context.close();
  });

  it("find a time: every hour of the heat map is also in a table, in the reader's zone", async () => {
    const context = await ui.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/networks`);
    const network = (await linksOn(page, ui.baseUrl)).find((h) => /\/networks\/[0-9a-f]{24}$/.test(h));
    await page.goto(`${network}/find-a-time`);
    const cells = await page.$$eval('.heat-map rect', (rects) => rects.length);
    const table = await page.$eval('details table', (t) => ({
      caption: t.querySelector('caption')!.textContent,
      headers: t.querySelectorAll('thead th').length,
      cells: t.querySelectorAll('tbody td').length,
    }));
    expect(table.caption).to.contain('Europe/London');
    expect(table.headers).to.equal(25);
    expect(table.cells).to.equal(cells);
    await context.close();
  });

  it('a directory message keeps its line breaks under the real content security policy (no inline styles)', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'participant@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/directory`);
    const people = (await linksOn(page, ui.baseUrl)).filter((h) => /\/directory\/people\/[0-9a-f]{24}$/.test(h));
    let sent = false;
    // Her own card has no message form: write to the first other person.
    for (const url of people) {
      await page.goto(url);
      if (!(await page.$('#field-body'))) continue;
      await page.fill('#field-body', 'First line.\nSecond line.');
      await Promise.all([page.waitForNavigation(), page.click('form[action$="/contact"] button[type="submit"]')]);
      sent = true;
      break;
    }
    expect(sent, 'someone in the directory to write to').to.equal(true);
    await page.goto(`${ui.baseUrl}/directory/messages`);
    const message = (await linksOn(page, ui.baseUrl)).find((h) => /\/directory\/messages\/[0-9a-f]{24}$/.test(h));
    await page.goto(message!);
    expect(await page.$eval('blockquote', (b) => getComputedStyle(b).whiteSpace)).to.equal('pre-wrap');
    expect(await page.$$eval('[style]', (els) => els.map((el) => el.outerHTML.slice(0, 80)))).to.deep.equal([]);
    await context.close();
  });

  it('at 320 CSS px no page scrolls sideways: wide tables scroll in their own box, terms and codes wrap (1.4.10)', async function () {
    this.timeout(180_000);
    // Pages that once widened the whole page: a wide table outside a scroller, a visually hidden caption escaping its
    // scroller, a long term in a .meta list, the check-in code shown to a facilitator, the Pledge badge (320 px wide).
    const visits: { email: string; path: string[] }[] = [
      { email: 'participant@pathways.test', path: ['/certificates'] },
      { email: 'participant@pathways.test', path: ['/account/security'] },
      { email: 'participant@pathways.test', path: ['/', '/sessions/:id'] },
      { email: 'facilitator@pathways.test', path: ['/cohorts', '/cohorts/:id'] },
      { email: 'facilitator@pathways.test', path: ['/cohorts', '/cohorts/:id', '/cohorts/:id/people'] },
      { email: 'facilitator@pathways.test', path: ['/', '/sessions/:id'] },
      { email: 'admin@pathways.test', path: ['/research'] },
      { email: 'admin@pathways.test', path: ['/boards', '/boards/:id', '/rounds/:id'] },
      { email: 'participant@pathways.test', path: ['/pledge/signatories', '/pledge/organisations/:id'] },
      // A request's offer and close forms: a label, a field and a button on one line that did not wrap.
      { email: 'admin@pathways.test', path: ['/admin/pool'] },
    ];
    const problems: string[] = [];
    for (const { email, path } of visits) {
      const context = await ui.browser.newContext({ viewport: { width: 320, height: 640 } });
      const page = await context.newPage();
      await signInInBrowser(page, ui.baseUrl, email, demoPassword);
      let url = `${ui.baseUrl}${path[0]}`;
      for (const step of path.slice(1)) {
        await page.goto(url);
        const next = (await linksOn(page, ui.baseUrl)).find((h) => to(step).test(h));
        if (!next) problems.push(`${email} ${path.join(' > ')}: no link to ${step}`);
        url = next ?? url;
      }
      await page.goto(url);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 320) problems.push(`${email} ${path.at(-1)}: the page is ${width} CSS px wide`);
      await context.close();
    }
    expect(problems).to.deep.equal([]);
  });

  it('in forced colours (high contrast, dark) a chart’s words take the mode’s text colour, not their dark fill', async () => {
    const context = await ui.browser.newContext({ colorScheme: 'dark', forcedColors: 'active' });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/research`);
    const fills = await page.$$eval('svg text', (texts) => texts.map((t) => getComputedStyle(t).fill));
    expect(fills.length, 'the research dashboard draws charts').to.be.greaterThan(0);
    expect([...new Set(fills)]).to.deep.equal(['rgb(255, 255, 255)']);
    await context.close();
  });

  it("the check-in code is read letter by letter (a paragraph's aria-label is ignored)", async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'facilitator@pathways.test', demoPassword);
    const sessions = (await linksOn(page, ui.baseUrl)).filter((h) => to('/sessions/:id').test(h));
    let read: string | undefined;
    for (const url of new Set(sessions)) {
      await page.goto(url);
      if (!(await page.$('.check-in-code'))) continue;
      read = await page.locator('.check-in-code').ariaSnapshot();
      break;
    }
    expect(read, 'a demo session with check-in open').to.match(/^- paragraph: Check-in code( [A-Z2-9]){6}$/);
    await context.close();
  });

  it('the links of the site navigation and footer are at least 24 px tall (2.5.8), wide screen and 320 px', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    const small: string[] = [];
    for (const width of [1280, 320]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${ui.baseUrl}/`);
      const sizes = await page.$$eval('.site-header nav a, .site-footer a', (links) =>
        links.map((a) => [a.textContent!.trim(), Math.round(a.getBoundingClientRect().height)] as const),
      );
      for (const [text, height] of sizes) if (height < 24) small.push(`${width}px: "${text}" is ${height} px tall`);
    }
    expect(small).to.deep.equal([]);
    await context.close();
  });

  it('at 320 CSS px the network search keeps each field wide enough to read: the row wraps (1.4.10)', async () => {
    const context = await ui.browser.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'participant@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/networks`);
    // Each control at least as wide as what it shows ("Any country"), rather than squeezed onto one line.
    const squeezed = await page.$$eval('form[role="search"] input, form[role="search"] select', (fields) =>
      fields
        .filter((f) => {
          const shown = f instanceof HTMLSelectElement ? f.selectedOptions[0]!.text : 'Leadership';
          const probe = document.createElement('span');
          probe.textContent = shown;
          probe.style.font = getComputedStyle(f).font;
          document.body.append(probe);
          const needed = probe.getBoundingClientRect().width;
          probe.remove();
          return f.getBoundingClientRect().width < needed;
        })
        .map((f) => `${f.getAttribute('name')} is ${Math.round(f.getBoundingClientRect().width)} px wide`),
    );
    expect(squeezed).to.deep.equal([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(320);
    await context.close();
  });

  it('at 320 CSS px a time typed in the weekly availability grid is seen whole (1.4.10)', async () => {
    const context = await ui.browser.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'participant@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/mentoring/profile/mentee`);
    await page.fill('#field-avail_wed_1_from', '09:30');
    await page.fill('#field-avail_wed_1_to', '24:00');
    // A text field scrolls what does not fit inside it: its scroll width is the width of the time typed.
    const cut = await page.$$eval('.availability-grid input', (inputs) =>
      (inputs as HTMLInputElement[])
        .filter((i) => i.value && i.scrollWidth > i.clientWidth)
        .map((i) => `${i.id}: ${i.clientWidth} of ${i.scrollWidth} px shown`),
    );
    expect(cut).to.deep.equal([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(320);
    // The grid's scrolling box clips what passes its edge: the last field's 5 px focus ring must fit inside it.
    const room = await page.$eval('#field-avail_wed_1_to', (input) => {
      const box = input.closest('.table-wrap')!.getBoundingClientRect();
      return box.right - input.getBoundingClientRect().right;
    });
    expect(room).to.be.at.least(5);
    await context.close();
  });

  it('with wider text spacing at 320 CSS px, the certificate upload field stays on screen (1.4.12, 1.4.10)', async () => {
    // bypassCSP only to add the text-spacing style sheet a reader's bookmarklet or extension would add.
    const context = await ui.browser.newContext({ viewport: { width: 320, height: 640 }, bypassCSP: true });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'governor@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/training/safer-recruitment`);
    // The spacing WCAG 1.4.12 names: line height 1.5, paragraphs 2 em apart, letters 0.12 em, words 0.16 em.
    await page.addStyleTag({
      content:
        '* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }',
    });
    const file = await page.$eval('input[type="file"]', (f) => Math.round(f.getBoundingClientRect().right));
    expect(file, 'right edge of the file field').to.be.at.most(320);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(320);
    await context.close();
  });

  it('at 320 CSS px the every-hour table of find a time scrolls in a named box the keyboard reaches', async () => {
    const context = await ui.browser.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/networks`);
    const network = (await linksOn(page, ui.baseUrl)).find((h) => /\/networks\/[0-9a-f]{24}$/.test(h));
    await page.goto(`${network}/find-a-time`);
    await page.click('summary:has-text("Every hour as a table")');
    const box = page.locator('details .table-wrap');
    expect(await box.evaluate((b) => b.scrollWidth > b.clientWidth)).to.equal(true);
    expect(await box.evaluate((b) => (b as HTMLElement).tabIndex)).to.equal(0);
    expect(await box.ariaSnapshot()).to.match(/^- region "Share of members inside waking hours/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(320);
    await context.close();
  });

  it('a date field reached by Tab shows the focus ring of every other field (2.4.7)', async () => {
    const context = await ui.browser.newContext();
    const page = await context.newPage();
    await signInInBrowser(page, ui.baseUrl, 'admin@pathways.test', demoPassword);
    await page.goto(`${ui.baseUrl}/cohorts/new`);
    const rings = new Set<string>();
    // Tab through the form, as she would (Tab also stops at a date's day, month, year and calendar button), reading the ring of
    // each field at every stop.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLInputElement;
        const style = getComputedStyle(el);
        return { type: el.type, outline: `${style.outlineStyle} ${style.outlineWidth}` };
      });
      if (['text', 'date'].includes(focused.type)) rings.add(`${focused.type}: ${focused.outline}`);
    }
    expect([...rings].sort()).to.deep.equal(['date: solid 3px', 'text: solid 3px']);
    await context.close();
  });

  it('the skip link is the first thing the keyboard reaches, and focus is visible', async () => {
    const page = await ui.browser.newPage();
    await page.goto(`${ui.baseUrl}/login`);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({
      text: document.activeElement?.textContent,
      outline: getComputedStyle(document.activeElement!).outlineStyle,
    }));
    expect(focused.text).to.equal('Skip to main content');
    expect(focused.outline).to.not.equal('none');
    await page.close();
  });
});
