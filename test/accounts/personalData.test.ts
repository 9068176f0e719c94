import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { strFromU8, unzipSync } from 'fflate';
import supertest from 'supertest';
import { AttendanceRecordModel, attendanceRecordId } from '../../models/AttendanceRecord.ts';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { CertificateModel } from '../../models/Certificate.ts';
import { CompletionModel } from '../../models/Completion.ts';
import { DirectoryBlockModel } from '../../models/DirectoryBlock.ts';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { NotificationDeliveryModel } from '../../models/NotificationDelivery.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { personalDataAreas } from '../../server/services/privacy/areas.ts';
import { eraseAccount, erasuresFinished } from '../../server/services/privacy/erase.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { enableTwoStepWithSecret } from '../../server/services/accounts/twoStep.ts';
import { confirmEmailChange, requestEmailChange } from '../../server/services/accounts/credentials.ts';
import { askToJoinApprovalNetwork } from '../support/networkFactories.ts';
import { recordExternalCertificate } from '../../server/services/boards/externalCertificates.ts';
import { SignedInSessionModel } from '../../models/SignedInSession.ts';
import { UserModel } from '../../models/User.ts';
import { csrfFrom, csrfOf, errorSummaryOf, signIn, testApp } from '../support/app.ts';
import { asActor, buildBoard, buildRound, giveCertificate } from '../support/boardsFactories.ts';
import { buildSession } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';
import { buildSignature } from '../support/pledgeFactories.ts';
import { CohortModel } from '../../models/Cohort.ts';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
type Row = Record<string, string>;

/** Her "Download as spreadsheets" zip, opened. */
async function zipOf(browser: ReturnType<typeof supertest.agent>): Promise<Record<string, Uint8Array>> {
  const res = await browser
    .get('/account/data/export.zip')
    .buffer(true)
    .parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    })
    .expect(200)
    .expect('Content-Type', /application\/zip/);
  return unzipSync(new Uint8Array(res.body as Buffer));
}
const niaReflection = 'I felt unsure about leading the staff meeting, and here is why in my own words.';
const zoeReflection = 'Zoe private thoughts about her deputy headship interview that nobody else may read.';

describe('her data: export and erasure', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser, facilitator: TestUser, nia: TestUser, zoe: TestUser, chair: TestUser;
  let adminToken: string, facilitatorToken: string, niaToken: string, zoeToken: string, chairToken: string;
  let cohortId: string, sessionId: string, roundId: string, certificateCode: string;

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    facilitator = await buildUser({ roles: ['facilitator'] });
    nia = await buildUser({ name: 'Nia Jones', roles: ['participant', 'governor'] });
    zoe = await buildUser({ name: 'Zoe Adams' });
    chair = await buildUser({ roles: ['governor'] });
    const tokens = await Promise.all([admin, facilitator, nia, zoe, chair].map(tokenFor));
    [adminToken, facilitatorToken, niaToken, zoeToken, chairToken] = tokens as [string, string, string, string, string];

    const programme = await buildProgramme({ title: 'Stepping up to headship' });
    const reflect = await buildModule(programme.id, { title: 'Reflect', completion: { type: 'reflection' } });
    const read = await buildModule(programme.id, { title: 'Read' });
    cohortId = (await buildCohort(programme.id, { facilitatorIds: [facilitator.id] })).id;
    for (const person of [nia, zoe]) await enrol(person.id, cohortId, programme.id);
    const complete = (token: string, moduleId: string, body: object) =>
      supertest(app).post(`/api/v1/modules/${moduleId}/completion`).set(bearer(token)).send(body).expect(200);
    await complete(niaToken, reflect.id, { reflection: niaReflection });
    await complete(niaToken, read.id, {});
    await complete(zoeToken, reflect.id, { reflection: zoeReflection });
    certificateCode = (await CertificateModel.findOne({ userId: nia.id }).lean())!.verificationCode;

    const cohort = (await CohortModel.findById(cohortId).lean())!;
    sessionId = String((await buildSession(cohort._id, { startsAt: new Date('2026-01-05T10:00:00Z') }))._id);
    await supertest(app)
      .put(`/api/v1/sessions/${sessionId}/attendance`)
      .set(bearer(facilitatorToken))
      .send({
        records: [
          { userId: nia.id, status: 'present', note: 'Nia left early for a hospital appointment' },
          { userId: zoe.id, status: 'absent', note: 'Zoe was unwell' },
        ],
      })
      .expect(200);

    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: nia, role: 'governor' },
    ]);
    roundId = (await buildRound(board.id, { interviewDates: ['2027-05-01'], panel: [chair, nia] })).id;
    await giveCertificate(chair.id, { issuedAt: new Date('2026-01-01'), expiresAt: new Date('2029-01-01') });
    await giveCertificate(nia.id, { issuedAt: new Date('2026-01-01'), expiresAt: new Date('2029-01-01') });
    await buildSignature({ kind: 'individual', name: 'Nia Jones', email: nia.email, showName: true });
  });

  describe('Download my data', () => {
    it('her export holds her profile, learning with her reflections, attendance, boards, Pledge signature and token names, and is audited', async () => {
      const res = await supertest(app).get('/api/v1/me/export').set(bearer(niaToken)).expect(200);
      const { areas } = res.body;
      expect(areas.account.profile).to.include({ id: nia.id, email: nia.email, name: 'Nia Jones' });
      expect(areas.account.preferences).to.have.property('emailDigest');
      expect(areas.account.apiTokens).to.have.length(1);
      expect(areas.learning.completions.map((c: { reflection: string | null }) => c.reflection)).to.include(
        niaReflection,
      );
      expect(areas.learning.enrolments).to.have.length(1);
      expect(areas.learning.certificates.map((c: { verificationCode: string }) => c.verificationCode)).to.include(
        certificateCode,
      );
      expect(areas.cohorts.attendance).to.deep.include({
        sessionId,
        cohortId,
        status: 'present',
        note: 'Nia left early for a hospital appointment',
        markedAt: areas.cohorts.attendance[0].markedAt,
        source: 'register',
      });
      expect(areas.boards.memberships[0]).to.include({ role: 'governor' });
      expect(areas.boards.panels.map((p: { roundId: string }) => p.roundId)).to.include(roundId);
      expect(areas.pledge.signatures[0]).to.include({ kind: 'individual', name: 'Nia Jones', email: nia.email });
      expect(await AuditEventModel.countDocuments({ action: 'data-exported', targetId: nia.id })).to.equal(1);
    });

    it('her export names the evidence file she gave for her training, with the address she downloads it from', async () => {
      const governor = await buildUser({ name: 'Gita Evidence', roles: ['governor'] });
      await recordExternalCertificate({
        actor: asActor(governor),
        userId: governor.id,
        provider: 'Safer Recruitment Consortium',
        completedOn: '2026-01-10',
        file: {
          originalname: 'gita-certificate.pdf',
          mimetype: 'application/pdf',
          size: 8,
          buffer: Buffer.from('%PDF-1.4'),
        },
      });
      const token = await tokenFor(governor);
      const res = await supertest(app).get('/api/v1/me/export').set(bearer(token)).expect(200);
      const [certificate] = res.body.areas.boards.externalCertificates;
      expect(certificate.file).to.deep.equal({ name: 'gita-certificate.pdf', contentType: 'application/pdf', size: 8 });
      const signedIn = await signIn(app, governor.email, testPassword);
      const file = await signedIn.get(new URL(certificate.fileUrl).pathname).expect(200);
      expect(file.headers['content-disposition']).to.include('gita-certificate.pdf');
    });

    it('her export never holds another person’s private data, nor a password hash or a token secret', async () => {
      const res = await supertest(app).get('/api/v1/me/export').set(bearer(niaToken)).expect(200);
      const text = JSON.stringify(res.body);
      for (const foreign of [zoeReflection, 'Zoe was unwell', zoe.email, zoe.id, chair.email, 'Zoe Adams'])
        expect(text).to.not.include(foreign);
      expect(text).to.not.match(/passwordHash|tokenHash|\$argon2/);
    });

    it('the account page offers the download as a JSON file', async () => {
      const browser = await signIn(app, zoe.email, testPassword);
      const page = await browser.get('/account/data').expect(200);
      expect(page.text).to.include('Download my data').and.include('href="/account/data/export"');
      const file = await browser.get('/account/data/export').expect(200);
      expect(file.headers['content-disposition']).to.match(/attachment; filename="?pathways-my-data-/);
      expect(JSON.parse(file.text).areas.learning.completions[0].reflection).to.equal(zoeReflection);
    });

    it('her export lists where she is signed in (device, address, dates), never the session id', async () => {
      const browser = await signIn(app, zoe.email, testPassword);
      const file = await browser
        .get('/account/data/export')
        .set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0');
      const sessions = JSON.parse(file.text).areas.account.sessions as Record<string, unknown>[];
      expect(sessions.length).to.be.greaterThan(0);
      expect(Object.keys(sessions[0]!).sort()).to.deep.equal(['createdAt', 'device', 'ipAddress', 'lastSeenAt']);
      const stored = await SignedInSessionModel.find({ userId: zoe.id }).lean();
      expect(stored.length).to.equal(sessions.length);
      for (const s of stored) expect(file.text).to.not.include(s._id).and.not.include(s.publicId);
    });

    it('her export lists the security events on her account (sign-ins with their address, changes an admin made) without naming the admin', async () => {
      const yara = await buildUser({ name: 'Yara Young' });
      await signIn(app, yara.email, testPassword);
      await supertest(app)
        .patch(`/api/v1/users/${yara.id}`)
        .set(bearer(adminToken))
        .send({ roles: ['participant', 'mentor'] })
        .expect(200);
      const res = await supertest(app)
        .get('/api/v1/me/export')
        .set(bearer(await tokenFor(yara)))
        .expect(200);
      const events = res.body.areas.account.securityEvents as { action: string; by: string; ipAddress: string }[];
      const signInEvent = events.find((e) => e.action === 'sign-in')!;
      expect(signInEvent).to.include({ by: 'you' });
      expect(signInEvent.ipAddress).to.be.a('string');
      const change = events.find((e) => e.action === 'user-updated')!;
      expect(change).to.include({ by: 'an admin', ipAddress: null });
      expect(JSON.stringify(res.body)).to.not.include(admin.name).and.not.include(admin.id);
    });

    it('the zip download holds the JSON document and one spreadsheet-safe CSV per list of each area', async () => {
      const files = await zipOf(await signIn(app, zoe.email, testPassword));
      expect(Object.keys(files)).to.include.members([
        'data.json',
        'account-profile.csv',
        'learning-completions.csv',
        'cohorts-attendance.csv',
      ]);
      const completions = strFromU8(files['learning-completions.csv']!);
      expect(completions).to.include('reflection').and.include(zoeReflection);
      expect(completions).to.not.include(niaReflection);
      expect(JSON.parse(strFromU8(files['data.json']!)).areas.account.profile.email).to.equal(zoe.email);
    });

    it('in the zip, a date is plain ISO 8601 and a list of names one name a row, as a spreadsheet reads them', async () => {
      const uma = await buildUser({ name: 'Uma Okafor' });
      const blocked = await buildUser({ name: 'Bea Blocked' });
      const updatedAt = new Date('2026-12-16T08:00:00.000Z');
      await DirectoryProfileModel.create({ _id: uma.id, name: uma.name, visibility: 'everyone', updatedAt });
      await DirectoryProfileModel.updateOne({ _id: uma.id }, { $set: { updatedAt } }, { timestamps: false });
      await DirectoryBlockModel.create({ _id: `${uma.id}:${blocked.id}`, blockerId: uma.id, blockedId: blocked.id });
      const files = await zipOf(await signIn(app, uma.email, testPassword));

      const profile = parse(strFromU8(files['directory-profile.csv']!), { bom: true, columns: true }) as Row[];
      expect(profile).to.have.length(1);
      expect(profile[0]).to.include({ visibility: 'everyone', updatedAt: '2026-12-16T08:00:00.000Z' });
      const names = parse(strFromU8(files['directory-blocked.csv']!), { bom: true }) as string[][];
      expect(names).to.deep.equal([['blocked'], ['Bea Blocked']]);
      // A list she has nothing in still has its header row (README, "her data").
      expect(Buffer.from(files['directory-messagesSent.csv']!).toString('utf8')).to.equal('\uFEFFto,body,sentAt\r\n');
    });

    it('every CSV in the zip starts with its header row, the columns its area declares, also for a list she has nothing in', async () => {
      // Built from the first entry, a list she had nothing in was a file of only a byte-order mark, no header.
      const declared = personalDataAreas.flatMap((area) =>
        Object.entries(area.columns).map(([list, columns]) => [`${area.area}-${list}.csv`, columns] as const),
      );
      const newcomer = await buildUser({ name: 'Nell Newcomer' });
      for (const person of [newcomer, zoe]) {
        const files = await zipOf(await signIn(app, person.email, testPassword));
        expect(Object.keys(files).filter((name) => name.endsWith('.csv'))).to.have.members(declared.map(([n]) => n));
        for (const [name, columns] of declared) {
          const rows = parse(strFromU8(files[name]!), { bom: true }) as string[][];
          expect(rows[0], `${name} of ${person.name}`).to.deep.equal(columns);
          expect(
            rows.slice(1).every((row) => row.length === columns.length),
            name,
          ).to.equal(true);
        }
        expect(parse(strFromU8(files['cohorts-waitlist.csv']!), { bom: true })).to.deep.equal([['cohortId', 'number']]);
        expect(parse(strFromU8(files['research-context.csv']!), { bom: true })).to.deep.equal([
          ['country', 'region', 'phase'],
        ]);
      }
    });
  });

  describe('erasure', () => {
    it('an erasure whose process stopped part-way is carried through by the maintenance job: her account and her name go, the trail records it once', async () => {
      // The admin who asked (no account needed here: another active admin would change the last-admin test below).
      const admin = { id: '6b1400000000000000000001', name: 'Ada Admin' };
      const gone = await buildUser({ name: 'Hana Halfway' });
      const accounts = personalDataAreas.at(-1)!;
      const eraseFor = accounts.eraseFor;
      accounts.eraseFor = () => Promise.reject(new Error('the process stopped'));
      try {
        await eraseAccount({ actor: admin, userId: gone.id, bySelf: false }).catch(() => undefined);
      } finally {
        accounts.eraseFor = eraseFor;
      }
      const halfway = (await UserModel.findById(gone.id).lean())!;
      expect(halfway).to.include({ status: 'erased', email: gone.email });
      expect(halfway.erasingSince).to.be.instanceOf(Date);
      // Within the grace the erasure may still be under way: left alone; after it, carried through once.
      expect(await erasuresFinished()).to.equal(0);
      const later = { now: new Date(Date.now() + 1000), graceMs: 0 };
      expect(await erasuresFinished(later)).to.equal(1);
      expect(await erasuresFinished(later)).to.equal(0);
      const done = (await UserModel.findById(gone.id).lean())!;
      expect(done.name).to.equal('Former member');
      expect(done.email).to.not.equal(gone.email);
      expect(done.erasingSince).to.equal(undefined);
      expect(await AuditEventModel.countDocuments({ action: 'account-erased', targetId: gone.id })).to.equal(1);
    });

    it('after an admin erases her, every count stays the same, her words are gone, she cannot sign in and her certificate verifies as revoked without her name', async () => {
      const progressBefore = (
        await supertest(app).get(`/api/v1/cohorts/${cohortId}/progress`).set(bearer(facilitatorToken)).expect(200)
      ).body;
      const registerBefore = (
        await supertest(app).get(`/api/v1/sessions/${sessionId}/attendance`).set(bearer(facilitatorToken)).expect(200)
      ).body;
      const readinessBefore = (
        await supertest(app).get(`/api/v1/rounds/${roundId}/readiness`).set(bearer(chairToken)).expect(200)
      ).body;
      const browser = await signIn(app, nia.email, testPassword);
      await browser.get('/api/v1/me').expect(200);

      await supertest(app).delete(`/api/v1/users/${nia.id}`).set(bearer(adminToken)).expect(202);

      const progressAfter = (
        await supertest(app).get(`/api/v1/cohorts/${cohortId}/progress`).set(bearer(facilitatorToken)).expect(200)
      ).body;
      const strip = (rows: { name: string }[]) => rows.map(({ name: _name, ...rest }) => rest);
      expect(progressAfter.items).to.have.length(progressBefore.items.length);
      expect(strip(progressAfter.items)).to.deep.equal(strip(progressBefore.items));
      expect(progressAfter.items.map((r: { name: string }) => r.name)).to.include('Former member');
      const registerAfter = (
        await supertest(app).get(`/api/v1/sessions/${sessionId}/attendance`).set(bearer(facilitatorToken)).expect(200)
      ).body;
      expect(registerAfter.records.map((r: { status: string }) => r.status)).to.deep.equal(
        registerBefore.records.map((r: { status: string }) => r.status),
      );
      const readinessAfter = (
        await supertest(app).get(`/api/v1/rounds/${roundId}/readiness`).set(bearer(chairToken)).expect(200)
      ).body;
      expect(readinessAfter).to.deep.equal(readinessBefore);

      const completion = await CompletionModel.findOne({ userId: nia.id, reflection: { $exists: true } }).lean();
      expect(completion).to.equal(null);
      expect(await CompletionModel.countDocuments({ userId: nia.id })).to.equal(2);
      const zoeCompletion = await CompletionModel.findOne({ userId: zoe.id }).lean();
      expect(zoeCompletion!.reflection).to.equal(zoeReflection);
      const note = await AttendanceRecordModel.findById(attendanceRecordId(sessionId, nia.id)).lean();
      expect(note!.note).to.equal('');

      const stored = await UserModel.findById(nia.id).select('+passwordHash').lean();
      expect(stored).to.include({ name: 'Former member', status: 'erased' });
      expect(stored!.email).to.not.equal(nia.email);
      expect(stored!.passwordHash).to.equal(undefined);
      await browser.get('/api/v1/me').expect(401);
      await supertest(app).get('/api/v1/me').set(bearer(niaToken)).expect(401);
      const login = supertest.agent(app);
      const page = await login.get('/login');
      await login
        .post('/login')
        .type('form')
        .send({ email: nia.email, password: testPassword, _csrf: csrfFrom(page.text) })
        .expect(401);

      const verified = await supertest(app).get(`/api/v1/certificates/verify/${certificateCode}`).expect(200);
      expect(verified.body.status).to.equal('revoked');
      expect(verified.body).to.not.have.property('name');
      expect(JSON.stringify(verified.body)).to.not.include('Nia');
      const verifyPage = await supertest(app).get(`/certificates/verify/${certificateCode}`).expect(200);
      expect(verifyPage.text).to.include('revoked').and.not.include('Nia Jones');
      // Nor is a fresh copy printed that would look valid beside it.
      const certificate = await CertificateModel.findOne({ verificationCode: certificateCode }).lean();
      const adminAgent = await signIn(app, admin.email, testPassword);
      const pdf = await adminAgent.get(`/certificates/${String(certificate!._id)}/download`).expect(409);
      expect(pdf.text).to.include('revoked');

      const signature = await PledgeSignatureModel.findOne({ email: nia.email }).lean();
      expect(signature).to.equal(null);
      expect(await PledgeSignatureModel.countDocuments({ name: 'Former member', status: 'confirmed' })).to.equal(1);

      const events = await AuditEventModel.find({ action: 'account-erased', targetId: nia.id }).lean();
      expect(events).to.have.length(1);
      expect(String(events[0]!.actorId)).to.equal(admin.id);
    });

    it('her name leaves the public Pledge list at once, the web page and the API, though both were read before', async () => {
      const her = await buildUser({ name: 'Rachel Greenfield' });
      await buildSignature({ kind: 'individual', name: 'Rachel Greenfield', email: her.email, showName: true });
      const listed = async () => {
        const page = await supertest(app).get('/pledge/signatories').expect(200);
        const api = await supertest(app).get('/api/v1/pledge/signatures?limit=200').expect(200);
        return [page.text.includes('Rachel Greenfield'), JSON.stringify(api.body).includes('Rachel Greenfield')];
      };
      expect(await listed()).to.deep.equal([true, true]);
      await supertest(app).delete(`/api/v1/users/${her.id}`).set(bearer(adminToken)).expect(202);
      expect(await listed()).to.deep.equal([false, false]);
    });

    it('the outbox copies of the emails others were sent about her name her no more', async () => {
      const { asker, lead } = await askToJoinApprovalNetwork(app, {
        askerName: "Ursula O'Boxley",
        leadName: 'Lydia Leadsworth',
      });
      await runDueNotifications({ now: new Date() });
      const toLead = () => OutboxMessageModel.find({ to: lead.email }).lean();
      expect(JSON.stringify(await toLead())).to.include("Ursula O'Boxley");
      await supertest(app).delete(`/api/v1/users/${asker.id}`).set(bearer(adminToken)).expect(202);
      const after = JSON.stringify(await toLead());
      expect(after).to.include('Former member').and.not.include('Ursula');
    });

    it('the emails others were sent before she changed her name lose that name too', async () => {
      const { asker, lead } = await askToJoinApprovalNetwork(app, {
        askerName: 'Chloe Formername',
        leadName: 'Leonie Leadwell',
      });
      await runDueNotifications({ now: new Date() });
      await supertest(app)
        .patch(`/api/v1/users/${asker.id}`)
        .set(bearer(adminToken))
        .send({ name: 'Chloe Newname' })
        .expect(200);
      await supertest(app).delete(`/api/v1/users/${asker.id}`).set(bearer(adminToken)).expect(202);
      const toLead = await OutboxMessageModel.find({ to: lead.email }).lean();
      const notes = await NotificationModel.find({ userId: lead.id }).lean();
      const journal = await NotificationDeliveryModel.find({ notificationId: { $in: notes.map((n) => n._id) } }).lean();
      for (const kept of [toLead, notes, journal])
        expect(JSON.stringify(kept)).to.include('Former member').and.not.include('Formername');
      // The lead's own name, in the same emails, stays.
      expect(JSON.stringify(toLead)).to.include('Leonie');
    });

    it('erasure removes her two-step sign-in: the authenticator key, a pending one and her recovery codes', async () => {
      const her = await buildUser({ name: 'Tamsin Twostep' });
      await enableTwoStepWithSecret({ userId: her.id, secret: 'JBSWY3DPEHPK3PXP', recoveryCodes: ['tamsin-0001'] });
      await UserModel.updateOne({ _id: her.id }, { $set: { mfaPendingSecret: 'KRUGS4ZANFZSAYJA' } });
      await supertest(app).delete(`/api/v1/users/${her.id}`).set(bearer(adminToken)).expect(202);
      const row = (await UserModel.findById(her.id).select('+mfaSecret +mfaPendingSecret +mfaRecoveryCodes').lean())!;
      expect(row.status).to.equal('erased');
      expect(row.mfaSecret).to.equal(undefined);
      expect(row.mfaPendingSecret).to.equal(undefined);
      expect(row.mfaRecoveryCodes ?? []).to.deep.equal([]);
      expect(row.mfaEnabledAt).to.equal(null);
    });

    it('erasure deletes the outbox emails sent to an address she had before changing it, and no one else’s', async () => {
      const her = await buildUser({ name: 'Olwen Oldaddress' });
      const oldEmail = her.email;
      const newEmail = `new-${her.email}`;
      await requestEmailChange({ actor: { id: her.id, name: her.name }, password: testPassword, newEmail });
      const link = (await OutboxMessageModel.findOne({ to: newEmail }).lean())!.text;
      const secret = /\/account\/email\/confirm\/(\S+)/.exec(link)![1]!;
      await confirmEmailChange({ secret });
      expect(await OutboxMessageModel.countDocuments({ to: oldEmail })).to.be.at.least(2);
      // Someone opens an account with the address she gave up, and is written to there.
      const successor = await buildUser({ email: oldEmail, name: 'Sian Successor' });
      await requestEmailChange({
        actor: { id: successor.id, name: successor.name },
        password: testPassword,
        newEmail: `other-${oldEmail}`,
      });
      const successorsMail = await OutboxMessageModel.find({ to: oldEmail, text: /Sian Successor/ }).lean();
      expect(successorsMail).to.have.length(1);

      await supertest(app).delete(`/api/v1/users/${her.id}`).set(bearer(adminToken)).expect(202);
      const left = await OutboxMessageModel.find({ to: { $in: [oldEmail, newEmail] } }).lean();
      expect(JSON.stringify(left)).to.not.include('Olwen');
      expect(left.map((m) => String(m._id))).to.deep.equal(successorsMail.map((m) => String(m._id)));
    });

    it('erasing again changes nothing and is not audited twice; her old address can open a new account', async () => {
      const before = await UserModel.findById(nia.id).lean();
      await supertest(app).delete(`/api/v1/users/${nia.id}`).set(bearer(adminToken)).expect(202);
      const after = await UserModel.findById(nia.id).lean();
      expect({ ...after, updatedAt: null }).to.deep.equal({ ...before, updatedAt: null });
      expect(await AuditEventModel.countDocuments({ action: 'account-erased', targetId: nia.id })).to.equal(1);
      await supertest(app)
        .post('/api/v1/users')
        .set(bearer(adminToken))
        .send({ email: nia.email, name: 'Nia Again', roles: ['participant'] })
        .expect(201);
    });

    it('the export of another person never includes the erased woman’s data', async () => {
      const res = await supertest(app).get('/api/v1/me/export').set(bearer(zoeToken)).expect(200);
      const text = JSON.stringify(res.body);
      expect(text).to.not.include(niaReflection).and.not.include('Nia Jones').and.not.include('hospital');
    });

    it('she deletes her own account from the page with her password: a wrong one is a form error and nothing happens', async () => {
      const ivy = await buildUser({ name: 'Ivy Self' });
      const browser = await signIn(app, ivy.email, testPassword);
      const page = await browser.get('/account/delete').expect(200);
      expect(page.text).to.include('What happens').and.include('Former member');
      const wrong = await browser
        .post('/account/delete')
        .type('form')
        .send({ password: 'not my password at all', _csrf: csrfFrom(page.text) })
        .expect(422);
      expect(wrong.text).to.include('That is not your password');
      expect((await UserModel.findById(ivy.id).lean())!.status).to.equal('active');
      await browser
        .post('/account/delete')
        .type('form')
        .send({ password: testPassword, _csrf: csrfFrom(page.text) })
        .expect(303)
        .expect('Location', '/account-deleted');
      expect((await UserModel.findById(ivy.id).lean())!.status).to.equal('erased');
      await browser.get('/api/v1/me').expect(401);
      const events = await AuditEventModel.find({ action: 'account-erased', targetId: ivy.id }).lean();
      expect(String(events[0]!.actorId)).to.equal(ivy.id);
      // The event of her own erasure is written last, and names her no more than the events before it.
      const hers = await AuditEventModel.find({ $or: [{ actorId: ivy.id }, { targetId: ivy.id }] }).lean();
      expect(JSON.stringify(hers)).to.not.include('Ivy Self');
      expect(events[0]!.actorName).to.equal('Former member');
    });

    it('DELETE /me needs her password (422 without it or with a wrong one) and answers 202 with it', async () => {
      const una = await buildUser();
      const token = await tokenFor(una);
      for (const body of [{}, { password: 'wrong password here' }, { password: { $ne: null } }]) {
        const res = await supertest(app).delete('/api/v1/me').set(bearer(token)).send(body).expect(422);
        expect(res.headers['content-type']).to.match(/problem\+json/);
      }
      await supertest(app).delete('/api/v1/me').set(bearer(token)).send({ password: testPassword }).expect(202);
      await supertest(app).get('/api/v1/me').set(bearer(token)).expect(401);
    });

    it('only admins erase someone else (403), unknown ids are 404, and the last active admin cannot be erased (409)', async () => {
      const vic = await buildUser();
      await supertest(app).delete(`/api/v1/users/${vic.id}`).set(bearer(facilitatorToken)).expect(403);
      expect((await UserModel.findById(vic.id).lean())!.status).to.equal('active');
      await supertest(app).delete('/api/v1/users/nope').set(bearer(adminToken)).expect(404);
      await supertest(app).delete(`/api/v1/users/${admin.id}`).set(bearer(adminToken)).expect(409);
      await supertest(app).delete('/api/v1/me').set(bearer(adminToken)).send({ password: testPassword }).expect(409);
      expect((await UserModel.findById(admin.id).lean())!.status).to.equal('active');
    });

    it('an admin erases from the person page after typing ERASE; without it the page answers 422', async () => {
      const wes = await buildUser({ name: 'Wes Page' });
      const browser = await signIn(app, admin.email, testPassword);
      const csrf = await csrfOf(browser, `/admin/users/${wes.id}`);
      const refused = await browser.post(`/admin/users/${wes.id}/erase`).type('form').send({ _csrf: csrf }).expect(422);
      expect(refused.text).to.include('Type ERASE to confirm');
      // Said at the top too, where she is (the form is far down the page), and in the page's title.
      expect(errorSummaryOf(refused.text).targets).to.deep.equal(['field-confirm']);
      expect(refused.text).to.match(/<title>Error: /);
      await browser
        .post(`/admin/users/${wes.id}/erase`)
        .type('form')
        .send({ _csrf: csrf, confirm: 'ERASE' })
        .expect(303);
      expect((await UserModel.findById(wes.id).lean())!.name).to.equal('Former member');
    });
  });
});
