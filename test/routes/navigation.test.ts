import { expect } from 'chai';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildCohort, buildSession, enrolDirectly } from '../support/cohortFactories.ts';
import { buildUser, testPassword } from '../support/factories.ts';

const mainBar = (html: string) =>
  [...(/<nav aria-label="Main">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '').matchAll(/<a href="([^"]+)"/g)].map(
    (m) => m[1],
  );

describe('navigation: a short main bar, her settings on "Your account", admin pages on "Administration"', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('a participant sees her day-to-day pages and "Your account", which lists her settings; not Administration', async () => {
    const user = await buildUser({ roles: ['participant'] });
    const agent = await signIn(app, user.email, testPassword);
    const bar = mainBar((await agent.get('/').expect(200)).text);
    expect(bar).to.include.members(['/', '/programmes', '/networks', '/account']);
    expect(bar).to.not.include.members(['/admin', '/account/notifications', '/account/data']);
    const account = await agent.get('/account').expect(200);
    for (const href of ['/account/security', '/account/notifications', '/account/research', '/account/data'])
      expect(account.text).to.include(`href="${href}"`);
    await agent.get('/admin').expect(403);
  });

  it('an admin reaches every admin page from Administration, and none of them crowds the main bar', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    const bar = mainBar((await agent.get('/').expect(200)).text);
    expect(bar).to.include('/admin');
    expect(bar.filter((href) => href!.startsWith('/admin/'))).to.deep.equal([]);
    const page = await agent.get('/admin').expect(200);
    for (const href of ['/admin/users', '/admin/audit', '/admin/outbox', '/admin/lti', '/mentoring/assignments'])
      expect(page.text).to.include(`href="${href}"`);
  });

  it('a governor reaches her cohorts and calendar, and her home page lists the next session of her board training', async () => {
    const governor = await buildUser({ roles: ['governor'] });
    const cohort = await buildCohort({ name: 'Panel training' });
    await enrolDirectly(cohort, governor.id);
    const session = await buildSession(cohort._id, {
      title: 'Bias in shortlisting',
      startsAt: new Date(Date.now() + 2 * 24 * 60 * 60 * 1000),
    });
    const agent = await signIn(app, governor.email, testPassword);
    const home = (await agent.get('/').expect(200)).text;
    expect(mainBar(home)).to.include.members(['/cohorts', '/calendar']);
    expect(home)
      .to.include('Your next sessions')
      .and.to.include(`href="/sessions/${String(session._id)}"`);
    await agent.get('/calendar').expect(200);
  });

  it('a researcher sees research pages and her account, nothing about people', async () => {
    const researcher = await buildUser({ roles: ['researcher'] });
    const agent = await signIn(app, researcher.email, testPassword);
    const bar = mainBar((await agent.get('/').expect(200)).text);
    expect(bar).to.include.members(['/research', '/surveys', '/account']);
    expect(bar).to.not.include.members(['/directory', '/networks', '/cohorts']);
  });
});
