import { expect } from 'chai';
import supertest from 'supertest';
import { CertificateModel } from '../../models/Certificate.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { ModuleModel } from '../../models/Module.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { UserModel } from '../../models/User.ts';
import { onDomainEvent } from '../../server/events.ts';
import { completeModule } from '../../server/services/learning/completion.ts';
import { setModuleArchived } from '../../server/services/learning/programmes.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import {
  announceInterruptedCertificates,
  issueAllCertificatesDue,
  issueCertificateIfComplete,
  nameAllHolders,
  verifyCertificate,
} from '../../server/services/learning/certificates.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { binaryBody, pdfAccessibility, pdfText, pdfXmp } from '../support/pdf.ts';
import { buildCohort, buildModule, buildProgramme, enrol, moveCohort } from '../support/learningFactories.ts';

describe('learning: certificates', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  const issued: string[] = [];
  before(() => {
    app = testApp();
    onDomainEvent('certificate.issued', async ({ certificateId }) => void issued.push(String(certificateId)));
  });

  const actorOf = (u: TestUser) => ({ id: u.id, email: u.email, name: u.name, roles: u.roles, timezone: u.timezone });

  async function finishedProgramme(track: 'governing-board' | 'aspiring-leader' | 'new-head' = 'governing-board') {
    const programme = await buildProgramme({ track });
    const modules = [await buildModule(programme.id), await buildModule(programme.id)];
    const user = await buildUser({ name: 'Grace Bennett' });
    const cohort = await buildCohort(programme.id);
    await enrol(user.id, cohort.id, programme.id);
    return { programme, modules, user, cohort };
  }

  /** She completes every module, then downloads the certificate that issued from her certificates list. */
  async function certificatePdfOf(holder: TestUser, modules: { id: string }[]): Promise<Buffer> {
    for (const m of modules)
      await completeModule({ actor: actorOf(holder), moduleId: m.id, input: {}, now: new Date() });
    const { _id } = (await CertificateModel.findOne({ userId: holder.id }).lean())!;
    const agent = await signIn(app, holder.email, testPassword);
    const pdf = await agent
      .get(`/certificates/${String(_id)}/download`)
      .buffer(true)
      .parse(binaryBody)
      .expect(200);
    return pdf.body as Buffer;
  }

  it('completing the last module issues one certificate with a 36-month expiry for governing boards, and announces it', async () => {
    const { programme, modules, user } = await finishedProgramme();
    const now = new Date('2027-03-01T10:00:00Z');
    const first = await completeModule({ actor: actorOf(user), moduleId: modules[0]!.id, input: {}, now });
    expect(first).to.not.have.property('certificate');
    const last = await completeModule({ actor: actorOf(user), moduleId: modules[1]!.id, input: {}, now });
    expect(last.certificate?.verificationCode).to.match(/^PW-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const certificate = await CertificateModel.findOne({ userId: user.id }).lean();
    expect(certificate).to.include({
      holderName: 'Grace Bennett',
      track: 'governing-board',
      programmeTitle: programme.title,
    });
    expect(certificate!.expiresAt!.toISOString()).to.equal('2030-03-01T10:00:00.000Z');
    expect(issued).to.include(String(certificate!._id));
  });

  it('a cohort moved to another programme: her first certificate stays hers, her home page counts the new programme’s modules, and finishing them issues its certificate', async () => {
    const { modules, user, cohort } = await finishedProgramme('new-head');
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    const first = (await CertificateModel.findOne({ userId: user.id }).lean())!;
    const next = await buildProgramme({ track: 'aspiring-leader', title: 'Aspiring, moved to' });
    const nextModules = [
      await buildModule(next.id, { title: 'Moved one' }),
      await buildModule(next.id, { title: 'Moved two' }),
    ];
    await moveCohort(cohort.id, next.id);
    const home = async () => (await (await signIn(app, user.email, testPassword)).get('/').expect(200)).text;
    const before = await home();
    expect(before).to.include('Aspiring, moved to').and.include('0 of 2');
    expect(before).to.not.include('Completed.');
    for (const m of nextModules)
      await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    const certificates = await CertificateModel.find({ userId: user.id }).lean();
    expect(certificates.map((c) => c.programmeTitle).sort()).to.deep.equal(
      [first.programmeTitle, 'Aspiring, moved to'].sort(),
    );
    expect(await home()).to.include('Completed.');
  });

  it('the aspiring-leader track issues certificates that do not expire', async () => {
    const { modules, user } = await finishedProgramme('aspiring-leader');
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    const certificate = await CertificateModel.findOne({ userId: user.id }).lean();
    expect(certificate!.expiresAt).to.equal(null);
  });

  it('is never issued twice for the same completion, even when asked concurrently', async () => {
    const { programme, modules, user, cohort } = await finishedProgramme();
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    const doc = await ProgrammeModel.findById(programme.id).lean();
    await Promise.all(
      Array.from({ length: 5 }, () =>
        issueCertificateIfComplete({ userId: user.id, programme: doc!, cohortId: cohort.id, now: new Date() }),
      ),
    );
    expect(await CertificateModel.countDocuments({ userId: user.id })).to.equal(1);
  });

  it('verification says valid, then expired after the expiry, and 404 for an unknown code; it shows only name, programme and dates', async () => {
    const { modules, user } = await finishedProgramme();
    const issuedAt = new Date('2022-01-15T12:00:00Z');
    let code = '';
    for (const m of modules)
      code =
        (await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: issuedAt })).certificate
          ?.verificationCode ?? code;
    expect((await verifyCertificate({ code, now: new Date('2025-01-15T11:59:00Z') })).status).to.equal('valid');
    expect(
      (await verifyCertificate({ code: code.toLowerCase(), now: new Date('2025-01-15T12:00:00Z') })).status,
    ).to.equal('expired');
    const api = await supertest(app).get(`/api/v1/certificates/verify/${code}`).expect(200);
    expect(api.body).to.have.all.keys(
      'status',
      'name',
      'programme',
      'track',
      'issuedAt',
      'expiresAt',
      'verificationCode',
    );
    expect(api.body).to.include({ status: 'expired', name: user.name });
    expect(JSON.stringify(api.body)).to.not.include(user.email);
    await supertest(app).get('/api/v1/certificates/verify/PW-0000-0000-0000').expect(404);
    const page = await supertest(app).get(`/certificates/verify/${code}`).expect(200);
    expect(page.text).to.include('This certificate has expired').and.include(user.name);
    const unknown = await supertest(app).get('/certificates/verify/NOT-A-CODE').expect(404);
    expect(unknown.text).to.include('No certificate has this code');
  });

  it('a code pasted with an emoji at the 40th character is checked, not answered 500 (the emoji is never cut in half)', async () => {
    const pasted = `${'A'.repeat(39)}😀 and more`;
    const asked = await supertest(app)
      .get(`/certificates/verify?code=${encodeURIComponent(pasted)}`)
      .expect(303);
    expect(asked.headers.location).to.equal(`/certificates/verify/${encodeURIComponent(`${'A'.repeat(39)}😀`)}`);
    const page = await supertest(app).get(asked.headers.location!).expect(404);
    expect(page.text).to.include('No certificate has this code');
    await supertest(app)
      .get(`/api/v1/certificates/verify/${encodeURIComponent(pasted)}`)
      .expect(404);
  });

  it('after she renames herself her certificate names her as she is called now, in the PDF, the API and the public check page, with the same code; a revoked one is not renamed', async () => {
    const { modules, user } = await finishedProgramme();
    const pdfBefore = await certificatePdfOf(user, modules);
    expect(await pdfText(pdfBefore)).to.include('Grace Bennett');
    const { _id, verificationCode: code } = (await CertificateModel.findOne({ userId: user.id }).lean())!;
    await supertest(app)
      .patch('/api/v1/me')
      .set({ Authorization: `Bearer ${await tokenFor(user)}` })
      .send({ name: 'Grace Okafor' })
      .expect(200);
    const api = await supertest(app).get(`/api/v1/certificates/verify/${code}`).expect(200);
    expect(api.body).to.include({ status: 'valid', name: 'Grace Okafor', verificationCode: code });
    const page = await supertest(app).get(`/certificates/verify/${code}`).expect(200);
    expect(page.text).to.include('Grace Okafor').and.not.include('Grace Bennett');
    const agent = await signIn(app, user.email, testPassword);
    const pdf = await agent
      .get(`/certificates/${String(_id)}/download`)
      .buffer(true)
      .parse(binaryBody)
      .expect(200);
    const text = await pdfText(pdf.body as Buffer);
    expect(text).to.include('Grace Okafor').and.include(code).and.not.include('Grace Bennett');
    expect(await CertificateModel.countDocuments({ userId: user.id })).to.equal(1);

    // One issued before the copy carried a version, under a name since changed, is named from her account by the
    // hourly repair; a revoked one (erasure) stays naming nobody.
    await CertificateModel.updateOne(
      { _id },
      { $set: { holderName: 'Grace Bennett' }, $unset: { holderNameVersion: 1 } },
    );
    const other = await finishedProgramme();
    await certificatePdfOf(other.user, other.modules);
    await CertificateModel.updateOne(
      { userId: other.user.id },
      { $set: { revokedAt: new Date(), holderName: 'Former member' }, $unset: { holderNameVersion: 1 } },
    );
    expect(await nameAllHolders()).to.equal(1);
    expect((await CertificateModel.findById(_id).lean())!.holderName).to.equal('Grace Okafor');
    expect((await CertificateModel.findOne({ userId: other.user.id }).lean())!.holderName).to.equal('Former member');
  });

  it('an expired governing-board certificate is renewed by completing the programme again in a later cohort', async () => {
    const { programme, modules, user } = await finishedProgramme();
    for (const m of modules)
      await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date('2023-01-01T09:00:00Z') });
    const later = await buildCohort(programme.id);
    await enrol(user.id, later.id, programme.id, new Date());
    for (const m of modules)
      await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date('2026-06-01T09:00:00Z') });
    const certificates = await CertificateModel.find({ userId: user.id }).sort({ issuedAt: 1 }).lean();
    expect(certificates.map((c) => String(c.cohortId))).to.deep.equal([certificates[0]!.cohortId.toString(), later.id]);
    expect(certificates[1]!.expiresAt!.toISOString()).to.equal('2029-06-01T09:00:00.000Z');
  });

  it('archiving the one module she had left issues her certificate; someone with more left, or withdrawn, gets none', async () => {
    const programme = await buildProgramme({ track: 'aspiring-leader' });
    const modules = [await buildModule(programme.id), await buildModule(programme.id), await buildModule(programme.id)];
    const cohort = await buildCohort(programme.id);
    const [grace, hana, ivy] = [
      await buildUser({ name: 'Grace' }),
      await buildUser({ name: 'Hana' }),
      await buildUser({ name: 'Ivy' }),
    ];
    for (const u of [grace, hana, ivy]) await enrol(u.id, cohort.id, programme.id);
    const now = new Date('2027-03-01T10:00:00Z');
    for (const u of [grace, ivy])
      for (const m of modules.slice(0, 2)) await completeModule({ actor: actorOf(u), moduleId: m.id, input: {}, now });
    await completeModule({ actor: actorOf(hana), moduleId: modules[0]!.id, input: {}, now });
    await EnrolmentModel.updateOne({ userId: ivy.id, cohortId: cohort.id }, { $set: { status: 'withdrawn' } });
    expect(await CertificateModel.countDocuments({ cohortId: cohort.id })).to.equal(0);

    const admin = await buildUser({ roles: ['admin'] });
    const adminAuth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    await supertest(app).patch(`/api/v1/modules/${modules[2]!.id}`).set(adminAuth).send({ archived: true }).expect(200);
    const certificates = await CertificateModel.find({ cohortId: cohort.id }).lean();
    expect(certificates.map((c) => String(c.userId))).to.deep.equal([grace.id]);
    expect(issued).to.include(String(certificates[0]!._id));
    const mine = await supertest(app)
      .get('/api/v1/me/certificates')
      .set({ Authorization: `Bearer ${await tokenFor(grace)}` })
      .expect(200);
    expect(mine.body).to.have.length(1);

    // Restored, the module is hers to do again; her certificate stands, and her home page does not call 2 of 3 done.
    await supertest(app)
      .patch(`/api/v1/modules/${modules[2]!.id}`)
      .set(adminAuth)
      .send({ archived: false })
      .expect(200);
    const home = (await (await signIn(app, grace.email, testPassword)).get('/').expect(200)).text;
    expect(home).to.include('2 of 3').and.include('Certificate issued.').and.include('Added since you finished');
    expect(home).to.not.include('Completed.');
    await supertest(app).patch(`/api/v1/modules/${modules[2]!.id}`).set(adminAuth).send({ archived: true }).expect(200);

    // Archived again, or another module archived: still one certificate each.
    await supertest(app).patch(`/api/v1/modules/${modules[2]!.id}`).set(adminAuth).send({ archived: true }).expect(200);
    await supertest(app).patch(`/api/v1/modules/${modules[1]!.id}`).set(adminAuth).send({ archived: true }).expect(200);
    const after = await CertificateModel.find({ cohortId: cohort.id }).lean();
    expect(after.map((c) => String(c.userId)).sort()).to.deep.equal([grace.id, hana.id].sort());
  });

  it('a cohort moved to another programme: archiving the one module she had left there issues its certificate, though she holds the first programme’s', async () => {
    const { programme, modules, user: grace, cohort } = await finishedProgramme('new-head');
    const hana = await buildUser({ name: 'Hana' });
    await enrol(hana.id, cohort.id, programme.id);
    const now = new Date('2027-03-01T10:00:00Z');
    for (const m of modules) await completeModule({ actor: actorOf(grace), moduleId: m.id, input: {}, now });
    const next = await buildProgramme({ track: 'aspiring-leader', title: 'Aspiring, moved to' });
    const [kept, archived] = [await buildModule(next.id), await buildModule(next.id)];
    const admin = await moveCohort(cohort.id, next.id);
    for (const u of [grace, hana]) await completeModule({ actor: actorOf(u), moduleId: kept!.id, input: {}, now });

    const adminAuth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    await supertest(app).patch(`/api/v1/modules/${archived!.id}`).set(adminAuth).send({ archived: true }).expect(200);
    for (const u of [grace, hana]) {
      const mine = await supertest(app)
        .get('/api/v1/me/certificates')
        .set({ Authorization: `Bearer ${await tokenFor(u)}` })
        .expect(200);
      expect(
        (mine.body as { programmeId: string }[]).map((c) => c.programmeId),
        u.name,
      ).to.include(next.id);
    }
    const home = (await (await signIn(app, grace.email, testPassword)).get('/').expect(200)).text;
    expect(home).to.include('Completed.');
  });

  it('withdrawn while the one module she had left was archived, she gets her certificate when she is enrolled again', async () => {
    const programme = await buildProgramme({ track: 'aspiring-leader' });
    const modules = [await buildModule(programme.id), await buildModule(programme.id), await buildModule(programme.id)];
    const cohort = await buildCohort(programme.id);
    const hana = await buildUser({ name: 'Hana Returner' });
    const admin = await buildUser({ roles: ['admin'] });
    const adminAuth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    const hanaAuth = { Authorization: `Bearer ${await tokenFor(hana)}` };
    const enrolments = `/api/v1/cohorts/${cohort.id}/enrolments`;
    await supertest(app).post(enrolments).set(adminAuth).send({ userId: hana.id }).expect(201);
    for (const m of modules.slice(0, 2))
      await completeModule({ actor: actorOf(hana), moduleId: m.id, input: {}, now: new Date() });
    await supertest(app).delete(`${enrolments}/${hana.id}`).set(adminAuth).expect(204);
    await supertest(app).patch(`/api/v1/modules/${modules[2]!.id}`).set(adminAuth).send({ archived: true }).expect(200);
    expect(await CertificateModel.countDocuments({ userId: hana.id })).to.equal(0);

    await supertest(app).post(enrolments).set(adminAuth).send({ userId: hana.id }).expect(201);
    const mine = await supertest(app).get('/api/v1/me/certificates').set(hanaAuth).expect(200);
    expect((mine.body as { cohortId: string }[]).map((c) => c.cohortId)).to.deep.equal([cohort.id]);
    const home = (await (await signIn(app, hana.email, testPassword)).get('/').expect(200)).text;
    expect(home).to.include('Completed.');
  });

  it('her cohort moved back to a programme she had finished in it meanwhile gives her its certificate', async () => {
    const { programme, modules, user: fran, cohort } = await finishedProgramme('aspiring-leader');
    const retired = await buildModule(programme.id);
    for (const m of modules) await completeModule({ actor: actorOf(fran), moduleId: m.id, input: {}, now: new Date() });
    const other = await buildProgramme({ track: 'new-head' });
    await buildModule(other.id);
    const admin = await moveCohort(cohort.id, other.id);
    // Archived while no cohort of the programme runs: nobody is owed anything at that moment.
    await supertest(app)
      .patch(`/api/v1/modules/${retired.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .send({ archived: true })
      .expect(200);
    expect(await CertificateModel.countDocuments({ userId: fran.id })).to.equal(0);

    await moveCohort(cohort.id, programme.id);
    const certificates = await CertificateModel.find({ userId: fran.id }).lean();
    expect(certificates.map((c) => [String(c.programmeId), String(c.cohortId)])).to.deep.equal([
      [programme.id, cohort.id],
    ]);
    const home = (await (await signIn(app, fran.email, testPassword)).get('/').expect(200)).text;
    expect(home).to.include('Completed.');
  });

  it('a finished programme whose certificate nothing issued (its process stopped) is issued once by the repair job or her completion sent again, even all at once', async () => {
    const { programme, modules, user, cohort } = await finishedProgramme('aspiring-leader');
    const last = await buildModule(programme.id);
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    // The archive is written, and its process stops before its handlers run.
    await ModuleModel.updateOne({ _id: last.id }, { $set: { archived: true } });
    expect(await CertificateModel.countDocuments({ userId: user.id })).to.equal(0);

    const before = issued.length;
    const now = new Date('2027-03-01T10:00:00Z');
    const [repair, otherRepair, sentAgain] = await Promise.all([
      issueAllCertificatesDue(now),
      issueAllCertificatesDue(now),
      completeModule({ actor: actorOf(user), moduleId: modules[0]!.id, input: {}, now }),
    ]);
    const certificates = await CertificateModel.find({ userId: user.id }).lean();
    expect(certificates).to.have.length(1);
    expect(issued.slice(before).filter((id) => id === String(certificates[0]!._id))).to.have.length(1);
    expect(sentAgain.alreadyCompleted).to.equal(true);
    expect(repair + otherRepair + (sentAgain.certificate ? 1 : 0)).to.be.at.least(1);
    expect(await issueAllCertificatesDue(now)).to.equal(0);
    const copy = await EnrolmentModel.findOne({ userId: user.id, cohortId: cohort.id }).lean();
    expect(String(copy!.certificate?.certificateId)).to.equal(String(certificates[0]!._id));
  });

  it('her completion sent again issues the certificate an archive left due, and answers it', async () => {
    const { programme, modules, user } = await finishedProgramme('aspiring-leader');
    const last = await buildModule(programme.id);
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    await ModuleModel.updateOne({ _id: last.id }, { $set: { archived: true } });
    const again = await supertest(app)
      .post(`/api/v1/modules/${modules[1]!.id}/completion`)
      .set({ Authorization: `Bearer ${await tokenFor(user)}` })
      .send({})
      .expect(200);
    expect(again.body).to.include({ alreadyCompleted: true });
    expect(again.body.certificate?.verificationCode).to.match(/^PW-/);
    expect(await CertificateModel.countDocuments({ userId: user.id })).to.equal(1);
  });

  it('a governing-board programme whose validity is cleared (null) keeps its track’s 36 months, and says so: the API, its page and its certificates agree', async () => {
    const { programme, modules, user } = await finishedProgramme('governing-board');
    const admin = await buildUser({ roles: ['admin'] });
    const auth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    const patched = await supertest(app)
      .patch(`/api/v1/programmes/${programme.id}`)
      .set(auth)
      .send({ certificateValidityMonths: null })
      .expect(200);
    expect(patched.body.certificateValidityMonths).to.equal(36);
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    const certificate = (await CertificateModel.findOne({ userId: user.id }).lean())!;
    const months = (certificate.expiresAt!.getTime() - certificate.issuedAt.getTime()) / (30.4 * 86_400_000);
    expect(Math.round(months)).to.equal(36);
    const page = await (await signIn(app, user.email, testPassword)).get(`/programmes/${programme.id}`).expect(200);
    expect(page.text).to.include('Certificates of this programme are valid for 36 months');
  });

  it('an erased member is issued no certificate when what she had left is archived (nor by the hourly repair): none would check as valid', async () => {
    const { modules, user } = await finishedProgramme();
    await completeModule({ actor: actorOf(user), moduleId: modules[0]!.id, input: {}, now: new Date() });
    const admin = await buildUser({ roles: ['admin'] });
    await eraseAccount({ actor: { id: admin.id, name: admin.name }, userId: user.id, bySelf: false });
    await setModuleArchived({ actor: actorOf(admin), moduleId: modules[1]!.id, archived: true });
    await issueAllCertificatesDue(new Date());
    expect(await CertificateModel.countDocuments({ userId: user.id, revokedAt: null })).to.equal(0);
  });

  it('a certificate left announcing by a stopped process whose holder was erased since is revoked by the repair, never announced', async () => {
    const { modules, user } = await finishedProgramme();
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    const certificate = (await CertificateModel.findOne({ userId: user.id }).lean())!;
    // As the issuer left it: inserted, not yet announced, and her erasure (whose revocation ran before the insert).
    await CertificateModel.updateOne({ _id: certificate._id }, { $set: { announcing: true, revokedAt: null } });
    await UserModel.updateOne({ _id: user.id }, { $set: { status: 'erased' } });
    expect(await announceInterruptedCertificates({ now: new Date(Date.now() + 1000), graceMs: 0 })).to.equal(1);
    const after = (await CertificateModel.findById(certificate._id).lean())!;
    expect(after.revokedAt).to.be.instanceOf(Date);
    expect(after.announcing).to.equal(undefined);
  });

  it('a revoked certificate is not printed, and the refusal dates its revocation on the reader’s calendar, zone named', async () => {
    const { modules, user } = await finishedProgramme();
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    const certificate = (await CertificateModel.findOne({ userId: user.id }).lean())!;
    // 23:30 on 2 March in New York is 3 March in UTC.
    await CertificateModel.updateOne(
      { _id: certificate._id },
      { $set: { revokedAt: new Date('2027-03-03T04:30:00Z') } },
    );
    const admin = await buildUser({ roles: ['admin'], timezone: 'America/New_York' });
    const refused = await (
      await signIn(app, admin.email, testPassword)
    )
      .get(`/certificates/${String(certificate._id)}/download`)
      .expect(409);
    expect(refused.text).to.include('revoked on 2 March 2027 (America/New_York)');
  });

  it('she lists her certificates through the API and downloads the PDF; nobody else can download it', async () => {
    const { modules, user } = await finishedProgramme();
    for (const m of modules) await completeModule({ actor: actorOf(user), moduleId: m.id, input: {}, now: new Date() });
    const mine = await supertest(app)
      .get('/api/v1/me/certificates')
      .set({ Authorization: `Bearer ${await tokenFor(user)}` })
      .expect(200);
    expect(mine.body).to.have.length(1);
    expect(mine.body[0]).to.include.keys('id', 'programmeId', 'track', 'issuedAt', 'expiresAt', 'verificationCode');
    const agent = await signIn(app, user.email, testPassword);
    const list = await agent.get('/certificates').expect(200);
    expect(list.text).to.include(mine.body[0].verificationCode);
    const pdf = await agent
      .get(`/certificates/${mine.body[0].id}/download`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(pdf.headers['content-type']).to.equal('application/pdf');
    expect((pdf.body as Buffer).subarray(0, 5).toString()).to.equal('%PDF-');
    const other = await buildUser();
    const otherAgent = await signIn(app, other.email, testPassword);
    await otherAgent.get(`/certificates/${mine.body[0].id}/download`).expect(404);
    const otherList = await supertest(app)
      .get('/api/v1/me/certificates')
      .set({ Authorization: `Bearer ${await tokenFor(other)}` })
      .expect(200);
    expect(otherList.body).to.deep.equal([]);
  });

  it('prints every holder’s name as it is spelt, in Vietnamese, Polish, Māori, Greek, Cyrillic, Arabic and Hebrew letters', async () => {
    // Helvetica, pdfkit's built-in font, holds Western European letters only: "Nguyễn" printed as "Nguy" and junk.
    const names = ['Nguyễn Thị Hương', 'Łucja Wąsowska-Ngāti', 'Ἀθηνᾶ Ольга Петрова', 'زينب الحسن', 'שרה לוי'];
    const programme = await buildProgramme({ track: 'aspiring-leader', title: 'Kaiārahi: leading as a new head' });
    const modules = [await buildModule(programme.id)];
    for (const name of names) {
      const holder = await buildUser({ name });
      await enrol(holder.id, (await buildCohort(programme.id)).id, programme.id);
      const pdf = await certificatePdfOf(holder, modules);
      const lines = (await pdfText(pdf)).split('\n');
      expect(lines, name).to.include(name);
      expect(lines).to.include('Kaiārahi: leading as a new head');
      expect(lines.join('\n')).to.not.include('\u0000');
    }
  });

  it('prints names in Chinese, Japanese, Korean, Hindi, Bengali, Tamil and Thai letters, mixed with Latin too, and stays small', async () => {
    // DejaVu Sans has none of these letters: each printed as an empty box (U+0000 read back) until the Noto fallbacks.
    const exact = ['王秀英', '山田花子', '김지은', 'கவிதா சுப்பிரமணியம்', 'สมศรี ใจดี', 'Grace 王秀英 Bennett'];
    // Devanagari and Bengali are shaped: a vowel sign drawn before its consonant (ि) and a reph (र्) drawn over the
    // letter after it come back from pdf.js where they are drawn, not where they are typed, and it may put a space at
    // a gap inside a word, and a glyph that is part of a conjunct and no letter of its own (Bengali's র-phala) as a
    // control character. The name is then the same letters in another order; the line's ActualText, which Acrobat and
    // screen readers read and copy, is the name as typed.
    const shaped = ['प्रिया शर्मा', 'রবীন্দ্রনাথ ঠাকুর'];
    const letters = (text: string) => [...text.replace(/[\s\p{Cc}]/gu, '')].sort().join('');
    // A programme title mixing Japanese and Latin letters prints on a bold line: the fallback font is drawn bold too.
    const title = 'リーダーシップ: leading as a new head';
    const programme = await buildProgramme({ track: 'aspiring-leader', title });
    const modules = [await buildModule(programme.id)];
    for (const name of [...exact, ...shaped]) {
      const holder = await buildUser({ name });
      await enrol(holder.id, (await buildCohort(programme.id)).id, programme.id);
      const pdf = await certificatePdfOf(holder, modules);
      const text = await pdfText(pdf);
      expect(text, name).to.not.include('\u0000');
      const lines = text.split('\n');
      expect(lines, name).to.include(title);
      const read = await pdfAccessibility(pdf);
      expect(read.unmarked, name).to.equal(0);
      const nameLine = read.structure[3]!;
      expect(nameLine.role).to.equal('P');
      if (exact.includes(name)) expect(lines, name).to.include(name);
      else {
        expect(letters(nameLine.text), name).to.equal(letters(name));
        expect(nameLine.actualText, name).to.equal(name);
      }
      // pdfkit embeds only the glyphs used, of each font: a certificate stays a small download.
      expect(pdf.length, name).to.be.below(200_000);
    }
  });

  it('a certificate PDF is tagged for screen readers: English, its title shown, a heading and paragraphs in reading order, the border left out', async () => {
    const { programme, modules, user } = await finishedProgramme();
    const pdf = await certificatePdfOf(user, modules);
    const code = (await CertificateModel.findOne({ userId: user.id }).lean())!.verificationCode;
    const read = await pdfAccessibility(pdf);
    expect(read).to.include({ tagged: true, language: 'en-GB', title: `Certificate: ${programme.title}` });
    expect(read.showsTitle, 'viewers show the title, not the file name').to.equal(true);
    expect(read.unmarked, 'everything drawn is either structure or a marked decoration').to.equal(0);
    expect(read.structure.slice(0, 5)).to.deep.equal([
      { role: 'P', text: 'PATHWAYS · LEADING WOMEN TO HEADSHIP' },
      { role: 'H1', text: 'Certificate of completion' },
      { role: 'P', text: 'This certifies that' },
      { role: 'P', text: 'Grace Bennett' },
      { role: 'P', text: 'has completed the programme' },
    ]);
    expect(read.structure.at(-2)).to.deep.equal({ role: 'P', text: `Verification code: ${code}` });
    // Every line of print is in the structure: nothing a screen reader would skip, nothing it reads twice.
    const printed = (await pdfText(pdf)).split('\n').filter((text) => text.trim());
    expect(read.structure.map((element) => element.text)).to.deep.equal(printed);
  });

  it('a certificate of a programme and holder named with "&" and "<" carries well-formed XMP metadata, title and subject as typed there and in the Info dictionary', async () => {
    // pdfkit wrote Title and Subject into the XMP packet unescaped, so XMP readers refused the metadata PDF/UA requires.
    const title = 'Leadership & Management <2027>';
    const name = 'Siobhán O’Brien & Ana <Ngata> \\ x';
    const programme = await buildProgramme({ track: 'aspiring-leader', title });
    const modules = [await buildModule(programme.id)];
    const holder = await buildUser({ name });
    await enrol(holder.id, (await buildCohort(programme.id)).id, programme.id);
    const pdf = await certificatePdfOf(holder, modules);
    expect(pdfXmp(pdf)).to.deep.equal({
      title: `Certificate: ${title}`,
      description: `Certificate of completion for ${name}`,
      creators: ['Pathways'],
    });
    expect((await pdfAccessibility(pdf)).title, 'the Info dictionary, not escaped twice').to.equal(
      `Certificate: ${title}`,
    );
  });

  describe('certificate times are shown in the reader’s zone, named', () => {
    // 20:07 UTC on Thursday 3 December is 01:37 on Friday 4 December in Kolkata: a UTC calendar date is a day off.
    const passedAt = new Date('2026-12-03T20:07:00Z');
    const inKolkata = {
      issued: 'Friday 4 December 2026, 01:37 GMT+5:30 (Asia/Kolkata)',
      expires: 'Tuesday 4 December 2029, 01:37 GMT+5:30 (Asia/Kolkata)',
    };

    async function kolkataCertificate() {
      const programme = await buildProgramme({ track: 'governing-board' });
      const modules = [await buildModule(programme.id), await buildModule(programme.id)];
      const holder = await buildUser({ name: 'Ananya Rao', timezone: 'Asia/Kolkata' });
      await enrol(holder.id, (await buildCohort(programme.id)).id, programme.id);
      let code = '';
      for (const m of modules)
        code =
          (await completeModule({ actor: actorOf(holder), moduleId: m.id, input: {}, now: passedAt })).certificate
            ?.verificationCode ?? code;
      const certificate = await CertificateModel.findOne({ verificationCode: code }).lean();
      return { holder, code, id: String(certificate!._id) };
    }

    it('when a participant in Asia/Kolkata opens her certificates, issue and expiry are her local times, zone named', async () => {
      const { holder, code } = await kolkataCertificate();
      const page = await (await signIn(app, holder.email, testPassword)).get('/certificates').expect(200);
      expect(page.text).to.include(inKolkata.issued).and.include(inKolkata.expires).and.include(code);
      expect(page.text).to.not.include('3 December 2026').and.not.include('(UTC)');
    });

    it('her certificate PDF gives her local times, zone named, whether she or an admin downloads it', async () => {
      const { holder, id } = await kolkataCertificate();
      const admin = await buildUser({ roles: ['admin'], timezone: 'America/New_York' });
      for (const reader of [holder, admin]) {
        const agent = await signIn(app, reader.email, testPassword);
        const pdf = await agent.get(`/certificates/${id}/download`).buffer(true).parse(binaryBody).expect(200);
        const text = await pdfText(pdf.body as Buffer);
        expect(text).to.include(`Issued on ${inKolkata.issued}`);
        expect(text).to.include(`Valid until ${inKolkata.expires}`);
        expect(text).to.not.include('3 December');
      }
    });

    it('the public check page names UTC for an anonymous reader and uses a signed-in reader’s own zone; the API keeps ISO instants', async () => {
      const { holder, code } = await kolkataCertificate();
      const anonymous = await supertest(app).get(`/certificates/verify/${code}`).expect(200);
      expect(anonymous.text).to.include('Thursday 3 December 2026, 20:07 UTC (UTC)');
      expect(anonymous.text).to.include('Monday 3 December 2029, 20:07 UTC (UTC)');
      expect(anonymous.text).to.not.include('Asia/Kolkata');
      const panelChair = await buildUser({ timezone: 'America/New_York' });
      const signedIn = await (
        await signIn(app, panelChair.email, testPassword)
      )
        .get(`/certificates/verify/${code}`)
        .expect(200);
      expect(signedIn.text).to.include('Thursday 3 December 2026, 15:07 EST (America/New_York)');
      const verified = await supertest(app).get(`/api/v1/certificates/verify/${code}`).expect(200);
      expect(verified.body).to.include({ issuedAt: '2026-12-03T20:07:00.000Z', expiresAt: '2029-12-03T20:07:00.000Z' });
      const mine = await supertest(app)
        .get('/api/v1/me/certificates')
        .set({ Authorization: `Bearer ${await tokenFor(holder)}` })
        .expect(200);
      expect(mine.body[0]).to.include({ issuedAt: '2026-12-03T20:07:00.000Z', expiresAt: '2029-12-03T20:07:00.000Z' });
    });
  });
});
