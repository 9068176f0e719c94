import { expect } from 'chai';
import supertest from 'supertest';
import { PledgeProgressUpdateModel } from '../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { csrfFrom, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildCommitmentOption, confirmViaLink, organisationBody, signViaApi } from '../support/pledgeFactories.ts';

/** A double-clicked progress update is posted, and shown on the public page, once (server/submissions.ts). */
describe('pledge: a double-clicked progress update is posted once', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const submissionOf = (html: string) => /name="_submission" value="([^"]+)"/.exec(html)![1]!;

  it('the same form sent twice at once is one update (303 twice); a new page load posts again', async () => {
    const option = await buildCommitmentOption({ title: 'Bias training first' });
    const agent = supertest.agent(app);
    const body = organisationBody({ name: 'Twice School' });
    await confirmViaLink(agent, await signViaApi(app, body));
    const id = String((await PledgeSignatureModel.findOne({ email: body.email }).lean())!._id);
    const manage = `/pledge/signatures/${id}/manage`;
    await agent
      .post(`/pledge/signatures/${id}/commitments`)
      .type('form')
      .send({ _csrf: csrfFrom((await agent.get(manage).expect(200)).text), optionIds: [option.id] })
      .expect(303);
    const page = (await agent.get(manage).expect(200)).text;
    const form = {
      _csrf: csrfFrom(page),
      _submission: submissionOf(page),
      optionId: option.id,
      body: 'All panel members trained in March.',
    };
    const posted = await Promise.all(
      [1, 2].map(() => agent.post(`/pledge/signatures/${id}/updates`).type('form').send(form)),
    );
    expect(posted.map((p) => p.status)).to.deep.equal([303, 303]);
    expect(await PledgeProgressUpdateModel.countDocuments({ signatureId: id })).to.equal(1);
    const publicPage = (await supertest(app).get(`/pledge/organisations/${id}`).expect(200)).text;
    expect(publicPage.split('All panel members trained in March.').length - 1).to.equal(1);
    const again = (await agent.get(manage).expect(200)).text;
    await agent
      .post(`/pledge/signatures/${id}/updates`)
      .type('form')
      .send({ ...form, _csrf: csrfFrom(again), _submission: submissionOf(again) })
      .expect(303);
    expect(await PledgeProgressUpdateModel.countDocuments({ signatureId: id })).to.equal(2);
  });
});
