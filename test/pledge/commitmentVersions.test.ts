import { expect } from 'chai';
import supertest from 'supertest';
import { PledgeCommitmentOptionModel } from '../../models/PledgeCommitmentOption.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { csrfFrom, pageOpenedByTwoAdmins, versionFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildCommitmentOption, confirmViaLink, organisationBody, signViaApi } from '../support/pledgeFactories.ts';

/** The version the commitments form was opened at (its hidden field). */
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
      .send({ _csrf: csrfFrom(contactPage.text), version: versionFrom(contactPage.text), optionIds: [mentoring.id] })
      .expect(303);
    // Her page showed no commitment chosen: saving it as it stands would drop the contact's choice unseen.
    const mine = {
      _csrf: csrfFrom(colleaguePage.text),
      version: versionFrom(colleaguePage.text),
      optionIds: [flexible.id, governors.id],
    };
    const conflict = await colleague.post(`/pledge/signatures/${id}/commitments`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('This list of commitments was saved again after you opened it');
    expect(tickedIn(conflict.text)).to.have.members([flexible.id, governors.id]);
    const stored = () =>
      PledgeSignatureModel.findById(id)
        .lean()
        .then((s) => s!.commitments.map((c) => String(c.optionId)));
    expect(await stored()).to.deep.equal([mentoring.id]);
    await colleague
      .post(`/pledge/signatures/${id}/commitments`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text) })
      .expect(303);
    expect(await stored()).to.have.members([flexible.id, governors.id]);
  });

  it('an admin editing a commitment option from a page opened before another admin’s edit gets a 409 with her text kept', async () => {
    const option = await buildCommitmentOption({ title: 'Bias training for panels' });
    const formOf = (html: string) =>
      new RegExp(`<form[^>]*action="/admin/pledge/commitments/${option.id}"[\\s\\S]*?</form>`).exec(html)![0];
    const { firstAgent, firstPage, secondAgent, secondPage } = await pageOpenedByTwoAdmins(
      app,
      '/admin/pledge/commitments',
    );
    await firstAgent
      .post(`/admin/pledge/commitments/${option.id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(firstPage.text),
        version: versionFrom(formOf(firstPage.text)),
        title: 'Bias training for panels',
        active: '',
      })
      .expect(303);
    // Her form still shows it offered: saving her new wording would offer the retired option again, unseen.
    const mine = {
      _csrf: csrfFrom(secondPage.text),
      version: versionFrom(formOf(secondPage.text)),
      title: 'Bias training for every interview panel',
      active: 'yes',
    };
    const conflict = await secondAgent
      .post(`/admin/pledge/commitments/${option.id}`)
      .type('form')
      .send(mine)
      .expect(409);
    expect(conflict.text).to.include('This commitment was saved again after you opened it');
    expect(formOf(conflict.text)).to.include('value="Bias training for every interview panel"');
    expect((await PledgeCommitmentOptionModel.findById(option.id).lean())!).to.include({
      title: 'Bias training for panels',
      active: false,
    });
    await secondAgent
      .post(`/admin/pledge/commitments/${option.id}`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(formOf(conflict.text)) })
      .expect(303);
    expect((await PledgeCommitmentOptionModel.findById(option.id).lean())!).to.include({
      title: 'Bias training for every interview panel',
      active: true,
    });
  });
});
