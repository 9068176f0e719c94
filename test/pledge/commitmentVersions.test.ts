import { expect } from 'chai';
import supertest from 'supertest';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildCommitmentOption, confirmViaLink, organisationBody, signViaApi } from '../support/pledgeFactories.ts';

/** The version the commitments form was opened at (its hidden field). */
const versionOf = (html: string) => /<input type="hidden" name="version" value="([^"]*)">/.exec(html)![1]!;
const tickedIn = (html: string) =>
  [...html.matchAll(/<input type="checkbox" name="optionIds" value="([^"]+)" checked>/g)].map((m) => m[1]);

describe('pledge: one manager’s save of the commitments is never silently undone by another’s', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('a commitments form opened before a colleague’s save is a 409 with her ticks kept, saved only when sent again', async () => {
    const [mentoring, flexible, governors] = [
      await buildCommitmentOption({ title: 'Mentoring for aspiring heads' }),
      await buildCommitmentOption({ title: 'Flexible working for leaders' }),
      await buildCommitmentOption({ title: 'Bias training for governors' }),
    ];
    // The contact confirms from the email link; a colleague signs in with the organisation's account.
    const body = organisationBody();
    const contact = supertest.agent(app);
    await confirmViaLink(contact, await signViaApi(app, body));
    const id = String((await PledgeSignatureModel.findOne({ email: body.email }).lean())!._id);
    const colleague = await signIn(app, (await buildUser({ email: String(body.email) })).email, testPassword);
    const manage = `/pledge/signatures/${id}/manage`;
    const contactPage = await contact.get(manage).expect(200);
    const colleaguePage = await colleague.get(manage).expect(200);
    await contact
      .post(`/pledge/signatures/${id}/commitments`)
      .type('form')
      .send({ _csrf: csrfFrom(contactPage.text), version: versionOf(contactPage.text), optionIds: [mentoring.id] })
      .expect(303);
    // Her page showed no commitment chosen: saving it as it stands would drop the contact's choice unseen.
    const mine = {
      _csrf: csrfFrom(colleaguePage.text),
      version: versionOf(colleaguePage.text),
      optionIds: [flexible.id, governors.id],
    };
    const conflict = await colleague.post(`/pledge/signatures/${id}/commitments`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('Someone else saved this list of commitments after you opened it');
    expect(tickedIn(conflict.text)).to.have.members([flexible.id, governors.id]);
    const stored = () =>
      PledgeSignatureModel.findById(id)
        .lean()
        .then((s) => s!.commitments.map((c) => String(c.optionId)));
    expect(await stored()).to.deep.equal([mentoring.id]);
    await colleague
      .post(`/pledge/signatures/${id}/commitments`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionOf(conflict.text) })
      .expect(303);
    expect(await stored()).to.have.members([flexible.id, governors.id]);
  });
});
