import { expect } from 'chai';
import { DateTime } from 'luxon';
import supertest from 'supertest';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { CompletionModel } from '../../models/Completion.ts';
import { ModuleModel } from '../../models/Module.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { UserModel } from '../../models/User.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { ConflictError, ValidationError } from '../../server/errors.ts';
import {
  addAdviserToPanel,
  addToPanel,
  changeRound,
  closeRound,
  enrolPanelLackingTraining,
  removeFromPanel,
  roundOverview,
} from '../../server/services/boards/rounds.ts';
import { completeModule } from '../../server/services/learning/completion.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { csrfFrom, testApp, signIn } from '../support/app.ts';
import { holdNextCall } from '../support/heldCall.ts';
import {
  asActor,
  buildBoard,
  buildGoverningProgramme,
  buildRound,
  giveCertificate,
  onlyPanelTraining,
} from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { binaryBody, pdfAccessibility, pdfText, pdfXmp } from '../support/pdf.ts';
import { ExternalCertificateModel } from '../../models/ExternalCertificate.ts';

const inDays = (days: number) => DateTime.now().setZone('Europe/London').plus({ days }).toISODate()!;

describe('boards: recruitment rounds and their readiness (API and pages)', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let chair: TestUser;
  let govA: TestUser;
  let govB: TestUser;
  let govC: TestUser;
  let board: { id: string };
  let chairToken: string;

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    [chair, govA, govB, govC] = (await Promise.all([1, 2, 3, 4].map(() => buildUser({ roles: ['governor'] })))) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ];
    board = await buildBoard([
      { user: chair!, role: 'chair' },
      { user: govA!, role: 'governor' },
      { user: govB!, role: 'governor' },
      { user: govC!, role: 'governor' },
    ]);
    chairToken = await tokenFor(chair!);
    await buildGoverningProgramme(2);
  });

  const api = (token: string) => ({
    get: (path: string) => supertest(app).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body: object) =>
      supertest(app).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) =>
      supertest(app).patch(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
  });

  it('lets an admin create a board and add a chair, who then creates a round with a panel (201)', async () => {
    const adminToken = await tokenFor(admin);
    const created = await api(adminToken)
      .post('/boards', { name: 'Oakfield Governors', organisation: 'Oakfield Primary' })
      .expect(201);
    expect(created.body).to.include({ name: 'Oakfield Governors', timezone: 'Europe/London' });
    await api(adminToken).post(`/boards/${created.body.id}/members`, { userId: chair.id, role: 'chair' }).expect(201);
    const round = await api(chairToken)
      .post(`/boards/${created.body.id}/rounds`, {
        title: 'Headteacher 2027',
        interviewDate: inDays(21),
        panel: [chair.id],
      })
      .expect(201);
    expect(round.body).to.include({ title: 'Headteacher 2027', interviewDate: inDays(21), status: 'open' });
    expect(round.body.panel).to.deep.equal([chair.id]);
    expect(round.body).to.not.have.property('_id');
  });

  it('answers 422 for unknown fields, bad dates and panel members who are not board members or governors', async () => {
    await api(chairToken)
      .post(`/boards/${board.id}/rounds`, { title: 'X', interviewDate: '2027-02-30', panel: [] })
      .expect(422);
    await api(chairToken)
      .post(`/boards/${board.id}/rounds`, { title: 'X', interviewDate: inDays(10), panel: [], extra: 1 })
      .expect(422);
    const participant = await buildUser({ roles: ['participant'] });
    const res = await api(chairToken)
      .post(`/boards/${board.id}/rounds`, { title: 'X', interviewDate: inDays(10), panel: [participant.id] })
      .expect(422);
    expect(res.body.errors[0].path).to.equal('panel.0');
    expect(await RecruitmentRoundModel.countDocuments({ title: 'X' })).to.equal(0);
  });

  it('an interview day before the closing date (no shortlisting date given) is refused at its field (422), on creation and on change', async () => {
    const res = await api(chairToken)
      .post(`/boards/${board.id}/rounds`, {
        title: 'Typo round',
        closingDate: inDays(40),
        interviewDate: inDays(10),
        panel: [],
      })
      .expect(422);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    // Said at the field the request sent: it named no "interviewDates".
    expect(res.body.errors).to.deep.equal([{ path: 'interviewDate', message: 'must not be before the closing date' }]);
    expect(await RecruitmentRoundModel.countDocuments({ title: 'Typo round' })).to.equal(0);
    const round = await buildRound(board.id, { title: 'Kept', interviewDates: [inDays(20)], panel: [govA] });
    await api(chairToken)
      .patch(`/rounds/${round.id}`, { closingDate: inDays(25) })
      .expect(422);
    expect((await RecruitmentRoundModel.findById(round.id).lean())!.closingDate).to.equal(undefined);
    await api(chairToken)
      .patch(`/rounds/${round.id}`, { closingDate: inDays(20) })
      .expect(200);
  });

  it('an interview day gone by in the board’s zone is refused at its field (a year typed wrong); a day the round had already may stay, and the round may still change', async () => {
    const sydney = await buildBoard([{ user: chair, role: 'chair' }], { timezone: 'Australia/Sydney' });
    const res = await api(chairToken)
      .post(`/boards/${board.id}/rounds`, { title: 'Wrong year', interviewDate: inDays(-365), panel: [] })
      .expect(422);
    expect(res.body.errors).to.deep.equal([
      { path: 'interviewDate', message: 'must be today or later in the board’s time zone: that day has gone by' },
    ]);
    // Sent beside a list of days, it is still said at its own field, not at the place it takes in the list.
    const beside = await api(chairToken)
      .post(`/boards/${board.id}/rounds`, {
        title: 'Wrong year',
        interviewDates: [inDays(10)],
        interviewDate: inDays(-365),
        panel: [],
      })
      .expect(422);
    expect(beside.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['interviewDate']);
    // "Today" is the board's: at this moment Sydney's day may be London's tomorrow, never its yesterday.
    const sydneyToday = DateTime.now().setZone('Australia/Sydney').toISODate()!;
    await api(chairToken)
      .post(`/boards/${sydney.id}/rounds`, { title: 'Sydney today', interviewDate: sydneyToday, panel: [] })
      .expect(201);
    const sydneyYesterday = DateTime.now().setZone('Australia/Sydney').minus({ days: 1 }).toISODate()!;
    await api(chairToken)
      .post(`/boards/${sydney.id}/rounds`, { title: 'Sydney yesterday', interviewDate: sydneyYesterday, panel: [] })
      .expect(422);
    expect(await RecruitmentRoundModel.countDocuments({ title: { $in: ['Wrong year', 'Sydney yesterday'] } })).to.equal(
      0,
    );
    // A round whose interview has been keeps that day through a change, and refuses a new day gone by.
    const held = await buildRound(board.id, { title: 'Held', interviewDates: [inDays(-2)], panel: [govA] });
    await api(chairToken).patch(`/rounds/${held.id}`, { title: 'Held, corrected' }).expect(200);
    const added = await api(chairToken)
      .patch(`/rounds/${held.id}`, { interviewDates: [inDays(-2), inDays(-1)] })
      .expect(422);
    expect(added.body.errors).to.deep.equal([
      { path: 'interviewDates.1', message: 'must be today or later in the board’s time zone: that day has gone by' },
    ]);
    expect((await RecruitmentRoundModel.findById(held.id).lean())!).to.deep.include({
      title: 'Held, corrected',
      interviewDates: [inDays(-2)],
    });
  });

  it('when a PATCH names a new title and a panel member who may not sit, it answers 422 and changes nothing', async () => {
    const round = await buildRound(board.id, { title: 'Before', interviewDates: [inDays(14)], panel: [govA] });
    const participant = await buildUser({ roles: ['participant'] });
    const res = await api(chairToken)
      .patch(`/rounds/${round.id}`, { title: 'After', closingDate: inDays(2), panel: [govA.id, participant.id] })
      .expect(422);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expect(res.body.errors[0].path).to.equal('panel.1');
    const after = (await RecruitmentRoundModel.findById(round.id).lean())!;
    expect(after.title).to.equal('Before');
    expect(after.closingDate).to.equal(undefined);
    expect(after.panel.map(String)).to.deep.equal([govA.id]);
  });

  it('reports each status: valid, expires-before-interview, in-progress (percent) and not-started', async () => {
    const [valid, lapsing, learning, idle] = await Promise.all(
      [1, 2, 3, 4].map(() => buildUser({ roles: ['governor'] })),
    );
    const interview = inDays(30);
    await giveCertificate(valid!.id, {
      issuedAt: new Date(Date.now() - 86_400_000),
      expiresAt: new Date(Date.now() + 400 * 86_400_000),
    });
    await giveCertificate(lapsing!.id, {
      issuedAt: new Date(Date.now() - 1000 * 86_400_000),
      expiresAt: new Date(Date.now() + 10 * 86_400_000),
    });
    const programme = await buildGoverningProgramme(4);
    const cohort = await buildCohortFor(programme.id);
    await EnrolmentModel.create({
      userId: learning!.id,
      cohortId: cohort,
      programmeId: programme.id,
      status: 'active',
      enrolledAt: new Date(),
    });
    await EnrolmentModel.create({
      userId: idle!.id,
      cohortId: cohort,
      programmeId: programme.id,
      status: 'active',
      enrolledAt: new Date(),
    });
    // The lapsing member has begun renewing: she still holds a certificate that lapses, so she must renew by a date.
    await EnrolmentModel.create({
      userId: lapsing!.id,
      cohortId: cohort,
      programmeId: programme.id,
      status: 'active',
      enrolledAt: new Date(),
    });
    await completeModule({ actor: asActor(learning!), moduleId: programme.moduleIds[0]!, input: {}, now: new Date() });
    await completeModule({ actor: asActor(lapsing!), moduleId: programme.moduleIds[0]!, input: {}, now: new Date() });
    const round = await buildRound(board.id, {
      interviewDates: [interview],
      panel: [valid!, lapsing!, learning!, idle!],
    });
    const res = await api(chairToken).get(`/rounds/${round.id}/readiness`).expect(200);
    expect(res.body.ready).to.equal(false);
    expect(res.body.interviewDate).to.equal(interview);
    const byUser = new Map(res.body.members.map((m: { userId: string }) => [m.userId, m]));
    expect(byUser.get(valid!.id)).to.include({ status: 'valid', percent: 100 });
    expect(byUser.get(valid!.id)).to.have.property('certificateExpiresAt');
    expect(byUser.get(lapsing!.id)).to.include({ status: 'expires-before-interview', percent: 25 });
    const renewing = byUser.get(lapsing!.id) as { renewBy: string; certificateExpiresAt: string };
    expect(renewing.renewBy).to.equal(renewing.certificateExpiresAt);
    expect(byUser.get(learning!.id)).to.include({ status: 'in-progress', percent: 25 });
    expect(byUser.get(idle!.id)).to.deep.equal({ userId: idle!.id, status: 'not-started', percent: 0 });
  });

  it('shows a certificate’s issue and expiry in the reader’s zone, named, on the round and in its record: 23:30 in London is the next day in Dubai', async () => {
    const holder = await buildUser({ roles: ['governor'], name: 'Grace Holder' });
    const london = (days: number) =>
      DateTime.fromISO(inDays(days), { zone: 'Europe/London' }).set({ hour: 23, minute: 30 });
    const issuedAt = london(-5).toJSDate();
    const expiresAt = london(60).toJSDate();
    await giveCertificate(holder.id, { issuedAt, expiresAt });
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [holder] });
    const reader = await buildUser({ roles: ['governor'], timezone: 'Asia/Dubai' });
    await api(await tokenFor(admin))
      .post(`/boards/${board.id}/members`, { userId: reader.id, role: 'clerk' })
      .expect(201);
    const clerk = await signIn(app, reader.email, testPassword);
    const inDubai = (d: Date) => DateTime.fromJSDate(d, { zone: 'Asia/Dubai' });
    const shown = (d: Date) =>
      `${inDubai(d).toFormat('cccc d LLLL yyyy')}, ${inDubai(d).toFormat('HH:mm')} GMT+4 (Asia/Dubai)`;
    const page = await clerk.get(`/rounds/${round.id}`).expect(200);
    const row = page.text.slice(page.text.indexOf('Grace Holder'));
    expect(row).to.include(`<td>${shown(expiresAt)}</td>`);
    // London's date of it, a day before Dubai's, is not shown bare.
    expect(page.text).to.not.include(`<td>${london(60).toFormat('d LLLL yyyy')}</td>`);

    await api(chairToken).post(`/rounds/${round.id}/close`, {}).expect(200);
    const csv = await clerk.get(`/rounds/${round.id}/record.csv`).expect(200);
    expect(csv.text).to.include(`"${shown(issuedAt)}","${shown(expiresAt)}"`);
    expect(csv.text).to.include('Interview date (Europe/London)');
    const pdf = await clerk.get(`/rounds/${round.id}/record.pdf`).buffer(true).parse(binaryBody).expect(200);
    const text = (await pdfText(pdf.body as Buffer)).replace(/\s+/g, ' ');
    expect(text).to.include(`issued ${shown(issuedAt)}, expires ${shown(expiresAt)}`);
  });

  it('tells a member whose certificate lapses before the interview to renew, with the date in the reader’s zone, on the board and in the closed round’s record (CSV and PDF, its closing time too)', async () => {
    const lapsing = await buildUser({ roles: ['governor'], name: 'Łucja Nguyễn' });
    const lapsesAt = DateTime.fromISO(inDays(10), { zone: 'Europe/London' }).set({ hour: 12 }).toJSDate();
    await giveCertificate(lapsing.id, { issuedAt: new Date(Date.now() - 1000 * 86_400_000), expiresAt: lapsesAt });
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [lapsing] });
    const inNewYork = DateTime.fromJSDate(lapsesAt, { zone: 'America/New_York' });
    const reader = await buildUser({ roles: ['governor'], timezone: 'America/New_York' });
    await api(await tokenFor(admin))
      .post(`/boards/${board.id}/members`, { userId: reader.id, role: 'clerk' })
      .expect(201);
    const clerk = await signIn(app, reader.email, testPassword);
    const page = await clerk.get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.include(`Renew by ${inNewYork.toFormat('cccc d LLLL yyyy')}, ${inNewYork.toFormat('HH:mm')}`);
    expect(page.text).to.include('(America/New_York)');
    const own = await (await signIn(app, lapsing.email, testPassword)).get(`/rounds/${round.id}`).expect(200);
    expect(own.text).to.include('Renew your training by');
    expect(own.text).to.include('(Europe/London)');
    // Her dashboard gives the moment it lapses in her zone, as the reminder email does (not a bare date that can be a
    // day off the certificate's own near midnight).
    const inLondon = DateTime.fromJSDate(lapsesAt, { zone: 'Europe/London' });
    const dashboard = await (await signIn(app, lapsing.email, testPassword)).get('/').expect(200);
    expect(dashboard.text).to.include(
      `certificate expires ${inLondon.toFormat('cccc d LLLL yyyy')}, ${inLondon.toFormat('HH:mm')}`,
    );
    expect(dashboard.text).to.match(/certificate expires [^<]*\(Europe\/London\)/);
    await api(chairToken).post(`/rounds/${round.id}/close`, {}).expect(200);
    const csv = await clerk.get(`/rounds/${round.id}/record.csv`).expect(200);
    expect(csv.text).to.include('Renew by');
    expect(csv.text).to.include(`${inNewYork.toFormat('d LLLL yyyy')}, ${inNewYork.toFormat('HH:mm')}`);
    expect(csv.text).to.include('(America/New_York)');
    const pdf = await clerk.get(`/rounds/${round.id}/record.pdf`).buffer(true).parse(binaryBody).expect(200);
    const text = await pdfText(pdf.body as Buffer);
    expect(text).to.include(`Renew by ${inNewYork.toFormat('cccc d LLLL yyyy')}, ${inNewYork.toFormat('HH:mm')} `);
    expect(text).to.match(/Renew by .* \(America\/New_York\)/);
    // The board works in Europe/London; the closing time is still shown in the reader's zone.
    expect(text).to.match(/Closed: \w+ \d+ \w+ \d{4}, \d\d:\d\d \S+ \(America\/New_York\)/);
    // Her name as it is spelt: the record's font has her letters (Helvetica printed "Nguy" and junk).
    expect(text).to.match(/^Łucja Nguyễn \(/m);
    // Tagged for screen readers: the record's heading, then a heading per panel member, everything drawn in the structure.
    const read = await pdfAccessibility(pdf.body as Buffer);
    expect(read).to.include({ tagged: true, language: 'en-GB', showsTitle: true, unmarked: 0 });
    expect(read.structure[0]).to.deep.equal({ role: 'H1', text: 'Interview panel readiness record' });
    expect(read.structure.filter((element) => element.role === 'H2').map((element) => element.text)).to.deep.equal([
      text.split('\n').find((printed) => printed.startsWith('Łucja Nguyễn (')),
    ]);
  });

  it('recomputes at once when the panel changes', async () => {
    const trained = await buildUser({ roles: ['governor'] });
    const untrained = await buildUser({ roles: ['governor'] });
    await giveCertificate(trained.id, { issuedAt: new Date(Date.now() - 86_400_000), expiresAt: null });
    const round = await buildRound(board.id, { interviewDates: [inDays(14)], panel: [trained, untrained] });
    expect((await api(chairToken).get(`/rounds/${round.id}/readiness`)).body.ready).to.equal(false);
    await api(chairToken)
      .patch(`/rounds/${round.id}`, { panel: [trained.id] })
      .expect(200);
    const after = await api(chairToken).get(`/rounds/${round.id}/readiness`).expect(200);
    expect(after.body.ready).to.equal(true);
    expect(after.body.members).to.have.length(1);
  });

  it('when two people change one round at the same moment, neither change is lost', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(14)], panel: [govA] });
    const [one, two] = await Promise.all([1, 2].map(() => buildUser({ roles: ['governor'] })));
    // Two panel additions (say the chair and an admin, on two processes) ...
    await Promise.all([
      addToPanel({ actor: asActor(chair), roundId: round.id, userId: one!.id }),
      addToPanel({ actor: asActor(admin), roundId: round.id, userId: two!.id }),
    ]);
    const panelOf = async () => (await RecruitmentRoundModel.findById(round.id).lean())!.panel.map(String);
    expect(await panelOf()).to.have.members([govA.id, one!.id, two!.id]);
    // ... an addition and a removal ...
    await Promise.all([
      addToPanel({ actor: asActor(chair), roundId: round.id, userId: govB.id }),
      removeFromPanel({ actor: asActor(admin), roundId: round.id, userId: govA.id }),
    ]);
    expect(await panelOf()).to.have.members([one!.id, two!.id, govB.id]);
    // ... and two PATCHes of different fields.
    await Promise.all([
      changeRound({ actor: asActor(chair), roundId: round.id, change: { title: 'Head of school' } }),
      changeRound({ actor: asActor(admin), roundId: round.id, change: { closingDate: inDays(3) } }),
    ]);
    const after = (await RecruitmentRoundModel.findById(round.id).lean())!;
    expect(after).to.include({ title: 'Head of school', closingDate: inDays(3) });
    expect(after.panel.map(String)).to.have.members([one!.id, two!.id, govB.id]);
  });

  it('when a round closes while a change of title and panel is on its way (another process), the change is a 409 and writes nothing', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(14)], panel: [govA] });
    // The change's write lands late, after the close.
    const held = holdNextCall(RecruitmentRoundModel, 'updateOne', {
      before: true,
      when: (args) => JSON.stringify(args[1]).includes('Late title'),
    });
    let outcome: unknown;
    try {
      const changing = changeRound({
        actor: asActor(chair),
        roundId: round.id,
        change: { title: 'Late title', panel: [govA.id, govB.id] },
      }).catch((error: unknown) => error);
      await held.reached;
      await closeRound({ actor: asActor(admin), roundId: round.id });
      held.release();
      outcome = await changing;
    } finally {
      held.release();
      held.restore();
    }
    expect(outcome).to.be.instanceOf(ConflictError);
    const closed = (await RecruitmentRoundModel.findById(round.id).lean())!;
    expect(closed.status).to.equal('closed');
    expect(closed.title).to.not.equal('Late title');
    expect(closed.panel.map(String)).to.deep.equal([govA.id]);
  });

  it('when two advisers are added at once for the last seat, one is seated and invited; the other gets no invitation until she has a seat', async () => {
    const others = await Promise.all(Array.from({ length: 19 }, () => buildUser({ roles: ['governor'] })));
    const round = await buildRound(board.id, { interviewDates: [inDays(14)], panel: others });
    const emails = [`adviser-a-${Date.now()}@example.org`, `adviser-b-${Date.now()}@example.org`];
    const results = await Promise.allSettled(
      emails.map((email, i) =>
        addAdviserToPanel({ actor: asActor(chair), roundId: round.id, email, name: `Adviser ${i}` }),
      ),
    );
    const seated = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(seated).to.have.length(1);
    expect(refused).to.have.length(1);
    expect((refused[0] as PromiseRejectedResult).reason).to.be.instanceOf(ValidationError);
    const accounts = await UserModel.find({ email: { $in: emails } }).lean();
    const invitedIds = (
      await NotificationModel.find({ kind: 'invitation', userId: { $in: accounts.map((a) => a._id) } }).lean()
    ).map((n) => String(n.userId));
    const panel = (await RecruitmentRoundModel.findById(round.id).lean())!.panel.map(String);
    const seatedId = accounts.find((a) => panel.includes(String(a._id)))!._id;
    expect(invitedIds).to.deep.equal([String(seatedId)]);
    // Once a seat is free, the one refused is seated and invited then.
    const refusedEmail =
      accounts.find((a) => String(a._id) !== String(seatedId))?.email ??
      emails.find((e) => !accounts.some((a) => a.email === e))!;
    await removeFromPanel({ actor: asActor(chair), roundId: round.id, userId: others[0]!.id });
    const person = await addAdviserToPanel({
      actor: asActor(chair),
      roundId: round.id,
      email: refusedEmail,
      name: 'Adviser again',
    });
    expect(person.invited).to.equal(true);
    expect(await NotificationModel.countDocuments({ kind: 'invitation', userId: person.id })).to.equal(1);
  });

  it('a seated adviser whose governor role an admin takes away stays on the panel, and the chair can still add others (web and API)', async () => {
    const adviser = await buildUser({ roles: ['governor'], name: 'Ada Adviser' });
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [chair, adviser] });
    await api(await tokenFor(admin))
      .patch(`/users/${adviser.id}`, { roles: ['participant'] })
      .expect(200);
    const agent = await signIn(app, chair.email, testPassword);
    const page = await agent.get(`/rounds/${round.id}`).expect(200);
    await agent
      .post(`/rounds/${round.id}/panel`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), userId: govA.id })
      .expect(303);
    const changed = await api(chairToken)
      .patch(`/rounds/${round.id}`, { panel: [chair.id, adviser.id, govA.id, govB.id] })
      .expect(200);
    expect(changed.body.panel).to.deep.equal([chair.id, adviser.id, govA.id, govB.id]);
  });

  it("an adviser invited by email to a Sydney board's panel gets an account in the board's zone (hers to change), not London's", async () => {
    const sydney = await buildBoard([{ user: chair, role: 'chair' }], { timezone: 'Australia/Sydney' });
    const round = await buildRound(sydney.id, { interviewDates: [inDays(30)], panel: [] });
    const person = await addAdviserToPanel({
      actor: asActor(chair),
      roundId: round.id,
      email: 'new.adviser.sydney@example.org',
      name: 'Mei Adviser',
    });
    expect(person.invited).to.equal(true);
    expect((await UserModel.findById(person.id).lean())!.timezone).to.equal('Australia/Sydney');
  });

  it('recomputes at once when the dates change: trained by the FIRST interview day, still valid on the LAST', async () => {
    const member = await buildUser({ roles: ['governor'] });
    await giveCertificate(member.id, {
      issuedAt: new Date(Date.now() - 86_400_000),
      expiresAt: DateTime.fromISO(inDays(20), { zone: 'Europe/London' }).plus({ hours: 12 }).toJSDate(),
    });
    const round = await buildRound(board.id, { interviewDates: [inDays(10)], panel: [member] });
    expect((await api(chairToken).get(`/rounds/${round.id}/readiness`)).body.ready).to.equal(true);
    await api(chairToken)
      .patch(`/rounds/${round.id}`, { interviewDates: [inDays(10), inDays(25)] })
      .expect(200);
    const later = await api(chairToken).get(`/rounds/${round.id}/readiness`).expect(200);
    // The deadline stays the first day; her certificate lapses before the second.
    expect(later.body).to.include({ ready: false, interviewDate: inDays(10) });
    expect(later.body.members[0].status).to.equal('expires-before-interview');
  });

  it('judges expiry by the board zone: moving the board to another zone recomputes at once', async () => {
    const zoned = await buildBoard([{ user: chair, role: 'chair' }], { timezone: 'Europe/London' });
    const member = await buildUser({ roles: ['governor'] });
    await giveCertificate(member.id, {
      issuedAt: new Date('2026-01-01T00:00:00Z'),
      expiresAt: new Date('2027-06-10T23:30:00Z'),
    });
    const round = await buildRound(zoned.id, { interviewDates: ['2027-06-10'], panel: [member] });
    expect((await api(chairToken).get(`/rounds/${round.id}/readiness`)).body.members[0].status).to.equal('valid');
    await api(chairToken).patch(`/boards/${zoned.id}`, { timezone: 'UTC' }).expect(200);
    expect((await api(chairToken).get(`/rounds/${round.id}/readiness`)).body.members[0].status).to.equal(
      'expires-before-interview',
    );
    await api(await tokenFor(member))
      .patch(`/boards/${zoned.id}`, { timezone: 'Europe/London' })
      .expect(404);
    await api(chairToken).patch(`/boards/${zoned.id}`, { timezone: 'Mars/Olympus' }).expect(422);
  });

  it('enrols the panel members who lack training in one action, and the round becomes ready once they complete', async () => {
    await buildGoverningProgramme(2);
    const trained = await buildUser({ roles: ['governor'] });
    const [m1, m2] = await Promise.all([buildUser({ roles: ['governor'] }), buildUser({ roles: ['governor'] })]);
    await giveCertificate(trained.id, { issuedAt: new Date(Date.now() - 86_400_000), expiresAt: null });
    const round = await buildRound(board.id, { interviewDates: [inDays(21)], panel: [trained, m1!, m2!] });
    const enrolled = await api(chairToken).post(`/rounds/${round.id}/enrol-panel`, {}).expect(200);
    expect(enrolled.body.enrolled).to.have.members([m1!.id, m2!.id]);
    const again = await api(chairToken).post(`/rounds/${round.id}/enrol-panel`, {}).expect(200);
    expect(again.body.enrolled).to.deep.equal([]);
    // The marked programme panels are enrolled in is the one used.
    for (const member of [m1!, m2!]) {
      const enrolment = await EnrolmentModel.findOne({ userId: member.id }).lean();
      expect(enrolment).to.include({ status: 'active' });
      const modules = await ModuleModel.find({ programmeId: enrolment!.programmeId, archived: false }).lean();
      for (const m of modules)
        await completeModule({ actor: asActor(member), moduleId: String(m._id), input: {}, now: new Date() });
    }
    const res = await api(chairToken).get(`/rounds/${round.id}/readiness`).expect(200);
    expect(res.body.ready).to.equal(true);
    expect(res.body.members.map((m: { status: string }) => m.status)).to.deep.equal(['valid', 'valid', 'valid']);
  });

  it('a round interviewing on two days is ready only when the panel was trained by the first: a certificate issued between them does not count (API, page, closed record)', async () => {
    await buildGoverningProgramme(2);
    const between = await buildUser({ roles: ['governor'], name: 'Bea Between' });
    const round = await buildRound(board.id, { interviewDates: [inDays(-7), inDays(7)], panel: [between] });
    // Trained three days after the first interview day, a week before the second.
    await giveCertificate(between.id, { issuedAt: new Date(Date.now() - 4 * 86_400_000), expiresAt: null });
    const readiness = await api(chairToken).get(`/rounds/${round.id}/readiness`).expect(200);
    expect(readiness.body).to.deep.include({ ready: false, interviewDate: inDays(-7) });
    expect(readiness.body.members[0]).to.include({ status: 'not-started' });
    const page = await (await signIn(app, chair.email, testPassword)).get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.include('Not ready');
    await closeRound({ actor: asActor(chair), roundId: round.id });
    const record = (await RecruitmentRoundModel.findById(round.id).lean())!.readinessRecord!;
    expect(record).to.include({ ready: false, interviewDate: inDays(-7) });
    expect(record.members[0]).to.include({ certificateAfterInterview: true });
  });

  it('enrolling the untrained passes over a member whose account was disabled or erased after she was seated, names her, and enrols the rest', async () => {
    await buildGoverningProgramme(2);
    const [off, gone, m1] = await Promise.all([
      buildUser({ roles: ['governor'] }),
      buildUser({ roles: ['governor'] }),
      buildUser({ roles: ['governor'] }),
    ]);
    // Seated first, in the panel's order, then disabled and erased: the rest of the panel must not wait on them.
    const round = await buildRound(board.id, { interviewDates: [inDays(21)], panel: [off!, gone!, m1!] });
    await UserModel.updateOne({ _id: off!.id }, { $set: { status: 'disabled' } });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: gone!.id, bySelf: false });
    const res = await api(chairToken).post(`/rounds/${round.id}/enrol-panel`, {}).expect(200);
    expect(res.body.enrolled).to.deep.equal([m1!.id]);
    expect(res.body.passedOver).to.have.members([off!.id, gone!.id]);
    expect(await EnrolmentModel.countDocuments({ userId: { $in: [off!.id, gone!.id] } })).to.equal(0);
    // The page says so, and what to do.
    const web = await signIn(app, chair.email, testPassword);
    const page = await web.get(`/rounds/${round.id}`).expect(200);
    const posted = await web
      .post(`/rounds/${round.id}/enrol-panel`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .redirects(1);
    expect(posted.status).to.equal(200);
    expect(posted.text)
      .to.include('Nobody was enrolled.')
      .and.to.include('2 untrained member(s) whose account is disabled or erased');
  });

  it('a member renewing a lapsing certificate is not counted as enrolled by the cohort she finished long ago: enrolling the untrained enrols her in another cohort', async () => {
    const programme = await buildGoverningProgramme(2);
    await onlyPanelTraining(programme.id);
    const renewing = await buildUser({ roles: ['governor'] });
    const old = await giveCertificate(renewing.id, {
      issuedAt: new Date(Date.now() - 1000 * 86_400_000),
      expiresAt: DateTime.fromISO(inDays(10), { zone: 'Europe/London' }).toJSDate(),
    });
    // Her finished enrolment stays active (enrolments are never marked done); still open, it is a cohort of this programme.
    const oldCohort = (await CertificateModel.findById(old.id).lean())!.cohortId;
    await CohortModel.updateOne(
      { _id: oldCohort },
      { $set: { programmeId: programme.id, startsOn: '2024-01-01', endsOn: inDays(900), selfPaced: true } },
    );
    await EnrolmentModel.create({
      cohortId: oldCohort,
      userId: renewing.id,
      programmeId: programme.id,
      status: 'active',
      enrolledAt: new Date(Date.now() - 1000 * 86_400_000),
    });
    // She did every module there, which is how she earned the certificate now lapsing.
    await CompletionModel.insertMany(
      programme.moduleIds.map((moduleId) => ({
        userId: renewing.id,
        moduleId,
        cohortId: oldCohort,
        programmeId: programme.id,
        completedAt: new Date(Date.now() - 1000 * 86_400_000),
      })),
    );
    const round = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [renewing] });
    const overview = await roundOverview({ actor: asActor(chair), roundId: round.id });
    expect(overview.lacking.map((m) => m.userId)).to.deep.equal([renewing.id]);
    // Her renewal has not begun: the training she finished then is not progress towards it.
    expect(overview.members[0]).to.include({ status: 'expires-before-interview', percent: 0 });
    const result = await enrolPanelLackingTraining({ actor: asActor(chair), roundId: round.id });
    expect(result.enrolled).to.deep.equal([renewing.id]);
    const renewal = await EnrolmentModel.findOne({ userId: renewing.id, cohortId: { $ne: oldCohort } }).lean();
    expect(renewal).to.include({ status: 'active' });
    expect(String(renewal!.programmeId)).to.equal(programme.id);
    const after = await roundOverview({ actor: asActor(chair), roundId: round.id });
    expect(after.members[0]).to.include({ enrolled: true, status: 'expires-before-interview' });
    expect(after.lacking).to.deep.equal([]);
  });

  it('a panel member who finished her training after the interview day is in progress at her real percent (API, page, closed record) and enrolled, never offered it again; her late certificate does not make her ready', async () => {
    const programme = await buildGoverningProgramme(2);
    const late = await buildUser({ roles: ['governor'], name: 'Lena Late' });
    await EnrolmentModel.create({
      userId: late.id,
      cohortId: await buildCohortFor(programme.id),
      programmeId: programme.id,
      status: 'active',
      enrolledAt: new Date(Date.now() - 30 * 86_400_000),
    });
    const round = await buildRound(board.id, { interviewDates: [inDays(-3)], panel: [late] });
    // She finishes today, three days after the interview: her certificate is issued now.
    for (const moduleId of programme.moduleIds)
      await completeModule({ actor: asActor(late), moduleId, input: {}, now: new Date() });
    expect(await CertificateModel.countDocuments({ userId: late.id, track: 'governing-board' })).to.equal(1);

    const readiness = await api(chairToken).get(`/rounds/${round.id}/readiness`).expect(200);
    expect(readiness.body.ready).to.equal(false);
    expect(readiness.body.members).to.deep.equal([{ userId: late.id, status: 'in-progress', percent: 100 }]);
    const page = await (await signIn(app, chair.email, testPassword)).get(`/rounds/${round.id}`).expect(200);
    const row = page.text.slice(
      page.text.indexOf('Lena Late'),
      page.text.indexOf('</tr>', page.text.indexOf('Lena Late')),
    );
    expect(row).to.include('In progress').and.to.include('Enrolled').and.to.include('100%');
    expect(page.text).to.not.include('Not trained and not enrolled');
    expect(await enrolPanelLackingTraining({ actor: asActor(chair), roundId: round.id })).to.deep.include({
      enrolled: [],
    });
    expect(await EnrolmentModel.countDocuments({ userId: late.id })).to.equal(1);

    // The closed record keeps her not ready on the day, and names the certificate she holds, gained after it.
    await api(chairToken).post(`/rounds/${round.id}/close`, {}).expect(200);
    const certificate = (await CertificateModel.findOne({ userId: late.id, track: 'governing-board' }).lean())!;
    const chairAgent = await signIn(app, chair.email, testPassword);
    const csv = await chairAgent.get(`/rounds/${round.id}/record.csv`).expect(200);
    expect(csv.text).to.include(
      `Lena Late,external,Trained after the interview day,100,${certificate.verificationCode},`,
    );
    expect(csv.text).to.include(',no,Lena Late,');
    const pdf = await chairAgent.get(`/rounds/${round.id}/record.pdf`).buffer(true).parse(binaryBody).expect(200);
    const text = (await pdfText(pdf.body as Buffer)).replace(/\s+/g, ' ');
    expect(text).to.include('Panel ready: No');
    expect(text).to.include(
      `Status: Trained after the interview day Certificate ${certificate.verificationCode}, issued `,
    );
    expect(text).to.include(', after the interview day');
    expect(text).to.not.include('No unconscious-bias training certificate');
  });

  it('an untrained panel member is told to continue her training only while it can help: not once the interview day has passed, nor once the round is closed', async () => {
    const agent = await signIn(app, chair.email, testPassword);
    const noticeOf = async (roundId: string) => {
      const text = (await agent.get(`/rounds/${roundId}`).expect(200)).text;
      return /<p class="notice"[^>]*>([\s\S]*?)<\/p>/.exec(text)?.[1]?.replace(/<[^>]+>/g, '') ?? '';
    };
    const ahead = await buildRound(board.id, { interviewDates: [inDays(20)], panel: [chair] });
    expect(await noticeOf(ahead.id)).to.include('Continue your unconscious-bias training');
    const passed = await buildRound(board.id, { interviewDates: [inDays(-1)], panel: [chair] });
    const afterTheDay = await noticeOf(passed.id);
    expect(afterTheDay).to.include('your unconscious-bias training was not valid on its interview day');
    expect(afterTheDay).to.not.include('Continue');
    await api(chairToken).post(`/rounds/${ahead.id}/close`, {}).expect(200);
    const closed = await noticeOf(ahead.id);
    expect(closed).to.include('was not valid for its interview day when the round closed');
    expect(closed).to.not.include('Continue');
  });

  it('when two chairs enrol their untrained panels at once and no cohort is open, one cohort is opened and each is enrolled once', async () => {
    const programme = await buildGoverningProgramme(2);
    await onlyPanelTraining(programme.id);
    const [m1, m2, m3] = await Promise.all([1, 2, 3].map(() => buildUser({ roles: ['governor'] })));
    const first = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [m1!, m2!] });
    const second = await buildRound(board.id, { interviewDates: [inDays(30)], panel: [m2!, m3!] });
    const results = await Promise.all([
      enrolPanelLackingTraining({ actor: asActor(chair), roundId: first.id }),
      enrolPanelLackingTraining({ actor: asActor(admin), roundId: second.id }),
    ]);
    const cohorts = await CohortModel.find({ programmeId: programme.id }).lean();
    expect(cohorts).to.have.length(1);
    expect(results.map((r) => r.cohortId)).to.deep.equal([String(cohorts[0]!._id), String(cohorts[0]!._id)]);
    for (const member of [m1!, m2!, m3!])
      expect(await EnrolmentModel.countDocuments({ userId: member.id, programmeId: programme.id })).to.equal(1);
  });

  it('when a panel member is added while the round closes (on another process), the closing record names her too', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(14)], panel: [govA] });
    const late = await buildUser({ roles: ['governor'] });
    // The close reads the round, then stalls while the panel changes.
    const held = holdNextCall(RecruitmentRoundModel, 'findById', { lean: true });
    try {
      const closing = closeRound({ actor: asActor(chair), roundId: round.id });
      await held.reached;
      held.restore();
      await addToPanel({ actor: asActor(admin), roundId: round.id, userId: late.id });
      held.release();
      await closing;
    } finally {
      held.release();
      held.restore();
    }
    const closed = (await RecruitmentRoundModel.findById(round.id).lean())!;
    expect(closed.status).to.equal('closed');
    expect(closed.panel.map(String)).to.have.members([govA.id, late.id]);
    expect(closed.readinessRecord!.members.map((m) => String(m.userId))).to.have.members([govA.id, late.id]);
  });

  it('shows the panel rules as warnings on the round page, readable without colour', async () => {
    const round = await buildRound(board.id, { interviewDates: [inDays(21)], panel: [govA, govB] });
    const agent = await signIn(app, chair.email, testPassword);
    const page = await agent.get(`/rounds/${round.id}`).expect(200);
    expect(page.text).to.include('at least three governors');
    expect(page.text).to.include('safer-recruitment training');
    expect(page.text).to.include('Not ready');
    expect(page.text).to.match(/\d+ days left/);
    await ExternalCertificateModel.create({
      userId: govA.id,
      provider: 'Local authority',
      completedOn: inDays(-30),
      expiresOn: inDays(1000),
      recordedBy: chair.id,
    });
    await RecruitmentRoundModel.updateOne({ _id: round.id }, { $push: { panel: govC.id } });
    const fixed = await agent.get(`/rounds/${round.id}`).expect(200);
    expect(fixed.text).to.not.include('at least three governors');
    expect(fixed.text).to.not.include('At least one panel member should hold');
  });

  it('closes a round with a readiness record as CSV (spreadsheet-safe) and PDF, and refuses panel changes afterwards (409)', async () => {
    const holder = await UserModel.create({
      email: `eq-${Date.now()}@example.org`,
      name: '=HYPERLINK("x")',
      roles: ['governor'],
      timezone: 'Europe/London',
    });
    const cert = await giveCertificate(String(holder._id), {
      issuedAt: new Date('2026-01-05T10:00:00Z'),
      expiresAt: new Date('2029-01-05T10:00:00Z'),
    });
    const round = await buildRound(board.id, {
      interviewDates: [inDays(5)],
      panel: [{ id: String(holder._id) } as TestUser],
    });
    await api(chairToken).post(`/rounds/${round.id}/close`, {}).expect(200);
    await api(chairToken).patch(`/rounds/${round.id}`, { panel: [] }).expect(409);
    const agent = await signIn(app, chair.email, testPassword);
    const csv = await agent
      .get(`/rounds/${round.id}/record.csv`)
      .expect(200)
      .expect('Content-Type', /text\/csv/);
    // Opened in a spreadsheet: a byte-order mark says UTF-8, so names such as Siân stay as written.
    expect(csv.text.startsWith('\uFEFFBoard,Round,')).to.equal(true);
    expect(csv.text).to.include(cert.code);
    expect(csv.text).to.include(`'=HYPERLINK`);
    expect(csv.text).to.include(inDays(5));
    expect(csv.text).to.include('5 January 2026');
    const pdf = await agent
      .get(`/rounds/${round.id}/record.pdf`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200)
      .expect('Content-Type', /pdf/);
    expect((pdf.body as Buffer).subarray(0, 5).toString()).to.equal('%PDF-');
  });

  it('a record of a round titled with "&" and "<" carries well-formed XMP metadata, its title as typed there and in the Info dictionary', async () => {
    // pdfkit wrote the title into the XMP packet unescaped: XMP readers refused it, and pdf.js read "Head & deputy".
    const title = 'Head & deputy <2027> \\ "interim"';
    const round = await buildRound(board.id, { interviewDates: [inDays(5)], panel: [chair], title });
    await api(chairToken).post(`/rounds/${round.id}/close`, {}).expect(200);
    const agent = await signIn(app, chair.email, testPassword);
    const pdf = (await agent.get(`/rounds/${round.id}/record.pdf`).buffer(true).parse(binaryBody).expect(200))
      .body as Buffer;
    expect(pdfXmp(pdf)).to.deep.include({ title: `Readiness record: ${title}`, creators: ['Pathways'] });
    expect((await pdfAccessibility(pdf)).title, 'the Info dictionary, not escaped twice').to.equal(
      `Readiness record: ${title}`,
    );
  });

  it('a closed round’s record (CSV and PDF) keeps the board’s name and organisation as they were at closing after the board is renamed', async () => {
    const own = await buildBoard([{ user: chair, role: 'chair' }], { name: 'Oakfield Governors' });
    const round = await buildRound(own.id, { interviewDates: [inDays(5)], panel: [chair] });
    await api(chairToken).post(`/rounds/${round.id}/close`, {}).expect(200);
    await api(await tokenFor(admin))
      .patch(`/boards/${own.id}`, { name: 'Elm Trust Governors', organisation: 'Elm Academy Trust' })
      .expect(200);
    const agent = await signIn(app, chair.email, testPassword);
    const record = async () => ({
      csv: (await agent.get(`/rounds/${round.id}/record.csv`).expect(200)).text,
      pdf: await pdfText(
        (await agent.get(`/rounds/${round.id}/record.pdf`).buffer(true).parse(binaryBody).expect(200)).body as Buffer,
      ),
    });
    const kept = await record();
    expect(kept.csv).to.include('\nOakfield Governors,Headteacher,').and.not.include('Elm');
    expect(kept.pdf).to.include('Board: Oakfield Governors (Test Primary School)').and.not.include('Elm');
    // A record closed before the snapshot kept the board names it as it is now.
    await RecruitmentRoundModel.updateOne(
      { _id: round.id },
      { $unset: { 'readinessRecord.boardName': 1, 'readinessRecord.organisation': 1 } },
    );
    const older = await record();
    expect(older.csv).to.include('\nElm Trust Governors,Headteacher,');
    expect(older.pdf).to.include('Board: Elm Trust Governors (Elm Academy Trust)');
  });

  it('when a panel member is erased while her round is being closed, the new record names her "Former member"', async () => {
    const leaving = await buildUser({ roles: ['governor'], name: 'Leaving Governor' });
    const round = await buildRound(board.id, { interviewDates: [inDays(5)], panel: [leaving, govB] });
    // The close has read the panel's names; its record lands only after the erasure has run every area.
    const held = holdNextCall(RecruitmentRoundModel, 'updateOne', {
      before: true,
      when: (args) => (args[1] as { $set?: { status?: string } }).$set?.status === 'closed',
    });
    try {
      const closing = closeRound({ actor: asActor(chair), roundId: round.id });
      await held.reached;
      await eraseAccount({ actor: asActor(admin), userId: leaving.id, bySelf: false });
      held.release();
      await closing;
    } finally {
      held.release();
      held.restore();
    }
    const stored = await RecruitmentRoundModel.findById(round.id).lean();
    const names = stored!.readinessRecord!.members.map((m) => m.name);
    expect(names).to.include('Former member');
    expect(names).not.to.include('Leaving Governor');
    expect(names).to.include(govB.name);
  });

  it('records an external safer-recruitment certificate with a default 3-year expiry and a small file', async () => {
    const agent = await signIn(app, govA.email, testPassword);
    const page = await agent.get('/training/safer-recruitment').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    await agent
      .post('/training/safer-recruitment')
      .field('_csrf', csrf)
      .field('provider', 'NSPCC')
      .field('completedOn', '2026-02-01')
      .attach('file', Buffer.from('%PDF-1.4 test'), { filename: 'cert.pdf', contentType: 'application/pdf' })
      .expect(303);
    const saved = await ExternalCertificateModel.findOne({ userId: govA.id, provider: 'NSPCC' }).lean();
    expect(saved).to.include({ expiresOn: '2029-02-01', hasFile: true });
    const file = await agent.get(`/external-certificates/${String(saved!._id)}/file`).expect(200);
    expect(file.headers['content-disposition']).to.include('cert.pdf');
    const other = await signIn(app, (await buildUser({ roles: ['participant'] })).email, testPassword);
    await other.get(`/external-certificates/${String(saved!._id)}/file`).expect(404);
  });
});

describe('an external certificate file named in another script', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('is downloaded under the name it was uploaded with ("Siobhán Ní Bhriain 王秀英.pdf"), not with its letters turned to "_"', async () => {
    const governor = await buildUser({ roles: ['governor'] });
    const agent = await signIn(app, governor.email, testPassword);
    const page = await agent.get('/training/safer-recruitment').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const filename = 'Siobhán Ní Bhriain 王秀英.pdf';
    await agent
      .post('/training/safer-recruitment')
      .field('_csrf', csrf)
      .field('provider', 'NSPCC')
      .field('completedOn', '2026-02-01')
      .attach('file', Buffer.from('%PDF-1.4 test'), { filename, contentType: 'application/pdf' })
      .expect(303);
    const saved = (await ExternalCertificateModel.findOne({ userId: governor.id }).lean())!;
    const file = await agent.get(`/external-certificates/${String(saved._id)}/file`).expect(200);
    const disposition = String(file.headers['content-disposition']);
    expect(disposition).to.include(`filename*=UTF-8''${encodeURIComponent(filename)}`);
    expect(disposition).to.match(/^attachment; filename="[ -~]+"/);
  });
});

describe('an external certificate sent again under the same key', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const pdf = (text: string) => Buffer.from(`%PDF-1.4 ${text}`);

  it('on the web, a true resend is one certificate; the form sent back with only another file says it was already sent and keeps the first file', async () => {
    const governor = await buildUser({ roles: ['governor'] });
    const agent = await signIn(app, governor.email, testPassword);
    const page = await agent.get('/training/safer-recruitment').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const key = /name="_submission" value="([^"]+)"/.exec(page.text)![1]!;
    const send = (file: Buffer, filename: string) =>
      agent
        .post('/training/safer-recruitment')
        .field('_csrf', csrf)
        .field('_submission', key)
        .field('provider', 'NSPCC')
        .field('completedOn', '2026-02-01')
        .attach('file', file, { filename, contentType: 'application/pdf' });
    await send(pdf('first'), 'first.pdf').expect(303);
    await send(pdf('first'), 'first.pdf').expect(303);
    const changed = await send(pdf('second'), 'first.pdf').expect(422);
    expect(changed.text).to.include('This form was already sent');
    const renamed = await send(pdf('first'), 'second.pdf').expect(422);
    expect(renamed.text).to.include('This form was already sent');
    const stored = await ExternalCertificateModel.find({ userId: governor.id }).lean();
    expect(stored).to.have.length(1);
    const file = await agent
      .get(`/external-certificates/${String(stored[0]!._id)}/file`)
      .buffer(true)
      .parse(binaryBody)
      .expect(200);
    expect((file.body as Buffer).toString()).to.equal('%PDF-1.4 first');
  });

  it('a certificate form refused for a date asks, at the file field, to choose the attached file again (a form sent back cannot keep it)', async () => {
    const governor = await buildUser({ roles: ['governor'] });
    const agent = await signIn(app, governor.email, testPassword);
    const page = await agent.get('/training/safer-recruitment').expect(200);
    const refused = await agent
      .post('/training/safer-recruitment')
      .field('_csrf', /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!)
      .field('provider', 'NSPCC')
      .field('completedOn', '2099-02-01')
      .attach('file', pdf('evidence'), { filename: 'nspcc-2026.pdf', contentType: 'application/pdf' })
      .expect(422);
    expect(refused.text).to.include('value="NSPCC"');
    expect(refused.text)
      .to.match(
        /<p class="error-message" id="field-file-error">[^<]*<span[^>]*>Error:<\/span> choose “nspcc-2026\.pdf” again/,
      )
      .and.to.include('href="#field-file"');
    expect(await ExternalCertificateModel.countDocuments({ userId: governor.id })).to.equal(0);
  });

  it('on the API, the same Idempotency-Key with another file is 422, and with the same file the first answer again', async () => {
    const governor = await buildUser({ roles: ['governor'] });
    const token = await tokenFor(governor);
    const send = (file: Buffer) =>
      supertest(app)
        .post('/api/v1/external-certificates')
        .set('Authorization', `Bearer ${token}`)
        .set('Idempotency-Key', 'certificate-with-file-0001')
        .field('userId', governor.id)
        .field('provider', 'NSPCC')
        .field('completedOn', '2026-02-01')
        .attach('file', file, { filename: 'cert.pdf', contentType: 'application/pdf' });
    const first = await send(pdf('first')).expect(201);
    const again = await send(pdf('first')).expect(201);
    expect(again.body).to.deep.equal(first.body);
    const other = await send(pdf('second')).expect(422);
    expect(other.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(await ExternalCertificateModel.countDocuments({ userId: governor.id })).to.equal(1);
  });
});

async function buildCohortFor(programmeId: string): Promise<string> {
  const c = await CohortModel.create({
    programmeId,
    name: 'Spring',
    capacity: 30,
    timezone: 'Europe/London',
    startsOn: '2026-01-01',
    endsOn: '2028-01-01',
  });
  return String(c._id);
}
