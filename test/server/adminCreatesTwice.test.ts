import { expect } from 'chai';
import supertest from 'supertest';
import { BoardModel } from '../../models/Board.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { ExternalCertificateModel } from '../../models/ExternalCertificate.ts';
import { ModuleModel } from '../../models/Module.ts';
import { NetworkModel } from '../../models/Network.ts';
import { PledgeCommitmentOptionModel } from '../../models/PledgeCommitmentOption.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { buildBoard } from '../support/boardsFactories.ts';
import { buildProgramme } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';

/**
 * A double-click on an admin's create form, or a retried API create with its Idempotency-Key, makes one board,
 * programme, module, cohort, network, Pledge commitment option or external certificate (server/submissions.ts),
 * answered alike.
 */
describe('creates sent twice: boards, programmes, modules, cohorts, networks, Pledge options, external certificates', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
  });
  const submissionOf = (html: string) => {
    const found = /name="_submission" value="([^"]+)"/.exec(html);
    if (!found) throw new Error('the form carries no _submission key');
    return found[1]!;
  };

  /** Loads the form's page, then posts it twice at once, as a double-click does. */
  async function doubleClick(page: string, action: string, fields: Record<string, string>) {
    const agent = await signIn(app, admin.email, testPassword);
    const html = (await agent.get(page).expect(200)).text;
    const form = { _csrf: await csrfOf(agent, page), _submission: submissionOf(html), ...fields };
    const answers = await Promise.all([1, 2].map(() => agent.post(action).type('form').send(form)));
    expect(answers.map((a) => a.status)).to.deep.equal([303, 303]);
    expect(answers[0]!.headers.location).to.equal(answers[1]!.headers.location);
    return answers[0]!.headers.location as string;
  }

  it('a double-clicked create form makes one board, one programme, one network, one commitment option', async () => {
    await doubleClick('/boards', '/boards', { name: 'Hillside governors', organisation: 'Hillside Primary' });
    expect(await BoardModel.countDocuments({ name: 'Hillside governors' })).to.equal(1);
    await doubleClick('/programmes/new', '/programmes', {
      title: 'Twice-clicked programme',
      track: 'aspiring-leader',
      summary: 'Clicked twice.',
      status: 'draft',
      certificateValidityMonths: '',
    });
    expect(await ProgrammeModel.countDocuments({ title: 'Twice-clicked programme' })).to.equal(1);
    const network = await doubleClick('/networks/new', '/networks', {
      name: 'Twice-clicked network',
      kind: 'interest',
      joining: 'open',
      description: 'Clicked twice.',
      country: '',
    });
    const created = await NetworkModel.findOne({ name: 'Twice-clicked network' }).lean();
    expect(network).to.equal(`/networks/${String(created!._id)}`);
    await doubleClick('/admin/pledge/commitments', '/admin/pledge/commitments', { title: 'Twice-clicked option' });
    expect(await PledgeCommitmentOptionModel.countDocuments({ title: 'Twice-clicked option' })).to.equal(1);
  });

  it('a double-clicked "New cohort" form makes one cohort, and both clicks lead to it', async () => {
    const programme = await buildProgramme();
    const cohort = await doubleClick('/cohorts/new', '/cohorts', {
      programmeId: String(programme._id),
      name: 'Twice-clicked cohort',
      capacity: '20',
      timezone: 'Europe/London',
      startsOn: '2027-01-10',
      endsOn: '2027-06-30',
      facilitatorIds: admin.id,
      attendanceThreshold: '75',
      lateAfterMinutes: '10',
    });
    const created = await CohortModel.find({ name: 'Twice-clicked cohort' }).lean();
    expect(created).to.have.length(1);
    expect(cohort).to.equal(`/cohorts/${String(created[0]!._id)}`);
  });

  it('a double-clicked "Add module" form adds one module, and an edit later keeps it found as that create', async () => {
    const programme = await buildProgramme();
    const page = `/programmes/${String(programme._id)}/modules/new`;
    const fields = { title: 'Twice-clicked module', body: 'Read this.', estimatedMinutes: '10', action: 'save' };
    await doubleClick(page, `/programmes/${String(programme._id)}/modules`, fields);
    const added = await ModuleModel.find({ programmeId: programme._id }).lean();
    expect(added.map((m) => m.title)).to.deep.equal(['Twice-clicked module']);

    // Over the API: two copies under one key are one module, answered 201 with it; an edit of it keeps its key.
    const auth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    const body = { title: 'API module', body: 'Read this too.', estimatedMinutes: 5, completion: { type: 'view' } };
    const send = () =>
      supertest(app)
        .post(`/api/v1/programmes/${String(programme._id)}/modules`)
        .set(auth)
        .set('Idempotency-Key', 'module-key-01')
        .send(body);
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((a) => a.status)).to.deep.equal([201, 201]);
    expect(answers[0]!.body.id).to.equal(answers[1]!.body.id);
    await supertest(app)
      .patch(`/api/v1/modules/${answers[0]!.body.id as string}`)
      .set(auth)
      .send({ title: 'API module, edited' })
      .expect(200);
    const again = await send();
    expect([again.status, again.body.id]).to.deep.equal([201, answers[0]!.body.id]);
    expect(await ModuleModel.countDocuments({ programmeId: programme._id })).to.equal(2);
  });

  it('the board form sent back with a changed name under the same key says it was already sent and links to the board', async () => {
    const agent = await signIn(app, admin.email, testPassword);
    const html = (await agent.get('/boards').expect(200)).text;
    const form = { _csrf: await csrfOf(agent, '/boards'), _submission: submissionOf(html), organisation: 'Oak School' };
    const first = await agent
      .post('/boards')
      .type('form')
      .send({ ...form, name: 'Oak governors' })
      .expect(303);
    const again = await agent
      .post('/boards')
      .type('form')
      .send({ ...form, name: 'Oak governing board' })
      .expect(422);
    expect(again.text).to.include('This form was already sent');
    // Her changes were refused: the title, read first when the page loads, says so as on any refused form.
    expect(again.text).to.include('<title>Error: This form was already sent · Pathways</title>');
    expect(again.text).to.include(`href="${first.headers.location as string}"`);
    expect(await BoardModel.countDocuments({ organisation: 'Oak School' })).to.equal(1);
  });

  it('a double-clicked certificate form on the board page records one certificate', async () => {
    const [chair, governor] = [await buildUser({ roles: ['governor'] }), await buildUser({ roles: ['governor'] })];
    const board = await buildBoard([
      { user: chair, role: 'chair' },
      { user: governor, role: 'governor' },
    ]);
    const agent = await signIn(app, chair.email, testPassword);
    const page = `/boards/${board.id}`;
    const html = (await agent.get(page).expect(200)).text;
    const certificateForm = html.slice(html.indexOf(`action="${page}/external-certificates"`));
    const csrf = await csrfOf(agent, page);
    const send = () =>
      agent
        .post(`${page}/external-certificates`)
        .field('_csrf', csrf)
        .field('_submission', submissionOf(certificateForm))
        .field('userId', governor.id)
        .field('provider', 'Safer Recruitment Consortium')
        .field('completedOn', '2025-09-01');
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((a) => a.status)).to.deep.equal([303, 303]);
    expect(await ExternalCertificateModel.countDocuments({ userId: governor.id })).to.equal(1);
  });

  it('the API creates with the same Idempotency-Key twice at once make one record, both answered 201 with it', async () => {
    const auth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    const twice = async (path: string, body: object, key: string) => {
      const answers = await Promise.all(
        [1, 2].map(() => supertest(app).post(`/api/v1${path}`).set(auth).set('Idempotency-Key', key).send(body)),
      );
      expect(
        answers.map((a) => a.status),
        JSON.stringify(answers.map((a) => a.body)),
      ).to.deep.equal([201, 201]);
      expect(answers[0]!.body.id).to.equal(answers[1]!.body.id);
    };
    await twice('/boards', { name: 'API board', organisation: 'API School' }, 'board-key-01');
    expect(await BoardModel.countDocuments({ name: 'API board' })).to.equal(1);
    await twice('/programmes', { title: 'API programme', track: 'new-head', summary: 'Once.' }, 'programme-key-01');
    expect(await ProgrammeModel.countDocuments({ title: 'API programme' })).to.equal(1);
    const programme = await buildProgramme();
    const cohort = {
      programmeId: String(programme._id),
      name: 'API cohort',
      capacity: 12,
      timezone: 'Europe/London',
      startsOn: '2027-01-10',
      endsOn: '2027-06-30',
      facilitatorIds: [admin.id],
    };
    await twice('/cohorts', cohort, 'cohort-key-01');
    expect(await CohortModel.countDocuments({ name: 'API cohort' })).to.equal(1);
    await twice('/networks', { name: 'API network', kind: 'interest', joining: 'open' }, 'network-key-01');
    expect(await NetworkModel.countDocuments({ name: 'API network' })).to.equal(1);
    const governor = await buildUser({ roles: ['governor'] });
    await twice(
      '/external-certificates',
      { userId: governor.id, provider: 'API provider', completedOn: '2025-09-01' },
      'certificate-key-01',
    );
    expect(await ExternalCertificateModel.countDocuments({ userId: governor.id })).to.equal(1);
    // Another network under another key with the same name is still refused as a duplicate name.
    const clash = await supertest(app)
      .post('/api/v1/networks')
      .set(auth)
      .set('Idempotency-Key', 'network-key-02')
      .send({ name: 'API network', kind: 'interest', joining: 'open' });
    expect(clash.status).to.equal(409);
  });
});
