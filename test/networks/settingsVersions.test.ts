import { expect } from 'chai';
import { NetworkModel } from '../../models/Network.ts';
import { csrfFrom, pageOpenedByTwoAdmins, testApp, versionFrom } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/** The version a form was opened at (its hidden field). */

describe('networks: a colleague’s save of a network’s details is never silently undone', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('an admin saving a network form opened before another admin’s save gets a 409 with her changes kept, saved only when sent again', async () => {
    const network = await buildNetwork({ name: 'Women leading in Wales', joining: 'open' });
    const details = {
      name: 'Women leading in Wales',
      kind: 'interest',
      description: 'A test network.',
      country: '',
      region: '',
      joining: 'open',
    };
    const { firstAgent, firstPage, secondAgent, secondPage } = await pageOpenedByTwoAdmins(
      app,
      `/networks/${network.id}/edit`,
    );
    // The first makes joining need approval.
    await firstAgent
      .post(`/networks/${network.id}`)
      .type('form')
      .send({ _csrf: csrfFrom(firstPage.text), version: versionFrom(firstPage.text), ...details, joining: 'approval' })
      .expect(303);
    // The second, from the form she opened before, rewrites the description: her form still says "open".
    const mine = {
      _csrf: csrfFrom(secondPage.text),
      version: versionFrom(secondPage.text),
      ...details,
      description: 'Heads and deputies across Wales, meeting monthly.',
    };
    const conflict = await secondAgent.post(`/networks/${network.id}`).type('form').send(mine).expect(409);
    expect(conflict.text).to.include('This network was saved again after you opened it');
    expect(conflict.text).to.include('Heads and deputies across Wales, meeting monthly.</textarea>');
    expect((await NetworkModel.findById(network.id).lean())!).to.include({
      joining: 'approval',
      description: 'A test network.',
    });
    // Sent again from that page, knowing, it is saved.
    await secondAgent
      .post(`/networks/${network.id}`)
      .type('form')
      .send({ ...mine, _csrf: csrfFrom(conflict.text), version: versionFrom(conflict.text) })
      .expect(303);
    expect((await NetworkModel.findById(network.id).lean())!).to.include({
      description: 'Heads and deputies across Wales, meeting monthly.',
    });
  });
});
