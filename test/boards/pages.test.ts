import { expect } from 'chai';
import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { BoardModel } from '../../models/Board.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { ExternalCertificateModel, externalCertificateMaxBytes } from '../../models/ExternalCertificate.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { UserModel } from '../../models/User.ts';
import { csrfOf, errorSummaryOf, signIn, testApp } from '../support/app.ts';
import { confirmationPage, dialogOf } from '../support/confirmation.ts';
import { governorDashboard } from '../../server/services/boards/panels.ts';
import { buildBoard, buildGoverningProgramme, buildRound, giveCertificate } from '../support/boardsFactories.ts';
import { enrolParticipant } from '../../server/services/cohorts/enrolment.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

const inDays = (days: number) => DateTime.now().setZone('Europe/London').plus({ days }).toISODate()!;

/** The fields a form on the page posts as it stands (inputs only, as the round's date form has), by name. */
function formFields(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action}"[^>]*>([\\s\\S]*?)</form>`).exec(html);
  if (!form) throw new Error(`no form posting to ${action}`);
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  return Object.fromEntries(
    [...form[1]!.matchAll(/<input\b[^>]*>/g)].map(([tag]) => [attr(tag, 'name')!, attr(tag, 'value') ?? '']),
  );
}

describe('boards: web pages and forms', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let chair: TestUser;
  let clerk: TestUser;
  let governor: TestUser;
  let board: { id: string };

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    chair = await buildUser({ roles: ['governor'], name: 'Chair Celia' });
    clerk = await buildUser({ roles: ['governor'], name: 'Clerk Clara' });
    governor = await buildUser({ roles: ['governor'], name: 'Governor Gwen' });
    board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: clerk, role: 'clerk' },
      { user: governor, role: 'governor' },
    ]);
  });

  it('a governor whose training is not valid is shown the way to it from her dashboard: who enrols her, then a cohort open to join, then her cohorts', async () => {
    const newcomer = await buildUser({ roles: ['governor'] });
    const agent = await signIn(app, newcomer.email, testPassword);
    const notEnrolled = (await agent.get('/').expect(200)).text;
    expect(notEnrolled).to.include('Not started');
    // Her cohorts page would be empty: she is told who enrols her, and sent nowhere.
    expect(notEnrolled).to.include(
      'You are not enrolled in the training yet: your board’s chair enrols the interview panel from the round’s page.',
    );
    expect(notEnrolled).to.not.include('Go to the training').and.to.not.include('open for you to join');
    const training = await buildGoverningProgramme(1);
    const cohort = await CohortModel.create({
      programmeId: training.id,
      name: 'Panel training, open to join',
      capacity: 30,
      timezone: 'Europe/London',
      startsOn: inDays(-7),
      endsOn: inDays(60),
      selfEnrolment: true,
    });
    expect((await agent.get('/').expect(200)).text).to.include(
      'or you can join a cohort yourself. <a href="/cohorts">Cohorts open for you to join</a>',
    );
    await enrolParticipant({ actor: 'system', cohortId: String(cohort._id), userId: newcomer.id });
    const enrolled = (await agent.get('/').expect(200)).text;
    expect(enrolled).to.include('<a href="/cohorts">Go to the training: your cohorts</a>');
    expect(enrolled).to.not.include('You are not enrolled in the training yet');
  });

  it('her dashboard counts the days to each open round as the round page does: "1 day left" and "today", never "1 days" or "0 days"', async () => {
    const member = await buildUser({ roles: ['governor'] });
    await buildRound(board.id, { interviewDates: [inDays(1)], panel: [member], title: 'Tomorrow round' });
    await buildRound(board.id, { interviewDates: [inDays(0)], panel: [member], title: 'Today round' });
    const agent = await signIn(app, member.email, testPassword);
    const home = (await agent.get('/').expect(200)).text;
    expect(home).to.include('(1 day left)').and.include('(today)');
    expect(home).to.not.match(/\b[01] days left/);
  });

  it('her dashboard names the board’s zone beside an interview day: for a governor in Los Angeles on a London board, "today" is London’s', async () => {
    const angeleno = await buildUser({ roles: ['governor'], timezone: 'America/Los_Angeles' });
    const day = inDays(9);
    await buildRound(board.id, { interviewDates: [day], panel: [angeleno], title: 'Pacific round' });
    const home = (await (await signIn(app, angeleno.email, testPassword)).get('/').expect(200)).text;
    const shown = DateTime.fromISO(day).toFormat('d LLLL yyyy');
    expect(home).to.include(`for Pacific round (${shown}, Europe/London)`);
    expect(home).to.include(`${shown} <span class="muted">(Europe/London)</span> (9 days left)`);
  });

  it('with no interview ahead, her own training is judged on her today: a certificate that lapsed overnight in Sydney is not valid at breakfast', async () => {
    const sydney = await buildUser({ roles: ['governor'], timezone: 'Australia/Sydney' });
    // Lapsed at 02:00 on 15 May 2027 in Sydney (AEST, UTC+10); she looks at 08:00 that morning, still 14 May in UTC.
    await giveCertificate(sydney.id, {
      issuedAt: new Date('2026-05-14T16:00:00Z'),
      expiresAt: new Date('2027-05-14T16:00:00Z'),
    });
    const panel = await governorDashboard(sydney, new Date('2027-05-14T22:00:00Z'));
    expect(panel.own.status).to.equal('expires-before-interview');
    expect(panel.own.expiresAt!.toISOString()).to.equal('2027-05-14T16:00:00.000Z');
  });

  it('lets an admin create a board from the form, and re-renders it with errors (422) keeping what she typed', async () => {
    const agent = await signIn(app, admin.email, testPassword);
    const bad = await agent
      .post('/boards')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/boards'), name: '', organisation: 'Hillside Academy' })
      .expect(422);
    expect(bad.text).to.include('Hillside Academy');
    expect(bad.text).to.include('There is a problem');
    const ok = await agent
      .post('/boards')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/boards'),
        name: 'Hillside Governors',
        organisation: 'Hillside Academy',
        timezone: 'Europe/London',
      })
      .expect(303);
    expect(ok.headers.location).to.match(/^\/boards\/[0-9a-f]{24}$/);
  });

  it('lets the chair add a member by email, and says so when nobody has that email (422)', async () => {
    const agent = await signIn(app, chair.email, testPassword);
    const newcomer = await buildUser({ roles: ['participant'], email: `new-${Date.now()}@example.org` });
    await agent
      .post(`/boards/${board.id}/members`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/boards/${board.id}`),
        email: newcomer.email.toUpperCase(),
        role: 'governor',
      })
      .expect(303);
    const saved = (await BoardModel.findById(board.id).lean())!;
    expect(saved.members.map((m) => String(m.userId))).to.include(newcomer.id);
    expect((await UserModel.findById(newcomer.id).lean())!.roles).to.include('governor');
    const missing = await agent
      .post(`/boards/${board.id}/members`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/boards/${board.id}`), email: 'nobody@example.org', role: 'governor' })
      .expect(422);
    expect(missing.text).to.include('Nobody has this email address');
  });

  it('a governor who does not run the board gets the same 403 whether or not the email has an account, and nobody is added', async () => {
    const agent = await signIn(app, governor.email, testPassword);
    const outsider = await buildUser({ roles: ['participant'], email: `outsider-${Date.now()}@example.org` });
    const statuses = [];
    for (const email of [outsider.email, 'nobody-at-all@example.org']) {
      const res = await agent
        .post(`/boards/${board.id}/members`)
        .type('form')
        .send({ _csrf: await csrfOf(agent, `/boards/${board.id}`), email, role: 'governor' });
      expect(res.text).to.not.include('Nobody has this email address');
      statuses.push(res.status);
    }
    expect(statuses).to.deep.equal([403, 403]);
    const saved = (await BoardModel.findById(board.id).lean())!;
    expect(saved.members.map((m) => String(m.userId))).to.not.include(outsider.id);
  });

  it('starting a round sent twice (a double-click on the board page, an API retry with its Idempotency-Key) starts one round; without a key, two alike are two', async () => {
    const agent = await signIn(app, chair.email, testPassword);
    const page = await agent.get(`/boards/${board.id}`).expect(200);
    const fields = {
      _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!,
      _submission: /name="_submission" value="([^"]+)"/.exec(page.text)![1]!,
      title: 'Double click round',
      interviewDate: inDays(30),
      panel: [chair.id, governor.id],
    };
    const clicks = await Promise.all(
      [1, 2].map(() => agent.post(`/boards/${board.id}/rounds`).type('form').send(fields)),
    );
    expect(clicks.map((c) => c.status)).to.deep.equal([303, 303]);
    expect(clicks[0]!.headers.location).to.equal(clicks[1]!.headers.location);
    expect(await RecruitmentRoundModel.countDocuments({ title: 'Double click round' })).to.equal(1);

    const auth = `Bearer ${await tokenFor(chair)}`;
    const body = { title: 'Retried round', interviewDate: inDays(31), panel: [chair.id] };
    const retry = () =>
      supertest(app)
        .post(`/api/v1/boards/${board.id}/rounds`)
        .set('Authorization', auth)
        .set('Idempotency-Key', 'round-retry-0001')
        .send(body);
    const [first, second] = await Promise.all([retry(), retry()]);
    expect([first.status, second.status]).to.deep.equal([201, 201]);
    expect(second.body.id).to.equal(first.body.id);
    await supertest(app).post(`/api/v1/boards/${board.id}/rounds`).set('Authorization', auth).send(body).expect(201);
    expect(await RecruitmentRoundModel.countDocuments({ title: 'Retried round' })).to.equal(2);
  });

  it('creates a round from the board page, re-rendering with errors when the interview date is missing', async () => {
    const agent = await signIn(app, chair.email, testPassword);
    const bad = await agent
      .post(`/boards/${board.id}/rounds`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/boards/${board.id}`), title: 'Typed title', panel: [chair.id, governor.id] })
      .expect(422);
    expect(bad.text).to.include('Typed title');
    expect(bad.text).to.include('enter the interview date');
    const ok = await agent
      .post(`/boards/${board.id}/rounds`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/boards/${board.id}`),
        title: 'Headteacher 2028',
        closingDate: inDays(5),
        shortlistingDate: inDays(10),
        interviewDate: inDays(20),
        secondInterviewDate: inDays(21),
        panel: [chair.id, governor.id],
      })
      .expect(303);
    const round = (await RecruitmentRoundModel.findById(ok.headers.location!.split('/').pop()).lean())!;
    expect(round.interviewDates).to.deep.equal([inDays(20), inDays(21)]);
    expect(round.panel.map(String)).to.deep.equal([chair.id, governor.id]);
  });

  it('when a new round’s interview date is refused, the error summary’s link leads to the interview date field (keeping what she typed)', async () => {
    const agent = await signIn(app, chair.email, testPassword);
    const bad = await agent
      .post(`/boards/${board.id}/rounds`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/boards/${board.id}`),
        title: 'Wrong year',
        closingDate: inDays(40),
        interviewDate: inDays(10),
        panel: [chair.id],
      })
      .expect(422);
    expect(errorSummaryOf(bad.text).targets).to.deep.equal(['field-interviewDate']);
    const input = new RegExp(
      `<input id="field-interviewDate" name="interviewDate" type="date" value="${inDays(10)}"[^>]*aria-invalid="true"`,
    );
    expect(bad.text).to.match(input);
    expect(bad.text).to.include('<label for="field-interviewDate">Interview date</label>');
    expect(bad.text).to.include('must not be before the closing date');
  });

  it('a panel member the round refuses (not on the board) is the panel’s error: at its checkboxes, and the summary leads there', async () => {
    const outsider = await buildUser({ name: 'Olive Outsider' });
    const agent = await signIn(app, chair.email, testPassword);
    const bad = await agent
      .post(`/boards/${board.id}/rounds`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/boards/${board.id}`),
        title: 'Panel check',
        interviewDate: inDays(20),
        panel: [chair.id, outsider.id],
      })
      .expect(422);
    const summary = errorSummaryOf(bad.text);
    // To the group's first box (a fieldset takes no focus).
    expect(summary.targets).to.deep.equal(['field-panel-first']);
    expect(bad.text).to.match(
      /<fieldset[^>]*id="field-panel"[\s\S]*?<input id="field-panel-first" type="checkbox" name="panel"/,
    );
    expect(summary.text).not.to.match(/Panel \d/);
    expect(bad.text).to.match(/id="field-panel-error">[\s\S]*?must be a member of the board/);
  });

  it('changes the dates and the panel from the round page; readiness follows at once', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair, governor] });
    const agent = await signIn(app, chair.email, testPassword);
    await agent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/rounds/${round.id}`),
        title: 'Renamed',
        interviewDate: inDays(12),
        secondInterviewDate: '',
        closingDate: '',
        shortlistingDate: '',
      })
      .expect(303);
    const page = await agent.get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.include('12 days left');
    expect(page.text).to.include('Renamed');
    await agent
      .post(`/rounds/${round.id}/panel/${governor.id}/remove`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/rounds/${round.id}`), confirmed: 'yes' })
      .expect(303);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.panel.map(String)).to.deep.equal([chair.id]);
    const bad = await agent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/rounds/${round.id}`),
        title: 'Renamed',
        interviewDate: inDays(12),
        shortlistingDate: inDays(20),
      })
      .expect(422);
    expect(bad.text).to.include('must not be before the shortlisting date');
  });

  it('when the chair closes a round, a post without confirming asks first (the record it will keep) and changes nothing; saying yes closes it', async () => {
    const trained = await buildUser({ roles: ['governor'] });
    await giveCertificate(trained.id, { issuedAt: new Date(Date.now() - 86_400_000), expiresAt: null });
    const round = await buildRound(board.id, {
      interviewDates: [inDays(30)],
      panel: [trained, governor],
      title: 'Head of Hillside',
    });
    const agent = await signIn(app, chair.email, testPassword);
    const path = `/rounds/${round.id}/close`;
    const roundPage = await agent.get(`/rounds/${round.id}`).expect(200);
    const question = 'Close the round “Head of Hillside”?';
    expect(dialogOf(roundPage.text, path)).to.include(question);
    const _csrf = await csrfOf(agent, `/rounds/${round.id}`);
    const asked = confirmationPage(
      (await agent.post(path).type('form').send({ _csrf, confirmed: '' }).expect(200)).text,
    );
    expect(asked).to.deep.include({
      question,
      action: path,
      yes: 'Yes, close the round',
      back: `/rounds/${round.id}#record-title`,
      fields: { _csrf, confirmed: 'yes' },
    });
    expect(asked.consequences.join(' ')).to.include('cannot be undone').and.include('1 of 2 not ready');
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.status).to.equal('open');
    await agent.post(path).type('form').send(asked.fields).expect(303);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.status).to.equal('closed');
  });

  it('when the chair takes someone off a panel or off the board, a post without confirming asks first and changes nothing; saying yes acts', async () => {
    const member = await buildUser({ roles: ['governor'], name: 'Governor Greta' });
    const own = await buildBoard(
      [
        { user: chair, role: 'chair' },
        { user: member, role: 'governor' },
      ],
      { name: 'Meadow Board' },
    );
    const round = await buildRound(own.id, { interviewDates: [inDays(30)], panel: [chair, member], title: 'Deputy' });
    const agent = await signIn(app, chair.email, testPassword);

    const fromPanel = `/rounds/${round.id}/panel/${member.id}/remove`;
    expect(dialogOf((await agent.get(`/rounds/${round.id}`).expect(200)).text, fromPanel)).to.include(
      'Remove Governor Greta from the panel of “Deputy”?',
    );
    let _csrf = await csrfOf(agent, `/rounds/${round.id}`);
    const panelAsked = confirmationPage((await agent.post(fromPanel).type('form').send({ _csrf }).expect(200)).text);
    expect(panelAsked.question).to.equal('Remove Governor Greta from the panel of “Deputy”?');
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.panel.map(String)).to.include(member.id);

    const fromBoard = `/boards/${own.id}/members/${member.id}/remove`;
    expect(dialogOf((await agent.get(`/boards/${own.id}`).expect(200)).text, fromBoard)).to.include(
      'Remove Governor Greta from the board “Meadow Board”?',
    );
    _csrf = await csrfOf(agent, `/boards/${own.id}`);
    const boardAsked = confirmationPage((await agent.post(fromBoard).type('form').send({ _csrf }).expect(200)).text);
    expect(boardAsked).to.deep.include({
      question: 'Remove Governor Greta from the board “Meadow Board”?',
      yes: 'Yes, remove her',
    });
    expect(boardAsked.consequences.join(' ')).to.include('She stays on the panel of an open round');
    expect((await BoardModel.findById(own.id).lean())!.members.map((m) => String(m.userId))).to.include(member.id);

    await agent.post(fromBoard).type('form').send(boardAsked.fields).expect(303);
    expect((await BoardModel.findById(own.id).lean())!.members.map((m) => String(m.userId))).to.not.include(member.id);
    await agent.post(fromPanel).type('form').send(panelAsked.fields).expect(303);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.panel.map(String)).to.deep.equal([chair.id]);
  });

  it('shows every interview day of a round in its own field; saving the page keeps them, and keeps a day added meanwhile that the page did not show', async () => {
    const round = await buildRound(board.id, {
      interviewDates: [inDays(20), inDays(21), inDays(22)],
      panel: [chair],
      title: 'Three days',
    });
    const agent = await signIn(app, chair.email, testPassword);
    const page = await agent.get(`/rounds/${round.id}`).expect(200);
    const fields = formFields(page.text, `/rounds/${round.id}`);
    expect([fields.interviewDate, fields.secondInterviewDate, fields.thirdInterviewDate]).to.deep.equal([
      inDays(20),
      inDays(21),
      inDays(22),
    ]);
    expect([fields.fourthInterviewDate, fields.fifthInterviewDate]).to.deep.equal(['', '']);
    expect(page.text).to.include('Third interview day (optional)');

    await agent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({ ...fields, title: 'Only the title changed' })
      .expect(303);
    let stored = (await RecruitmentRoundModel.findById(round.id).lean())!;
    expect(stored.title).to.equal('Only the title changed');
    expect(stored.interviewDates).to.deep.equal([inDays(20), inDays(21), inDays(22)]);

    // The page is open while someone adds a day through the API: her save changes what she saw, not that day.
    const stale = formFields((await agent.get(`/rounds/${round.id}`).expect(200)).text, `/rounds/${round.id}`);
    await supertest(app)
      .patch(`/api/v1/rounds/${round.id}`)
      .set('Authorization', `Bearer ${await tokenFor(chair)}`)
      .send({ interviewDates: [inDays(20), inDays(21), inDays(22), inDays(25)] })
      .expect(200);
    await agent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({ ...stale, secondInterviewDate: '', thirdInterviewDate: inDays(23), fifthInterviewDate: inDays(24) })
      .expect(303);
    stored = (await RecruitmentRoundModel.findById(round.id).lean())!;
    expect(stored.interviewDates).to.deep.equal([inDays(20), inDays(23), inDays(24), inDays(25)]);
    const after = await agent.get(`/rounds/${round.id}`).expect(200);
    // The countdown is to the first interview day, the training deadline.
    expect(after.text).to.include('20 days left');
    const shown = formFields(after.text, `/rounds/${round.id}`);
    expect([
      shown.interviewDate,
      shown.secondInterviewDate,
      shown.thirdInterviewDate,
      shown.fourthInterviewDate,
      shown.fifthInterviewDate,
    ]).to.deep.equal([inDays(20), inDays(23), inDays(24), inDays(25), '']);
  });

  it('a round with more interview days than the page has fields (six, through the API) keeps the days the page does not show when saved there', async () => {
    const six = [20, 21, 22, 23, 24, 26].map(inDays);
    const round = await buildRound(board.id, { interviewDates: six, panel: [chair] });
    const agent = await signIn(app, chair.email, testPassword);
    const page = await agent.get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.include('This round has 6 interview days');
    const fields = formFields(page.text, `/rounds/${round.id}`);
    await agent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({ ...fields, interviewDate: inDays(19) })
      .expect(303);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.interviewDates).to.deep.equal(
      [19, 21, 22, 23, 24, 26].map(inDays),
    );
  });

  it('after a 422 the round’s date form shows exactly what she sent, the fields she cleared left blank', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(30), inDays(31)], panel: [chair] });
    await RecruitmentRoundModel.updateOne(
      { _id: round.id },
      { $set: { closingDate: inDays(10), shortlistingDate: inDays(20) } },
    );
    const agent = await signIn(app, chair.email, testPassword);
    const fields = formFields((await agent.get(`/rounds/${round.id}`).expect(200)).text, `/rounds/${round.id}`);
    expect(fields).to.include({ closingDate: inDays(10), secondInterviewDate: inDays(31) });
    const bad = await agent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({ ...fields, title: 'Typed again', closingDate: '', secondInterviewDate: '', interviewDate: inDays(15) })
      .expect(422);
    expect(bad.text).to.include('must not be before the shortlisting date');
    const resent = formFields(bad.text, `/rounds/${round.id}`);
    expect(resent).to.include({
      title: 'Typed again',
      closingDate: '',
      shortlistingDate: inDays(20),
      interviewDate: inDays(15),
      secondInterviewDate: '',
    });
    const stored = (await RecruitmentRoundModel.findById(round.id).lean())!;
    expect(stored).to.include({ closingDate: inDays(10), title: 'Headteacher' });
    expect(stored.interviewDates).to.deep.equal([inDays(30), inDays(31)]);
  });

  it('a date refused on the round page is said at the field it was typed in, which the summary links to', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(30), inDays(31)], panel: [chair] });
    const agent = await signIn(app, chair.email, testPassword);
    const fields = formFields((await agent.get(`/rounds/${round.id}`).expect(200)).text, `/rounds/${round.id}`);
    const send = (change: Record<string, string>) =>
      agent
        .post(`/rounds/${round.id}`)
        .type('form')
        .send({ ...fields, ...change })
        .expect(422);
    const first = await send({ interviewDate: '2027-02-30' });
    expect(errorSummaryOf(first.text).targets).to.deep.equal(['field-interviewDate']);
    expect(first.text).to.match(/id="field-interviewDate"[^>]*aria-invalid="true"/);
    // The second day typed, in the third field (the second left blank), is that field's error.
    const third = await send({ secondInterviewDate: '', thirdInterviewDate: '2027-02-31' });
    expect(errorSummaryOf(third.text).targets).to.deep.equal(['field-thirdInterviewDate']);
    expect(third.text).to.match(/id="field-thirdInterviewDate"[^>]*aria-invalid="true"/);
  });

  it('a day gone by typed on the round page is said at its field even when a colleague added a day meanwhile', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair] });
    const agent = await signIn(app, chair.email, testPassword);
    const fields = formFields((await agent.get(`/rounds/${round.id}`).expect(200)).text, `/rounds/${round.id}`);
    await supertest(app)
      .patch(`/api/v1/rounds/${round.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(clerk)}` })
      .send({ interviewDates: [inDays(30), inDays(40)] })
      .expect(200);
    const refused = await agent
      .post(`/rounds/${round.id}`)
      .type('form')
      .send({ ...fields, interviewDate: inDays(-5), secondInterviewDate: inDays(35) })
      .expect(422);
    expect(errorSummaryOf(refused.text).targets).to.deep.equal(['field-interviewDate']);
    expect(refused.text).to.match(/id="field-interviewDate"[^>]*aria-invalid="true"/);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.interviewDates).to.deep.equal([
      inDays(30),
      inDays(40),
    ]);
  });

  it('a board member the panel refuses is said at the "Board member" select, and an account the board refuses at the email typed', async () => {
    const leaving = await buildUser({ roles: ['governor'], name: 'Leaving Lena' });
    const withLena = await buildBoard([
      { user: chair, role: 'chair' },
      { user: leaving, role: 'governor' },
    ]);
    const lenaRound = await buildRound(withLena.id, { interviewDates: [inDays(30)], panel: [chair] });
    const agent = await signIn(app, chair.email, testPassword);
    const csrf = await csrfOf(agent, `/rounds/${lenaRound.id}`);
    await UserModel.updateOne({ _id: leaving.id }, { $set: { status: 'disabled' } });
    const refused = await agent
      .post(`/rounds/${lenaRound.id}/panel`)
      .type('form')
      .send({ _csrf: csrf, userId: leaving.id })
      .expect(422);
    expect(errorSummaryOf(refused.text).targets).to.deep.equal(['field-userId']);
    expect(refused.text).to.match(
      /<select id="field-userId" name="userId" aria-invalid="true" aria-describedby="field-userId-error">/,
    );
    expect(refused.text).to.include('id="field-userId-error"');
    const researcher = await buildUser({ roles: ['researcher'] });
    const boardPage = await agent
      .post(`/boards/${board.id}/members`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/boards/${board.id}`), email: researcher.email, role: 'governor' })
      .expect(422);
    expect(errorSummaryOf(boardPage.text).targets).to.deep.equal(['field-email']);
    expect(boardPage.text).to.match(/id="field-email"[^>]*aria-invalid="true"/);
  });

  it('adds an adviser from outside the board: a governor account, invited by email, on the panel', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair] });
    const agent = await signIn(app, chair.email, testPassword);
    const email = `adviser-${Date.now()}@example.org`;
    await agent
      .post(`/rounds/${round.id}/panel/adviser`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/rounds/${round.id}`), name: 'Ada Adviser', email })
      .expect(303);
    const adviser = (await UserModel.findOne({ email }).lean())!;
    expect(adviser).to.include({ status: 'invited' });
    expect(adviser.roles).to.deep.equal(['governor']);
    expect(await OutboxMessageModel.countDocuments({ to: email })).to.equal(1);
    // Her first email from Pathways says why, and what she must do before when (the board's day, its zone named).
    const invitation = (await OutboxMessageModel.findOne({ to: email }).lean())!;
    const day = DateTime.fromISO(inDays(30)).toFormat('d LLLL yyyy');
    const boardName = (await BoardModel.findById(board.id).lean())!.name;
    for (const body of [invitation.text, invitation.html])
      expect(body)
        .to.include(`You are on the interview panel for \u2068Headteacher\u2069 (\u2068${boardName}\u2069)`)
        .and.include(`The interview is on ${day} (Europe/London)`)
        .and.include('complete the unconscious-bias training');
    const page = await agent.get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.include('Ada Adviser');
    expect(page.text).to.include('External (adviser)');
    expect((await BoardModel.findById(board.id).lean())!.members.map((m) => String(m.userId))).to.not.include(
      String(adviser._id),
    );
    // Her account is audited as made by the chair who seated her.
    const made = await AuditEventModel.find({ action: 'user-created', targetId: String(adviser._id) }).lean();
    expect(made.map((e) => String(e.actorId))).to.deep.equal([chair.id]);
  });

  it('when an adviser cannot join the panel (the round is closed, or its panel is full), no account is made and no invitation sent', async () => {
    const agent = await signIn(app, chair.email, testPassword);
    const closed = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair] });
    await RecruitmentRoundModel.updateOne({ _id: closed.id }, { $set: { status: 'closed', closedAt: new Date() } });
    const late = `adviser-late-${Date.now()}@example.org`;
    const refused = await agent
      .post(`/rounds/${closed.id}/panel/adviser`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/rounds/${closed.id}`), name: 'Lara Late', email: late })
      .expect(303);
    expect((await agent.get(refused.headers.location!).expect(200)).text).to.include('This round is closed');
    expect(await UserModel.countDocuments({ email: late })).to.equal(0);
    expect(await OutboxMessageModel.countDocuments({ to: late })).to.equal(0);

    const full = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair] });
    const others = Array.from({ length: 19 }, () => new Types.ObjectId());
    await RecruitmentRoundModel.updateOne({ _id: full.id }, { $push: { panel: { $each: others } } });
    const extra = `adviser-extra-${Date.now()}@example.org`;
    const page = await agent
      .post(`/rounds/${full.id}/panel/adviser`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/rounds/${full.id}`), name: 'Erin Extra', email: extra })
      .expect(422);
    expect(page.text).to.include('A panel has at most 20 people.');
    expect(page.text).to.include(extra);
    expect(await UserModel.countDocuments({ email: extra })).to.equal(0);
    expect(await OutboxMessageModel.countDocuments({ to: extra })).to.equal(0);
    expect((await RecruitmentRoundModel.findById(full.id).lean())!.panel).to.have.length(20);
  });

  it('lets the clerk record safer-recruitment training for a member; a governor recording it for someone else is answered as for an unknown person (404, web and API) and nothing is recorded', async () => {
    const clerkAgent = await signIn(app, clerk.email, testPassword);
    await clerkAgent
      .post(`/boards/${board.id}/external-certificates`)
      .field('_csrf', await csrfOf(clerkAgent, `/boards/${board.id}`))
      .field('userId', governor.id)
      .field('provider', 'Safer Recruitment Consortium')
      .field('completedOn', '2025-09-01')
      .expect(303);
    expect(
      await ExternalCertificateModel.countDocuments({
        userId: governor.id,
        recordedBy: clerk.id,
        expiresOn: '2028-09-01',
      }),
    ).to.equal(1);
    const govAgent = await signIn(app, governor.email, testPassword);
    const csrf = await csrfOf(govAgent, `/boards/${board.id}`);
    const viaForm = (userId: string) =>
      govAgent
        .post(`/boards/${board.id}/external-certificates`)
        .field('_csrf', csrf)
        .field('userId', userId)
        .field('provider', 'Made up')
        .field('completedOn', '2025-09-01');
    const withoutTokens = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, '');
    const unknownPage = await viaForm(String(new Types.ObjectId())).expect(404);
    const refusedPage = await viaForm(chair.id).expect(404);
    expect(withoutTokens(refusedPage.text)).to.equal(withoutTokens(unknownPage.text));
    const auth = { Authorization: `Bearer ${await tokenFor(governor)}` };
    const viaApi = (userId: string) =>
      supertest(app)
        .post('/api/v1/external-certificates')
        .set(auth)
        .send({ userId, provider: 'Made up', completedOn: '2025-09-01' });
    const unknown = await viaApi(String(new Types.ObjectId())).expect(404);
    const refused = await viaApi(chair.id).expect(404);
    expect(refused.body).to.deep.equal(unknown.body);
    expect(await ExternalCertificateModel.countDocuments({ provider: 'Made up' })).to.equal(0);
  });

  it('re-renders the training form (422) for a file that is not a PDF or image, keeping what was typed', async () => {
    const agent = await signIn(app, governor.email, testPassword);
    const res = await agent
      .post('/training/safer-recruitment')
      .field('_csrf', await csrfOf(agent, '/training/safer-recruitment'))
      .field('provider', 'Typed Provider')
      .field('completedOn', '2025-01-01')
      .attach('file', Buffer.from('MZ...'), { filename: 'x.exe', contentType: 'application/x-msdownload' })
      .expect(422);
    expect(res.text).to.include('Typed Provider');
    expect(res.text).to.include('must be a PDF, PNG or JPEG file');
    // What the file is decides, not the type the browser names: a program sent as application/pdf is refused.
    const disguised = await agent
      .post('/training/safer-recruitment')
      .field('_csrf', await csrfOf(agent, '/training/safer-recruitment'))
      .field('provider', 'Disguised Provider')
      .field('completedOn', '2025-01-01')
      .attach('file', Buffer.from('MZ\x90\x00 program'), { filename: 'evil.exe', contentType: 'application/pdf' })
      .expect(422);
    expect(disguised.text).to.include('must be a PDF, PNG or JPEG file');
    expect(await ExternalCertificateModel.countDocuments({ provider: 'Disguised Provider' })).to.equal(0);
    // A real PNG named .exe and sent as a PDF is kept as the PNG it is, under a name that says so.
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('image')]);
    await agent
      .post('/training/safer-recruitment')
      .field('_csrf', await csrfOf(agent, '/training/safer-recruitment'))
      .field('provider', 'Picture Provider')
      .field('completedOn', '2025-01-01')
      .attach('file', png, { filename: 'scan.exe', contentType: 'application/pdf' })
      .expect(303);
    const saved = (await ExternalCertificateModel.findOne({ provider: 'Picture Provider' }).lean())!;
    const file = await agent.get(`/external-certificates/${String(saved._id)}/file`).expect(200);
    expect(file.headers['content-type']).to.match(/^image\/png/);
    expect(String(file.headers['content-disposition'])).to.include('scan.png').and.not.include('.exe');
  });

  it('refuses an empty file she chose (0 bytes) at the file field, keeping what was typed, rather than recording the certificate without it; no file chosen records it', async () => {
    const agent = await signIn(app, governor.email, testPassword);
    const res = await agent
      .post('/training/safer-recruitment')
      .field('_csrf', await csrfOf(agent, '/training/safer-recruitment'))
      .field('provider', 'Empty File Provider')
      .field('completedOn', '2025-01-01')
      .attach('file', Buffer.alloc(0), { filename: 'certificate.pdf', contentType: 'application/pdf' })
      .expect(422);
    expect(res.text).to.include('Empty File Provider').and.include('field-file-error').and.include('is empty');
    expect(await ExternalCertificateModel.countDocuments({ provider: 'Empty File Provider' })).to.equal(0);
    // The file field left empty (the browser sends a part with no name and no bytes): recorded, without a file.
    await agent
      .post('/training/safer-recruitment')
      .field('_csrf', await csrfOf(agent, '/training/safer-recruitment'))
      .field('provider', 'No File Provider')
      .field('completedOn', '2025-01-01')
      .attach('file', Buffer.alloc(0), { filename: '', contentType: 'application/octet-stream' })
      .expect(303);
    const saved = await ExternalCertificateModel.findOne({ provider: 'No File Provider' }).lean();
    expect(saved).to.include({ hasFile: false });
  });

  it('a file too large to read is refused at the file field of the form, signed in, her other answers kept; a wrong date beside it is said too', async () => {
    const agent = await signIn(app, governor.email, testPassword);
    const tooLarge = () => ({ buffer: Buffer.alloc(externalCertificateMaxBytes + 1, 1), name: 'scan.pdf' });
    const res = await agent
      .post('/training/safer-recruitment')
      .field('_csrf', await csrfOf(agent, '/training/safer-recruitment'))
      .field('provider', 'Diocesan training, Ward 4')
      .field('completedOn', '2025-09-01')
      .attach('file', tooLarge().buffer, { filename: tooLarge().name, contentType: 'application/pdf' })
      .expect(422);
    expect(res.text).to.include('value="Diocesan training, Ward 4"').and.include('value="2025-09-01"');
    expect(res.text).to.match(
      /id="field-file-error"[^>]*><span class="visually-hidden">Error:<\/span> must be at most 2 MB/,
    );
    expect(errorSummaryOf(res.text).targets).to.deep.equal(['field-file']);
    expect(errorSummaryOf(res.text).text).to.include('must be at most 2 MB');
    expect(res.text).to.include('Sign out').and.not.include('Go to the home page or sign in');
    const both = await agent
      .post('/training/safer-recruitment')
      .field('_csrf', await csrfOf(agent, '/training/safer-recruitment'))
      .field('provider', 'Diocesan training, Ward 4')
      .field('completedOn', '2025-02-30')
      .attach('file', tooLarge().buffer, { filename: tooLarge().name, contentType: 'application/pdf' })
      .expect(422);
    expect(errorSummaryOf(both.text).targets).to.deep.equal(['field-completedOn', 'field-file']);
    expect(await ExternalCertificateModel.countDocuments({ provider: 'Diocesan training, Ward 4' })).to.equal(0);
  });

  it('lets a chair who signed the Pledge for her organisation link it to the board', async () => {
    const signature = await PledgeSignatureModel.create({
      kind: 'organisation',
      name: 'Test Governors',
      nameKey: 'test governors',
      email: chair.email,
      region: 'North',
      country: 'GB',
      listed: true,
      signKey: `k-${Date.now()}`,
      status: 'confirmed',
      confirmedAt: new Date(),
    });
    const agent = await signIn(app, chair.email, testPassword);
    const page = await agent.get(`/boards/${board.id}`).expect(200);
    expect(page.text).to.include('Link this board to the signature');
    await agent
      .post(`/boards/${board.id}/pledge`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/boards/${board.id}`), signatureId: String(signature._id), show: 'yes' })
      .expect(303);
    expect((await PledgeSignatureModel.findById(signature._id).lean())!).to.deep.include({ showRoundReadiness: true });
    expect(String((await PledgeSignatureModel.findById(signature._id).lean())!.boardId)).to.equal(board.id);
  });
});
