import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { sendEmail } from '../../server/mailer.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

/** Without SMTP the outbox is where email goes: an admin reads all of it there, its HTML and its files too. */
describe('the development outbox', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('keeps an email’s calendar file and HTML part: the admin opens both (the HTML on a page that runs nothing); others get 403', async () => {
    const ics = 'BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n';
    await sendEmail({
      to: 'reader@example.org',
      subject: 'Cancelled: Welcome call',
      text: 'The session is cancelled.',
      html: '<p style="color: #333">The session is <strong>cancelled</strong>.</p><script>alert(1)</script>',
      attachments: [{ filename: 'welcome-call.ics', content: ics, contentType: 'text/calendar; method=CANCEL' }],
    });
    const stored = (await OutboxMessageModel.findOne({ to: 'reader@example.org' }).lean())!;
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    const page = (await agent.get(`/admin/outbox/${String(stored._id)}`).expect(200)).text;
    expect(page).to.include(
      `<a href="/admin/outbox/${String(stored._id)}/attachments/0" download>welcome-call.ics</a>`,
    );
    const file = await agent.get(`/admin/outbox/${String(stored._id)}/attachments/0`).expect(200);
    expect(file.headers['content-type']).to.match(/^text\/calendar/);
    expect(file.text).to.equal(ics);
    const html = await agent.get(`/admin/outbox/${String(stored._id)}/html`).expect(200);
    expect(html.headers['content-security-policy']).to.match(/^sandbox; default-src 'none'/);
    await agent.get(`/admin/outbox/${String(stored._id)}/attachments/1`).expect(404);
    const participant = await signIn(app, (await buildUser()).email, testPassword);
    await participant.get(`/admin/outbox/${String(stored._id)}/attachments/0`).expect(403);
    await supertest(app)
      .get(`/admin/outbox/${String(stored._id)}/html`)
      .expect(303);
  });

  it('a recipient the filter cannot read lists no email (not every one), with its error at its field and what was typed', async () => {
    await sendEmail({ to: 'listed@example.org', subject: 'Listed', text: 'Hello' });
    const admin = await buildUser({ roles: ['admin'] });
    const agent = await signIn(app, admin.email, testPassword);
    expect((await agent.get('/admin/outbox').expect(200)).text).to.include('Listed');
    const typed = `${'x'.repeat(330)}@example.org`;
    const refused = await agent.get(`/admin/outbox?to=${typed}`).expect(422);
    expect(refused.text).to.include('id="field-to"').and.include('aria-invalid="true"').and.include(typed);
    expect(refused.text).to.not.include('Listed');
  });
});
