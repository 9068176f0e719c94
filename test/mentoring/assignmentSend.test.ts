import { expect } from 'chai';
import supertest from 'supertest';
import { MentoringRequestModel } from '../../models/MentoringRequest.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { assignmentRefusals } from '../../server/services/mentoring/assignmentSend.ts';
import { acceptMentoringRequest, createMentoringRequest } from '../../server/services/mentoring/requests.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';

describe('mentoring: sending a reviewed assignment', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('when an admin sends pairs, each becomes a pending request on the mentee’s behalf; a pair a rule refuses is reported, not sent', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [m1, full] = [await buildMentor(), await buildMentor({ capacity: 1, freePlaces: 0 })];
    const [a, b] = [await buildMentee(), await buildMentee()];
    const res = await supertest(app)
      .post('/api/v1/mentoring/assignments')
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .send({
        items: [
          { menteeId: a.id, mentorId: m1.id, score: 80 },
          { menteeId: b.id, mentorId: full.id },
        ],
      })
      .expect(200);
    expect(res.body.items.map((i: { status: number }) => i.status)).to.deep.equal([201, 422]);
    const sent = (await MentoringRequestModel.findOne({ menteeId: a.id }).lean())!;
    expect(sent).to.include({ status: 'pending' });
    expect(String(sent.sentBy)).to.equal(admin.id);
    expect(await MentoringRequestModel.countDocuments({ menteeId: b.id })).to.equal(0);
  });

  it('when a mentee found a mentor herself after the admin reviewed the assignment, her pair is reported (409) and not sent: the assignment is for unmatched mentees', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [proposed, chosen] = [await buildMentor(), await buildMentor()];
    const mentee = await buildMentee();
    const token = await tokenFor(admin);
    const preview = await supertest(app)
      .post('/api/v1/mentoring/assignments/preview')
      .set({ Authorization: `Bearer ${token}` })
      .send({ menteeIds: [mentee.id] })
      .expect(200);
    expect(preview.body.items).to.have.length(1);
    // Meanwhile she asks a mentor herself, who accepts.
    const request = await createMentoringRequest({
      actor: { id: mentee.id, roles: ['participant'] },
      mentorId: chosen.id,
      message: 'Hello',
    });
    await acceptMentoringRequest({ actor: { id: chosen.id, roles: ['mentor'] }, requestId: String(request._id) });
    const res = await supertest(app)
      .post('/api/v1/mentoring/assignments')
      .set({ Authorization: `Bearer ${token}` })
      .send({ items: [{ menteeId: mentee.id, mentorId: proposed.id }] })
      .expect(200);
    expect(res.body.items[0]).to.include({ status: 409 });
    expect(res.body.items[0].detail).to.match(/has a mentor now/);
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id, mentorId: proposed.id })).to.equal(0);
  });

  it('when the admin sends the same reviewed pairs twice, the page names each pair not sent and says why in words about the mentee, not "you"', async () => {
    const adminUser = await buildUser({ roles: ['admin'] });
    const mentor = await buildMentor({ name: 'Una Serving' });
    const mentee = await buildMentee({ name: 'Vera Waiting' });
    const admin = await signIn(app, adminUser.email, testPassword);
    const items = [`${mentee.id}:${mentor.id}`];
    for (let i = 0; i < 2; i++)
      await admin
        .post('/mentoring/assignments')
        .type('form')
        .send({ _csrf: await csrfOf(admin, '/mentoring/assignments'), items })
        .expect(303);
    const page = (await admin.get('/mentoring/assignments').expect(200)).text;
    expect(page).to.include('0 requests sent on the mentees’ behalf. 1 not sent: Vera Waiting with Una Serving');
    expect(page).to.include('She already has a request waiting with this mentor.');
    expect(page).not.to.include('You already have');
  });

  it('when the admin sends a pair whose mentee or mentor an admin disabled since the review, that pair is reported as not sent (409, saying whose account) and no request reaches or is made for her', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [mentor, disabledMentor] = [await buildMentor(), await buildMentor()];
    const [disabledMentee, mentee] = [await buildMentee(), await buildMentee()];
    for (const who of [disabledMentee, disabledMentor])
      await updateUserAsAdmin({
        actor: { id: admin.id, name: admin.name },
        userId: who.id,
        changes: { status: 'disabled' },
      });
    const res = await supertest(app)
      .post('/api/v1/mentoring/assignments')
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .send({
        items: [
          { menteeId: disabledMentee.id, mentorId: mentor.id },
          { menteeId: mentee.id, mentorId: disabledMentor.id },
        ],
      })
      .expect(200);
    expect(res.body.items.map((i: { status: number }) => i.status)).to.deep.equal([409, 409]);
    expect(res.body.items[0].detail).to.equal(assignmentRefusals.menteeNotActive);
    expect(res.body.items[1].detail).to.equal(assignmentRefusals.mentorNotActive);
    expect(await MentoringRequestModel.countDocuments({ menteeId: { $in: [disabledMentee.id, mentee.id] } })).to.equal(
      0,
    );
  });

  it('when a mentee or mentor posts an assignment, it answers 403 and sends nothing', async () => {
    const mentee = await buildMentee();
    const mentor = await buildMentor();
    for (const who of [mentee, mentor])
      await supertest(app)
        .post('/api/v1/mentoring/assignments')
        .set({ Authorization: `Bearer ${await tokenFor(who)}` })
        .send({ items: [{ menteeId: mentee.id, mentorId: mentor.id }] })
        .expect(403);
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id })).to.equal(0);
  });

  it('the review page’s send button sends its pairs and says what happened', async () => {
    const adminUser = await buildUser({ roles: ['admin'] });
    await buildMentor();
    const mentee = await buildMentee();
    const admin = await signIn(app, adminUser.email, testPassword);
    const page = await admin.get('/mentoring/assignments').expect(200);
    expect(page.text).to.include(`${mentee.id}:`);
    const items = [...page.text.matchAll(/name="items" value="([0-9a-f:]+)"/g)].map((m) => m[1]);
    await admin
      .post('/mentoring/assignments')
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/mentoring/assignments'), items })
      .expect(303);
    expect((await admin.get('/mentoring/assignments').expect(200)).text).to.match(
      /requests? sent on the mentees’ behalf/,
    );
    expect(await MentoringRequestModel.countDocuments({ menteeId: mentee.id, status: 'pending' })).to.equal(1);
  });
});
