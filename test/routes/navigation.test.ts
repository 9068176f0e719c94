import { expect } from 'chai';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
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

  it('a researcher sees research pages and her account, nothing about people', async () => {
    const researcher = await buildUser({ roles: ['researcher'] });
    const agent = await signIn(app, researcher.email, testPassword);
    const bar = mainBar((await agent.get('/').expect(200)).text);
    expect(bar).to.include.members(['/research', '/surveys', '/account']);
    expect(bar).to.not.include.members(['/directory', '/networks', '/cohorts']);
  });
});
