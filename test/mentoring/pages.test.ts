import { expect } from 'chai';
import { DateTime } from 'luxon';
import supertest from 'supertest';
import { MentorshipMeetingModel } from '../../models/MentorshipMeeting.ts';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { MentoringRequestModel } from '../../models/MentoringRequest.ts';
import { acceptMentoringRequest, createMentoringRequest } from '../../server/services/mentoring/requests.ts';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';
import { listInDirectory } from '../support/directoryFactories.ts';
import { blockPerson } from '../../server/services/directory/blocks.ts';
import { closeMentorship } from '../../server/services/mentoring/mentorships.ts';

describe('mentoring: pages for requests, mentorships, outcomes and the overview', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('a mentee asks through the form, the mentor accepts, logs a meeting in her own zone, and a stranger gets 404', async () => {
    const mentor = await buildMentor({ name: 'Dame Ada Head', timezone: 'America/Toronto' });
    const mentee = await buildMentee({ name: 'Grace Aspiring', timezone: 'America/Toronto' });
    const her = await signIn(app, mentee.email, testPassword);
    const form = await her.get(`/mentoring/requests/new?mentorId=${mentor.id}`).expect(200);
    expect(form.text).to.include('Ask Dame Ada Head to mentor you');
    expect(form.text).to.match(/<label for="field-message">/);
    const empty = await her
      .post('/mentoring/requests')
      .type('form')
      .send({
        _csrf: await csrfOf(her, `/mentoring/requests/new?mentorId=${mentor.id}`),
        mentorId: mentor.id,
        message: '',
      })
      .expect(422);
    expect(empty.text).to.include('There is a problem');
    await her
      .post('/mentoring/requests')
      .type('form')
      .send({
        _csrf: await csrfOf(her, `/mentoring/requests/new?mentorId=${mentor.id}`),
        mentorId: mentor.id,
        message: 'Interviews in May.',
      })
      .expect(303);
    const again = await her
      .post('/mentoring/requests')
      .type('form')
      .send({
        _csrf: await csrfOf(her, `/mentoring/requests/new?mentorId=${mentor.id}`),
        mentorId: mentor.id,
        message: 'Again.',
      })
      .expect(409);
    expect(again.text).to.include('You already have a request waiting with this mentor.');
    // The refusal names no field: the title says the request was refused, and the message is where focus goes.
    expect(again.text).to.match(/<title>Error: Ask a mentor/);
    expect(again.text).to.match(
      /<p class="error-message" role="alert" tabindex="-1" data-focus-on-load autofocus>You already/,
    );
    await her.get('/mentoring/requests/new?mentorId=nope').expect(404);

    const she = await signIn(app, mentor.email, testPassword);
    const list = await she.get('/mentoring/requests').expect(200);
    expect(list.text)
      .to.include('Grace Aspiring')
      .and.to.include('Interviews in May.')
      .and.to.include('(America/Toronto)');
    const requestId = /action="\/mentoring\/requests\/([0-9a-f]{24})\/accept"/.exec(list.text)![1]!;
    const accepted = await she
      .post(`/mentoring/requests/${requestId}/accept`)
      .type('form')
      .send({ _csrf: await csrfOf(she, '/mentoring/requests') })
      .expect(303);
    const path = accepted.headers.location as string;
    expect(path).to.match(/^\/mentorships\/[0-9a-f]{24}$/);
    const page = await she.get(path).expect(200);
    expect(page.text).to.include('You are now mentoring Grace Aspiring.');
    expect(page.text).to.include('When you met (America/Toronto)');
    const twoHoursAgo = DateTime.now().setZone('America/Toronto').minus({ hours: 2 }).startOf('minute');
    await she
      .post(`${path}/meetings`)
      .type('form')
      .send({
        _csrf: await csrfOf(she, path),
        heldAt: twoHoursAgo.toFormat("yyyy-LL-dd'T'HH:mm"),
        minutes: '50',
        sharedNotes: 'Mock interview.',
        privateNotes: 'Confidence.',
      })
      .expect(303);
    const meeting = (await MentorshipMeetingModel.findOne({ mentorshipId: path.split('/')[2] }).lean())!;
    // The wall-clock time she typed, read in her zone (Toronto), stored as that instant.
    expect(meeting.heldAt.toISOString()).to.equal(twoHoursAgo.toUTC().toISO());
    const bad = await she
      .post(`${path}/meetings`)
      .type('form')
      .send({ _csrf: await csrfOf(she, path), heldAt: '', minutes: 'x' })
      .expect(422);
    expect(bad.text).to.include('is required');
    const typedWrong = await she
      .post(`${path}/meetings`)
      .type('form')
      .send({ _csrf: await csrfOf(she, path), heldAt: 'yesterday', minutes: '30' })
      .expect(422);
    expect(typedWrong.text).to.include('must be a date and time');
    const menteePage = await her.get(path).expect(200);
    expect(menteePage.text).to.include('Mock interview.');
    expect(menteePage.text).not.to.include('Confidence.');

    const stranger = await signIn(app, (await buildUser()).email, testPassword);
    await stranger.get(path).expect(404);
    await stranger
      .post(`${path}/close`)
      .type('form')
      .send({ _csrf: await csrfOf(stranger, '/'), reason: 'x' })
      .expect(404);
    // No CSRF token: 403 and nothing changes.
    await she.post(`${path}/close`).type('form').send({ reason: 'x' }).expect(403);
    expect((await MentorshipModel.findById(path.split('/')[2]).lean())!.status).to.equal('active');
  });

  it('when the request is refused (too little shared time, or one already waiting), the page says why in words above the form, names no field and links to nothing missing', async () => {
    const far = await buildMentor({ name: 'Dame Far Away', timezone: 'Europe/London' });
    const mentee = await buildMentee({ name: 'Sky Sydney', timezone: 'Australia/Sydney' });
    const her = await signIn(app, mentee.email, testPassword);
    const ask = async (mentorId: string, message: string) =>
      her
        .post('/mentoring/requests')
        .type('form')
        .send({ _csrf: await csrfOf(her, `/mentoring/requests/new?mentorId=${mentorId}`), mentorId, message });

    const refused = await ask(far.id, 'Interviews in May.');
    expect(refused.status).to.equal(422);
    expect(refused.text).to.match(
      /role="alert"[^>]*>You share less than 2 hours of free time in the coming seven days\.</,
    );
    expect(refused.text).not.to.match(/Mentor id|mentorId:|field-mentorId/);
    expectEveryLinkOnThePageToLand(refused.text);
    expect(refused.text).to.include('>Interviews in May.</textarea>');
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id })).to.equal(0);

    // What she typed wrong is introduced by the label she sees, and links to it.
    const empty = await ask(far.id, '');
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('href="#field-message">Your message to her: ');
    expectEveryLinkOnThePageToLand(empty.text);

    // A refusal of the pair is not a mistake in her message: it is not pinned to the message field.
    const near = await buildMentor({ name: 'Dame Near By', timezone: 'Australia/Sydney' });
    await ask(near.id, 'First ask.').then((r) => expect(r.status).to.equal(303));
    const again = await ask(near.id, 'Second ask.');
    expect(again.status).to.equal(409);
    expect(again.text).to.match(/role="alert"[^>]*>You already have a request waiting with this mentor\.</);
    expect(again.text).not.to.match(/href="#field-message">[^<]*You already have a request/);
    expectEveryLinkOnThePageToLand(again.text);
  });

  /** A mentee's pending request to a mentor, through the domain function the request form calls. */
  const requested = async (names: { mentor: string; mentee: string }) => {
    const mentor = await buildMentor({ name: names.mentor });
    const mentee = await buildMentee({ name: names.mentee });
    const request = await createMentoringRequest({
      actor: { id: mentee.id, roles: mentee.roles },
      mentorId: mentor.id,
      message: 'Help with my application.',
    });
    return { mentor, mentee, requestId: String(request._id) };
  };

  it('the mentee saves the agreement through the form and both see it; a non-member gets 404 and it stays unchanged', async () => {
    const { mentor, mentee, requestId } = await requested({ mentor: 'Ruth Serving', mentee: 'Ivy Emerging' });
    const m = await acceptMentoringRequest({ actor: { id: mentor.id, roles: mentor.roles }, requestId });
    const path = `/mentorships/${String(m._id)}`;
    const her = await signIn(app, mentee.email, testPassword);
    const endsOn = DateTime.now().plus({ months: 6 }).toISODate()!;
    await her
      .post(`${path}/agreement`)
      .type('form')
      .send({
        _csrf: await csrfOf(her, path),
        goals: 'Application for Oakfield headship\r\nSalary negotiation',
        meetingFrequency: 'monthly',
        endsOn,
      })
      .expect(303)
      .expect('Location', path);
    const stored = (await MentorshipModel.findById(m._id).lean())!.agreement!;
    expect(stored).to.deep.include({ meetingFrequency: 'monthly', endsOn });
    expect(stored.goals).to.deep.equal(['Application for Oakfield headship', 'Salary negotiation']);
    const she = await signIn(app, mentor.email, testPassword);
    const page = await she.get(path).expect(200);
    expect(page.text)
      .to.include('<li>Application for Oakfield headship</li>')
      .and.to.include('<li>Salary negotiation</li>')
      .and.to.include(`You meet every month, until ${DateTime.fromISO(endsOn).toFormat('d LLLL yyyy')}.`);

    const stranger = await signIn(app, (await buildUser()).email, testPassword);
    await stranger
      .post(`${path}/agreement`)
      .type('form')
      .send({ _csrf: await csrfOf(stranger, '/'), goals: 'Take over', meetingFrequency: 'weekly', endsOn })
      .expect(404);
    const after = (await MentorshipModel.findById(m._id).lean())!.agreement!;
    expect(after).to.deep.include({ meetingFrequency: 'monthly' });
    expect(after.goals).to.deep.equal(stored.goals);

    // Closed before its agreed end: the page tells the agreement as one, and when and why it really ended.
    await closeMentorship({ actor: mentor, mentorshipId: String(m._id), reason: 'Moving schools' });
    const closed = await she.get(path).expect(200);
    expect(closed.text)
      .to.include(`You had agreed to meet every month, until ${DateTime.fromISO(endsOn).toFormat('d LLLL yyyy')}.`)
      .and.to.include(
        `The mentorship ended on ${DateTime.now().setZone('Europe/London').toFormat('d LLLL yyyy')} (Moving schools).`,
      )
      .and.not.to.include('You met every month');
  });

  it('the mentor deciding on a request sees the profile the mentee was told she would see (goals, phase, place, zone, languages) and their shared time in her own zone, never an email', async () => {
    const mentor = await buildMentor({ name: 'Pat Serving', timezone: 'Europe/London' });
    const mentee = await buildMentee({ name: 'Rue Aspiring', timezone: 'Europe/Paris', schoolName: 'Rue School' });
    await createMentoringRequest({
      actor: { id: mentee.id, roles: ['participant'] },
      mentorId: mentor.id,
      message: 'Interviews in May.',
    });
    const she = await signIn(app, mentor.email, testPassword);
    const list = await she.get('/mentoring/requests').expect(200);
    const card = /<section class="card"[\s\S]*?<\/section>/.exec(list.text)![0];
    expect(card)
      .to.include('Rue Aspiring')
      .and.to.include('Interviews')
      .and.to.include('Primary')
      .and.to.include('London, GB')
      .and.to.include('Rue School')
      .and.to.include('Europe/Paris')
      .and.to.include('en');
    // Paris evenings 18:00–21:00 are 17:00–20:00 in London: two hours on each weekday evening, in the mentor's time.
    expect(card).to.include('10 hours a week when you are both free: Mondays 18:00–20:00');
    expect(card).to.include('in your time (Europe/London)');
    expect(card).not.to.include(mentee.email);
  });

  it('the mentor declines through the form with a reason the mentee then sees; anyone else gets 404 and the request still waits', async () => {
    const { mentor, mentee, requestId } = await requested({ mentor: 'Jo Serving', mentee: 'Kit Aspiring' });
    const other = await signIn(app, (await buildMentor()).email, testPassword);
    await other
      .post(`/mentoring/requests/${requestId}/decline`)
      .type('form')
      .send({ _csrf: await csrfOf(other, '/mentoring/requests'), reason: 'Not mine to answer.' })
      .expect(404);
    const her = await signIn(app, mentee.email, testPassword);
    await her
      .post(`/mentoring/requests/${requestId}/decline`)
      .type('form')
      .send({ _csrf: await csrfOf(her, '/mentoring/requests'), reason: 'Changed my mind.' })
      .expect(404);
    expect((await MentoringRequestModel.findById(requestId).lean())!.status).to.equal('pending');

    const she = await signIn(app, mentor.email, testPassword);
    const list = await she.get('/mentoring/requests').expect(200);
    expect(list.text).to.include(`action="/mentoring/requests/${requestId}/decline"`);
    await she
      .post(`/mentoring/requests/${requestId}/decline`)
      .type('form')
      .send({ _csrf: csrfFrom(list.text), reason: 'My places are promised until September.' })
      .expect(303)
      .expect('Location', '/mentoring/requests');
    const stored = (await MentoringRequestModel.findById(requestId).lean())!;
    expect(stored).to.include({ status: 'declined', declineReason: 'My places are promised until September.' });
    const after = await she.get('/mentoring/requests').expect(200);
    expect(after.text).to.include('The request was declined.');
    expect(after.text).not.to.include(`action="/mentoring/requests/${requestId}/decline"`);
    const sent = await her.get('/mentoring/requests').expect(200);
    expect(sent.text).to.include('declined: “My places are promised until September.”');
  });

  it('a request between two people of whom one blocked the other is listed for decline only, with no Accept, no profile and no promise that she will read a reason', async () => {
    for (const blockedByMentor of [true, false]) {
      const { mentor, mentee, requestId } = await requested({ mentor: 'Sol Blocking', mentee: 'Tam Asking' });
      if (blockedByMentor) {
        await listInDirectory(mentee); // someone the mentor came across, so she may block her
        await blockPerson({ actor: mentor, userId: mentee.id });
      } else await blockPerson({ actor: mentee, userId: mentor.id });
      const she = await signIn(app, mentor.email, testPassword);
      const list = await she.get('/mentoring/requests').expect(200);
      const card = /<section class="card"[\s\S]*?<\/section>/.exec(list.text)![0];
      expect(card).to.include('Tam Asking').and.to.include('you cannot accept this request');
      expect(card).not.to.include(`/mentoring/requests/${requestId}/accept`);
      expect(card).not.to.include('she will see it').and.not.to.include('Time you share');
      await she
        .post(`/mentoring/requests/${requestId}/decline`)
        .type('form')
        .send({ _csrf: csrfFrom(list.text) })
        .expect(303);
      expect((await MentoringRequestModel.findById(requestId).lean())!.status).to.equal('declined');
    }
  });

  it('the mentee withdraws her waiting request through a button on her requests page; the mentor then has nothing to answer', async () => {
    const { mentor, mentee, requestId } = await requested({ mentor: 'Lee Serving', mentee: 'Mo Aspiring' });
    const she = await signIn(app, mentor.email, testPassword);
    await she
      .post(`/mentoring/requests/${requestId}/withdraw`)
      .type('form')
      .send({ _csrf: await csrfOf(she, '/mentoring/requests') })
      .expect(404);
    const her = await signIn(app, mentee.email, testPassword);
    const list = await her.get('/mentoring/requests').expect(200);
    expect(list.text).to.include(`action="/mentoring/requests/${requestId}/withdraw"`);
    expect(list.text).to.include('Withdraw your request to Lee Serving');
    await her
      .post(`/mentoring/requests/${requestId}/withdraw`)
      .type('form')
      .send({ _csrf: csrfFrom(list.text) })
      .expect(303)
      .expect('Location', '/mentoring/requests#sent');
    expect((await MentoringRequestModel.findById(requestId).lean())!.status).to.equal('withdrawn');
    const after = await her.get('/mentoring/requests').expect(200);
    expect(after.text).to.include('Your request to Lee Serving was withdrawn.');
    expect(after.text).not.to.include(`action="/mentoring/requests/${requestId}/withdraw"`);
    const hers = await she.get('/mentoring/requests').expect(200);
    expect(hers.text).not.to.include(`action="/mentoring/requests/${requestId}/accept"`);
  });

  it('when either of the two has blocked the other, the "Ask a mentor" page answers 404 as sending does, and shows nothing of the mentor', async () => {
    const mentor = await buildMentor({ name: 'Beatrix Blocking' });
    const blockedByHer = await buildMentor({ name: 'Bettina Blocked' });
    const mentee = await buildMentee({ name: 'Ines Asking' });
    const block = async (who: TestUser, whom: TestUser) =>
      supertest(app)
        .put(`/api/v1/me/blocks/${whom.id}`)
        .set('Authorization', `Bearer ${await tokenFor(who)}`)
        .expect(204);
    const her = await signIn(app, mentee.email, testPassword);
    expect((await her.get(`/mentoring/requests/new?mentorId=${mentor.id}`).expect(200)).text).to.include(
      'Ask Beatrix Blocking to mentor you',
    );
    await listInDirectory(mentee); // someone the mentor came across, so she may block her
    await block(mentor, mentee);
    await block(mentee, blockedByHer);
    for (const blocked of [mentor, blockedByHer]) {
      const page = await her.get(`/mentoring/requests/new?mentorId=${blocked.id}`).expect(404);
      expect(page.text).to.include('We could not find that mentor.');
      expect(page.text).not.to.include(blocked.name);
      expect(page.text).not.to.include('Head of a primary school.');
      const sent = await her
        .post('/mentoring/requests')
        .type('form')
        .send({
          _csrf: await csrfOf(her, '/mentoring/requests'),
          mentorId: blocked.id,
          message: 'Could we talk about interviews?',
        })
        .expect(404);
      expect(sent.text).to.include('We could not find that mentor.');
    }
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id })).to.equal(0);
    // Someone neither blocked still has her page.
    const stranger = await buildMentee();
    const theirs = await signIn(app, stranger.email, testPassword);
    await theirs.get(`/mentoring/requests/new?mentorId=${mentor.id}`).expect(200);
  });

  it('she records an outcome through the form; an empty kind is a 422 naming it', async () => {
    const woman = await buildUser();
    const agent = await signIn(app, woman.email, testPassword);
    const bad = await agent
      .post('/mentoring/outcomes')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/mentoring/outcomes'), on: '2026-05-01' })
      .expect(422);
    expect(bad.text).to.include('choose what happened');
    await agent
      .post('/mentoring/outcomes')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/mentoring/outcomes'),
        kind: 'appointed',
        on: '2026-05-01',
        detail: 'Head of Oakfield.',
      })
      .expect(303);
    expect(await CareerOutcomeModel.countDocuments({ userId: woman.id, kind: 'appointed' })).to.equal(1);
    expect((await agent.get('/mentoring/outcomes').expect(200)).text).to.include('Head of Oakfield.');
  });

  it('a day typed with a slip in its year (0027, 1027) is refused at its field with what she typed, on the page and in the API; nothing is recorded', async () => {
    const woman = await buildUser();
    const agent = await signIn(app, woman.email, testPassword);
    for (const on of ['0027-05-01', '1027-05-01']) {
      const refused = await agent
        .post('/mentoring/outcomes')
        .type('form')
        .send({ _csrf: await csrfOf(agent, '/mentoring/outcomes'), kind: 'appointed', on, detail: 'Head of Oakfield.' })
        .expect(422);
      expect(refused.text).to.include('field-on-error').and.include('check the year');
      expect(refused.text).to.include(`value="${on}"`).and.include('Head of Oakfield.');
    }
    const api = await supertest(app)
      .post('/api/v1/me/outcomes')
      .set('Authorization', `Bearer ${await tokenFor(woman)}`)
      .send({ kind: 'appointed', on: '0027-05-01' })
      .expect(422);
    expect(api.headers['content-type']).to.match(/problem\+json/);
    expect(api.body.errors[0]).to.include({ path: 'on' });
    expect(await CareerOutcomeModel.countDocuments({ userId: woman.id })).to.equal(0);
  });

  it('the admin overview shows the figures and an SVG chart with a title, a description and the numbers in a table; others get 403', async () => {
    await CareerOutcomeModel.create({
      userId: (await buildUser()).id,
      kind: 'interviewed',
      on: new Date().toISOString().slice(0, 10),
    });
    const admin = await signIn(app, (await buildUser({ roles: ['admin'] })).email, testPassword);
    const page = await admin.get('/admin/mentoring').expect(200);
    expect(page.text)
      .to.include('role="img"')
      .and.to.include('<title id="chart-svg-title">')
      .and.to.include('<desc id="chart-svg-desc">');
    expect(page.text).to.include('Outcomes each month (the numbers of the chart)');
    const participant = await signIn(app, (await buildUser()).email, testPassword);
    await participant.get('/admin/mentoring').expect(403);
  });
});

/** Every in-page link (`href="#id"`) on the page leads to an element that has that id. */
function expectEveryLinkOnThePageToLand(html: string): void {
  for (const [, id] of html.matchAll(/href="#([^"]+)"/g)) expect(html, `link to #${id}`).to.include(`id="${id}"`);
}
