import { expect } from 'chai';
import supertest from 'supertest';
import { ProgrammeModel } from '../../models/Programme.ts';
import { csrfFrom, pageOpenedByTwoAdmins, testApp, versionFrom } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';
import { buildProgramme } from '../support/learningFactories.ts';

/** The version a form was opened at (its hidden field). */

describe('learning: a colleague’s save of a programme’s settings is never silently undone', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('an admin saving a settings form opened before another admin published the programme gets a 409 with her changes kept', async () => {
    const programme = await buildProgramme({ title: 'Panel training', status: 'draft' });
    const fields = { title: 'Panel training', summary: 'A programme for tests.', status: 'draft' };
    const { firstAgent, firstPage, secondAgent, secondPage } = await pageOpenedByTwoAdmins(
      app,
      `/programmes/${programme.id}/edit`,
    );
    await firstAgent
      .post(`/programmes/${programme.id}`)
      .type('form')
      .send({ _csrf: csrfFrom(firstPage.text), version: versionFrom(firstPage.text), ...fields, status: 'published' })
      .expect(303);
    // Her form still says draft: saving it would take the programme off line unseen.
    const mine = {
      _csrf: csrfFrom(secondPage.text),
      version: versionFrom(secondPage.text),
      ...fields,
      title: 'Panel training for governors',
    };
    const conflict = await secondAgent.post(`/programmes/${programme.id}`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('This programme was saved again after you opened it');
    expect(conflict.text).to.include('value="Panel training for governors"');
    expect((await ProgrammeModel.findById(programme.id).lean())!).to.include({
      title: 'Panel training',
      status: 'published',
    });
    await secondAgent
      .post(`/programmes/${programme.id}`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text), status: 'published' })
      .expect(303);
    expect((await ProgrammeModel.findById(programme.id).lean())!).to.include({
      title: 'Panel training for governors',
      status: 'published',
    });
  });

  it('the API: a PATCH naming the version it read is a 409 problem after a save by someone else; without one, the last write wins', async () => {
    const programme = await buildProgramme({ title: 'New heads' });
    const admin = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['admin'] }))}` };
    const read = await supertest(app).get(`/api/v1/programmes/${programme.id}`).set(admin).expect(200);
    expect(read.body.version).to.be.a('number');
    await supertest(app)
      .patch(`/api/v1/programmes/${programme.id}`)
      .set(admin)
      .send({ summary: 'Changed by a colleague.' })
      .expect(200);
    const stale = await supertest(app)
      .patch(`/api/v1/programmes/${programme.id}`)
      .set(admin)
      .send({ title: 'Renamed', version: read.body.version })
      .expect(409);
    expect(stale.type).to.equal('application/problem+json');
    expect((await ProgrammeModel.findById(programme.id).lean())!).to.include({ title: 'New heads' });
    const fresh = await supertest(app).get(`/api/v1/programmes/${programme.id}`).set(admin).expect(200);
    const saved = await supertest(app)
      .patch(`/api/v1/programmes/${programme.id}`)
      .set(admin)
      .send({ title: 'Renamed', version: fresh.body.version })
      .expect(200);
    expect(saved.body).to.include({ title: 'Renamed', summary: 'Changed by a colleague.' });
    expect(saved.body.version).to.equal(fresh.body.version + 1);
  });
});
