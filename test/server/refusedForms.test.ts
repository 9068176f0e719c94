import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { CompletionModel } from '../../models/Completion.ts';
import { ExternalCertificateModel } from '../../models/ExternalCertificate.ts';
import { MentorshipMeetingModel } from '../../models/MentorshipMeeting.ts';
import { ModuleModel } from '../../models/Module.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { typedInForm } from '../../server/http/refusedForms.ts';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/**
 * A form refused unread (its token expired, or her session ended while she wrote) shows what she typed back to her,
 * read-only and escaped, with a way back to the form and to sign in; never a password, token or hidden field; and the
 * refused request writes nothing (server/http/refusedForms.ts).
 */
describe('a refused form’s text is named as its form names the fields', () => {
  it('a session or event form’s fields are named by their labels, not by their codes ("Duration minutes", "Join url")', () => {
    const typed = typedInForm({
      title: 'Workshop',
      startsAt: '2027-03-02T09:30',
      durationMinutes: '90',
      joinUrl: 'https://meet.example.org/w',
    });
    expect(typed.map((t) => t.label)).to.deep.equal(['Title', 'Starts', 'Length in minutes', 'Join link']);
  });
});

describe('a refused form (expired, or sent after her session ended) keeps what she typed', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const submissionOf = (html: string) => /name="_submission" value="([^"]+)"/.exec(html)![1]!;
  const story = 'My first interview: they asked about <budgets> & "staffing".\nثم سألوا عن القيادة.';
  const escapedStory =
    'My first interview: they asked about &lt;budgets&gt; &amp; &#34;staffing&#34;.\nثم سألوا عن القيادة.';
  const typedBox = (label: string, escapedValue: string) =>
    new RegExp(
      `<label for="(sent-[\\w-]+)">${label}</label>\\s*<textarea id="\\1" dir="auto" rows="\\d+" readonly>${escapedValue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</textarea>`,
    );

  async function mentorshipOf(mentee: TestUser): Promise<string> {
    const mentor = await buildMentor();
    const asked = await supertest(app)
      .post('/api/v1/mentoring/requests')
      .set('Authorization', `Bearer ${await tokenFor(mentee)}`)
      .send({ mentorId: mentor.id, message: 'Please.' })
      .expect(201);
    const accepted = await supertest(app)
      .post(`/api/v1/mentoring/requests/${asked.body.id}/accept`)
      .set('Authorization', `Bearer ${await tokenFor(mentor)}`)
      .expect(201);
    return accepted.body.id as string;
  }

  it('an expired form: 403 with her title and story to copy, escaped and labelled, a link back, no token; no post', async () => {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const agent = await signIn(app, member.email, testPassword);
    const page = (await agent.get(`/networks/${network.id}`).expect(200)).text;
    const submission = submissionOf(page);
    const refused = await agent
      .post(`/networks/${network.id}/posts`)
      .set('Referer', `http://pathways.test/networks/${network.id}`)
      .type('form')
      .send({
        _csrf: 'a-token-from-a-page-left-open-overnight',
        _submission: submission,
        kind: 'story',
        title: 'Headship <at last>',
        body: story,
      })
      .expect(403);
    expect(refused.text).to.include('<title>Error: Form expired · Pathways</title>');
    expect(refused.text).to.include('<h2 id="typed-title">What you typed (not saved)</h2>');
    expect(refused.text).to.match(typedBox('Title', 'Headship &lt;at last&gt;'));
    expect(refused.text).to.match(typedBox('Your text', escapedStory));
    expect(refused.text).to.not.include('<budgets>');
    expect(refused.text).to.include(`<a href="/networks/${network.id}">Open the form again</a>`);
    expect(refused.text).to.not.include('a-token-from-a-page-left-open-overnight');
    expect(refused.text).to.not.include(submission);
    // Still signed in: no need to sign in again.
    expect(refused.text).to.include('Go to your dashboard');
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(0);
  });

  it('an expired form never shows a password or code back, and a link back only to a page of Pathways', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const refused = await agent
      .post('/account/email')
      .set('Referer', 'https://elsewhere.example/account/email')
      .type('form')
      .send({ _csrf: 'stale', newEmail: 'new.address@example.org', password: 'Secret-Password-1234' })
      .expect(403);
    expect(refused.text).to.match(typedBox('New email address', 'new.address@example.org'));
    expect(refused.text).to.not.include('Secret-Password-1234');
    expect(refused.text).to.not.include('Open the form again');
    const undecodable = await agent
      .post('/account/email')
      .set('Referer', 'http://pathways.test/modules/%E0%A4%A')
      .type('form')
      .send({ _csrf: 'stale', newEmail: 'new.address@example.org' })
      .expect(403);
    expect(undecodable.text).to.match(typedBox('New email address', 'new.address@example.org'));
    expect(undecodable.text).to.not.include('Open the form again');
    const changing = await agent
      .post('/account/password')
      .type('form')
      .send({
        _csrf: 'stale',
        currentPassword: 'Old-Pass-0001',
        newPassword: 'New-Pass-0002',
        confirm: 'New-Pass-0002',
      })
      .expect(403);
    expect(changing.text).to.not.include('Pass-000');
    expect(changing.text).to.not.include('What you typed');
  });

  it('an expired round form: her new title is shown once, not the title the page had shown (a hidden field)', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const refused = await agent
      .post(`/rounds/${new mongoose.Types.ObjectId().toHexString()}`)
      .type('form')
      .send({
        _csrf: 'stale',
        titleShown: 'Headteacher',
        closingDateShown: '2027-01-15',
        shortlistingDateShown: '2027-01-22',
        title: 'Headteacher, September 2027',
        closingDate: '2027-02-01',
      })
      .expect(403);
    expect(refused.text).to.match(typedBox('Title', 'Headteacher, September 2027'));
    expect(refused.text).to.match(typedBox('Closing date', '2027-02-01'));
    expect(refused.text).to.not.include('2027-01-15');
    expect(refused.text).to.not.include('2027-01-22');
    expect(refused.text).to.not.match(/<textarea[^>]*>Headteacher<\/textarea>/);
  });

  it('an expired LTI picker: the ticked items (kind and record id) are not shown back as text to copy', async () => {
    const user = await buildUser({ roles: ['facilitator'] });
    const agent = await signIn(app, user.email, testPassword);
    const id = new mongoose.Types.ObjectId().toHexString();
    const refused = await agent
      .post('/lti/deep-link/some-secret')
      .type('form')
      .send(`_csrf=stale&items=cohort%3A${id}&items=module%3A${id}`)
      .expect(403);
    expect(refused.text).to.not.include(id);
    expect(refused.text).to.not.include('What you typed');
  });

  it('signed out in another tab while she wrote: her meeting notes are shown, with a way to sign in; no meeting', async () => {
    const mentee = await buildMentee();
    const mentorshipId = await mentorshipOf(mentee);
    const agent = await signIn(app, mentee.email, testPassword);
    const page = (await agent.get(`/mentorships/${mentorshipId}`).expect(200)).text;
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/account') })
      .expect(303);
    const refused = await agent
      .post(`/mentorships/${mentorshipId}/meetings`)
      .set('Referer', `http://pathways.test/mentorships/${mentorshipId}`)
      .type('form')
      .send({
        _csrf: csrfFrom(page),
        _submission: submissionOf(page),
        heldAt: '2026-03-02T18:30',
        minutes: '45',
        sharedNotes: 'We practised the presentation task.',
        privateNotes: 'Ask about the data question next time.',
      })
      .expect(403);
    expect(refused.text).to.match(typedBox('Shared notes', 'We practised the presentation task.'));
    expect(refused.text).to.match(typedBox('Private notes', 'Ask about the data question next time.'));
    expect(refused.text).to.include('you were signed out while you wrote');
    expect(refused.text).to.include('<a href="/login">Sign in</a>');
    expect(refused.text).to.include(`<a href="/mentorships/${mentorshipId}">Open the form again</a>`);
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId })).to.equal(0);
  });

  it('Sign out pressed in a tab left open after signing out in another: she is sent to sign in, not told a form expired', async () => {
    const user = await buildUser();
    const agent = await signIn(app, user.email, testPassword);
    const staleTab = await csrfOf(agent, '/account');
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/account') })
      .expect(303);
    await agent.post('/logout').type('form').send({ _csrf: staleTab }).expect(303).expect('Location', '/login');
    // Still signed in, a forged or stale sign-out is refused as before.
    const other = await signIn(app, user.email, testPassword);
    await other.post('/logout').type('form').send({ _csrf: 'forged' }).expect(403);
    await other.get('/account').expect(200);
  });

  it('her session ended by the idle timeout (2 hours): her notes are shown, with a way to sign in; no meeting', async () => {
    const mentee = await buildMentee();
    const mentorshipId = await mentorshipOf(mentee);
    const agent = await signIn(app, mentee.email, testPassword);
    const page = (await agent.get(`/mentorships/${mentorshipId}`).expect(200)).text;
    await mongoose.connection
      .db!.collection('sessions')
      .updateMany({}, { $set: { expires: new Date(Date.now() - 1000) } });
    const refused = await agent
      .post(`/mentorships/${mentorshipId}/meetings`)
      .type('form')
      .send({ _csrf: csrfFrom(page), heldAt: '2026-03-02T18:30', minutes: '30', privateNotes: 'Written over lunch.' })
      .expect(403);
    expect(refused.text).to.match(typedBox('Private notes', 'Written over lunch.'));
    expect(refused.text).to.include('<a href="/login">Sign in</a>');
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId })).to.equal(0);
  });

  it('her session ended by a password change elsewhere: the same, her notes on the page and no meeting', async () => {
    const mentee = await buildMentee();
    const mentorshipId = await mentorshipOf(mentee);
    const laptop = await signIn(app, mentee.email, testPassword);
    const page = (await laptop.get(`/mentorships/${mentorshipId}`).expect(200)).text;
    const phone = await signIn(app, mentee.email, testPassword);
    await phone
      .post('/account/password')
      .type('form')
      .send({
        _csrf: await csrfOf(phone, '/account/security'),
        currentPassword: testPassword,
        newPassword: 'a-brand-new-passphrase-77',
        confirm: 'a-brand-new-passphrase-77',
      })
      .expect(303);
    const refused = await laptop
      .post(`/mentorships/${mentorshipId}/meetings`)
      .type('form')
      .send({ _csrf: csrfFrom(page), heldAt: '2026-03-02T18:30', minutes: '45', sharedNotes: 'Mock interview.' })
      .expect(403);
    expect(refused.text).to.match(typedBox('Shared notes', 'Mock interview.'));
    expect(refused.text).to.include('<a href="/login">Sign in</a>');
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId })).to.equal(0);
  });

  it('her session reaching its 12 hours as she sends: 401 with her notes, not a redirect that drops them; no meeting', async () => {
    const mentee = await buildMentee();
    const mentorshipId = await mentorshipOf(mentee);
    const agent = await signIn(app, mentee.email, testPassword);
    const page = (await agent.get(`/mentorships/${mentorshipId}`).expect(200)).text;
    const sessions = mongoose.connection.db!.collection<{ _id: string; session: string }>('sessions');
    for (const stored of await sessions.find({}).toArray()) {
      const data = JSON.parse(stored.session) as { startedAt?: number; passport?: { user?: string } };
      if (data.passport?.user !== mentee.id) continue;
      data.startedAt = Date.now() - 13 * 60 * 60 * 1000;
      await sessions.updateOne({ _id: stored._id }, { $set: { session: JSON.stringify(data) } });
    }
    const refused = await agent
      .post(`/mentorships/${mentorshipId}/meetings`)
      .type('form')
      .send({ _csrf: csrfFrom(page), heldAt: '2026-03-02T18:30', minutes: '45', sharedNotes: 'Twelve hours of notes.' })
      .expect(401);
    expect(refused.text).to.include('<title>Error: You are signed out · Pathways</title>');
    expect(refused.text).to.match(typedBox('Shared notes', 'Twelve hours of notes.'));
    expect(refused.text).to.include('<a href="/login">Sign in</a>');
    expect(await MentorshipMeetingModel.countDocuments({ mentorshipId })).to.equal(0);
  });

  it('a form that needs her signed in, sent by nobody signed in (a valid token of a signed-out session): 401 with her text', async () => {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const visitor = supertest.agent(app);
    const token = await csrfOf(visitor, '/login');
    const refused = await visitor
      .post(`/networks/${network.id}/posts`)
      .type('form')
      .send({ _csrf: token, kind: 'story', title: 'Signed out', body: 'A story kept.' })
      .expect(401);
    expect(refused.text).to.match(typedBox('Your text', 'A story kept.'));
    expect(refused.text).to.include('<a href="/login">Sign in</a>');
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(0);
  });

  it('an expired form with a file: her text is shown and she is told to choose the file again; nothing recorded', async () => {
    const governor = await buildUser({ roles: ['governor'] });
    const agent = await signIn(app, governor.email, testPassword);
    const refused = await agent
      .post('/training/safer-recruitment')
      .set('Referer', 'http://pathways.test/training/safer-recruitment')
      .field('_csrf', 'expired-token')
      .field('_submission', 'a-key-of-the-old-page')
      .field('provider', 'Safer Recruitment Consortium — Siobhán’s course')
      .field('completedOn', '2025-09-01')
      .attach('file', Buffer.from('%PDF-1.4 certificate'), {
        filename: 'certificate.pdf',
        contentType: 'application/pdf',
      })
      .expect(403);
    expect(refused.text).to.match(typedBox('Provider', 'Safer Recruitment Consortium — Siobhán’s course'));
    expect(refused.text).to.match(typedBox('Completed on', '2025-09-01'));
    expect(refused.text).to.include('The file you attached was not kept: choose it again in the form.');
    expect(refused.text).to.include('<a href="/training/safer-recruitment">Open the form again</a>');
    expect(refused.text).to.not.include('expired-token');
    expect(refused.text).to.not.include('a-key-of-the-old-page');
    expect(await ExternalCertificateModel.countDocuments({ userId: governor.id })).to.equal(0);
  });

  it('a form sent back after a refusal on its own address: no link back to an address that is no page; her text kept', async () => {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const agent = await signIn(app, member.email, testPassword);
    // The form refused at its field (422) is shown at the address it posts to, which has no page of its own.
    const page = (await agent.get(`/networks/${network.id}`).expect(200)).text;
    await agent
      .post(`/networks/${network.id}/posts`)
      .type('form')
      .send({ _csrf: csrfFrom(page), kind: 'story', title: '', body: 'Still writing.' })
      .expect(422);
    await agent.get(`/networks/${network.id}/posts`).expect(404);
    const refused = await agent
      .post(`/networks/${network.id}/posts`)
      .set('Referer', `http://pathways.test/networks/${network.id}/posts`)
      .type('form')
      .send({ _csrf: 'expired', kind: 'story', title: 'Now titled', body: 'Still writing.' })
      .expect(403);
    expect(refused.text).to.match(typedBox('Your text', 'Still writing.'));
    expect(refused.text).to.not.include('Open the form again');
    expect(refused.text).to.include('open the form again from the page you were on');
  });

  it("a visitor's public form (the Pledge) left open too long: her text, a link back, and no instruction to sign in", async () => {
    const visitor = supertest.agent(app);
    await visitor.get('/pledge/sign/individual').expect(200);
    const refused = await visitor
      .post('/pledge/sign/individual')
      .set('Referer', 'http://pathways.test/pledge/sign/individual')
      .type('form')
      .send({ _csrf: 'from-yesterday', name: 'Amaka Obi', role: 'Deputy head', email: 'amaka@example.org' })
      .expect(403);
    expect(refused.text).to.match(typedBox('Name', 'Amaka Obi'));
    expect(refused.text).to.include('<a href="/pledge/sign/individual">Open the form again</a>');
    expect(refused.text).to.not.match(/copy it, sign in/);
    expect(refused.text).to.include('it was open for a long time');
    // The page's own words (the site's header offers a sign-in to every visitor, as on any page).
    const main = /<main[\s\S]*<\/main>/.exec(refused.text)![0];
    expect(main).to.not.include('signed out').and.not.include('href="/login"');
    expect(await PledgeSignatureModel.countDocuments({ email: 'amaka@example.org' })).to.equal(0);
  });

  it("the pool's request form and a manage-link request, left open too long: visitor's words, no sign-in", async () => {
    for (const path of ['/pool/request', '/pledge/manage']) {
      const visitor = supertest.agent(app);
      await visitor.get(path).expect(200);
      const refused = await visitor
        .post(path)
        .set('Referer', `http://pathways.test${path}`)
        .type('form')
        .send({ _csrf: 'from-yesterday', email: 'amaka@example.org' })
        .expect(403);
      expect(refused.text).to.include('Form expired').and.to.include('it was open for a long time');
      expect(refused.text).to.include(`<a href="${path}">Open the form again</a>`);
      const main = /<main[\s\S]*<\/main>/.exec(refused.text)![0];
      expect(main).to.not.include('signed out').and.not.include('href="/login"');
    }
  });

  it('a form of the signed-in pages, expired for someone not signed in, still says she may have been signed out', async () => {
    const visitor = supertest.agent(app);
    await visitor.get('/login').expect(200);
    const refused = await visitor
      .post('/account/notifications')
      .type('form')
      .send({ _csrf: 'from-yesterday', note: 'Mine' })
      .expect(403);
    const main = /<main[\s\S]*<\/main>/.exec(refused.text)![0];
    expect(main).to.include('signed out').and.to.include('href="/login"');
  });

  it('a form refused for what changed while she wrote (her module archived): her reflection is on the error page; nothing saved', async () => {
    const learner = await buildUser({ roles: ['participant'] });
    const programme = await buildProgramme();
    await enrol(learner.id, (await buildCohort(programme.id)).id, programme.id);
    const module = await buildModule(programme.id, { completion: { type: 'reflection', minWords: 0 } });
    const agent = await signIn(app, learner.email, testPassword);
    const page = (await agent.get(`/modules/${module.id}`).expect(200)).text;
    await ModuleModel.updateOne({ _id: module.id }, { $set: { archived: true } });
    const refused = await agent
      .post(`/modules/${module.id}/completion`)
      .set('Referer', `http://pathways.test/modules/${module.id}`)
      .type('form')
      .send({ _csrf: csrfFrom(page), reflection: 'What I learnt about <b>bias</b> in panels.' })
      .expect((res) => expect(res.status).to.be.within(400, 499));
    expect(refused.text).to.match(typedBox('Reflection', 'What I learnt about &lt;b&gt;bias&lt;/b&gt; in panels.'));
    // The page's own token (its sign-out form carries it) is not among what she typed.
    const kept = /<section aria-labelledby="typed-title">[\s\S]*?<\/section>/.exec(refused.text)![0];
    expect(kept).to.not.include(csrfFrom(page));
    expect(refused.text).to.include(`<a href="/modules/${module.id}">Open the form again</a>`);
    expect(await CompletionModel.countDocuments({ userId: learner.id })).to.equal(0);
  });

  it('a post from another site (a page there submitting to Pathways) shows none of its text as what she typed', async () => {
    const lure = 'Your Pathways account is locked: call +44 20 7946 0000 to unlock it';
    for (const from of [
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site', Origin: 'http://mirror.pathways.test' },
    ]) {
      const refused = await supertest(app)
        .post('/pledge/sign/individual')
        .set(from)
        .set('Referer', 'http://pathways.test/pledge/sign/individual')
        .type('form')
        .send({ _csrf: 'none', name: lure, [lure]: lure, role: 'Deputy head', email: 'amaka@example.org' })
        .expect(403);
      expect(refused.text, JSON.stringify(from)).to.include('<title>Error: Form expired · Pathways</title>');
      expect(refused.text, JSON.stringify(from)).to.not.include('+44 20 7946 0000');
      expect(refused.text, JSON.stringify(from)).to.not.include('What you typed');
    }
    // Her own form, sent from a page of Pathways, still comes back with her text.
    const own = await supertest(app)
      .post('/pledge/sign/individual')
      .set({ Origin: 'http://pathways.test', 'Sec-Fetch-Site': 'same-origin' })
      .type('form')
      .send({ _csrf: 'none', name: 'Amaka Obi', email: 'amaka@example.org' })
      .expect(403);
    expect(own.text).to.match(typedBox('Name', 'Amaka Obi'));
    expect(await PledgeSignatureModel.countDocuments({ email: 'amaka@example.org' })).to.equal(0);
  });

  it('never shows back a recovery code, a calendar feed token, an API key or an LTI token, whatever the field is called', async () => {
    const refused = await supertest(app)
      .post('/pledge/sign/individual')
      .type('form')
      .send({
        _csrf: 'none',
        name: 'Amaka Obi',
        recoveryCode: 'RC-11111111',
        recovery_code: 'RC-22222222',
        backupCode: 'RC-33333333',
        mfaCode: 'RC-44444444',
        feedTokens: 'RC-55555555',
        tokenId: 'RC-66666666',
        apiKey: 'RC-77777777',
        ID_TOKEN: 'RC-88888888',
      })
      .expect(403);
    expect(refused.text).to.match(typedBox('Name', 'Amaka Obi'));
    expect(refused.text).to.not.include('RC-');
  });

  it('the API is unchanged: a signed-in call without its CSRF token is a 403 problem+json, and creates nothing', async () => {
    const member = await buildUser();
    const network = await buildNetwork({ joining: 'open' }, { members: [member] });
    const agent = await signIn(app, member.email, testPassword);
    const refused = await agent
      .post(`/api/v1/networks/${network.id}/posts`)
      .send({ kind: 'story', title: 'Via the API', body: 'Not shown back.' })
      .expect(403)
      .expect('Content-Type', /application\/problem\+json/);
    expect(refused.body.title).to.equal('Form expired');
    expect(JSON.stringify(refused.body)).to.not.include('Not shown back.');
    expect(await NetworkPostModel.countDocuments({ networkId: network.id })).to.equal(0);
  });
});
