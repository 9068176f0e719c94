import { expect } from 'chai';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

describe('networks: pages', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let lead: TestUser;
  let member: TestUser;
  let asker: TestUser;

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    lead = await buildUser({ name: 'Lead Lina' });
    member = await buildUser({ name: 'Member Mei' });
    asker = await buildUser({ name: 'Asker Amal' });
  });

  it('the admin form shows field errors (422) and keeps what she typed; a valid form creates the network', async () => {
    const agent = await signIn(app, admin.email, testPassword);
    const bad = await agent
      .post('/networks')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/networks/new'),
        name: '',
        kind: 'interest',
        joining: 'open',
        region: 'Kept',
      })
      .expect(422);
    expect(bad.text).to.include('There is a problem');
    expect(bad.text).to.include('value="Kept"');
    expect(bad.text).to.match(/id="field-name"[^>]*aria-invalid="true"/);
    const ok = await agent
      .post('/networks')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/networks/new'),
        name: 'Headship applications',
        kind: 'interest',
        joining: 'approval',
        description: 'Preparing applications and interviews.',
        country: '',
      })
      .expect(303);
    const created = await NetworkModel.findOne({ name: 'Headship applications' }).lean();
    expect(ok.headers.location).to.equal(`/networks/${String(created!._id)}`);
    const participant = await signIn(app, member.email, testPassword);
    await participant.get('/networks/new').expect(403);
  });

  it('browses and searches networks with member counts', async () => {
    await buildNetwork(
      { name: 'WomenEd Canada', kind: 'regional', country: 'CA' },
      { leads: [lead], members: [member] },
    );
    await buildNetwork({ name: 'Flexible working network', kind: 'interest' });
    const agent = await signIn(app, asker.email, testPassword);
    const all = await agent.get('/networks').expect(200);
    expect(all.text).to.include('WomenEd Canada');
    expect(all.text).to.include('2 members');
    const found = await agent.get('/networks?q=flexible&kind=interest&country=').expect(200);
    expect(found.text).to.include('Flexible working network');
    expect(found.text).to.not.include('WomenEd Canada');
  });

  it('she asks to join an approval network; the lead sees her in the queue, approves her, and she can post', async () => {
    const net = await buildNetwork({ joining: 'approval', name: 'Middle East leaders' }, { leads: [lead] });
    const amal = await signIn(app, asker.email, testPassword);
    const before = await amal.get(`/networks/${net.id}`).expect(200);
    expect(before.text).to.include('Ask to join');
    expect(before.text).to.include('Only members read');
    await amal
      .post(`/networks/${net.id}/join`)
      .type('form')
      .send({ _csrf: await csrfOf(amal, `/networks/${net.id}`) })
      .expect(303);
    expect((await amal.get(`/networks/${net.id}`)).text).to.include('Request sent');
    const lina = await signIn(app, lead.email, testPassword);
    const queue = await lina.get(`/networks/${net.id}`).expect(200);
    expect(queue.text).to.include('Requests to join');
    expect(queue.text).to.include('Asker Amal');
    await lina
      .post(`/networks/${net.id}/members/${asker.id}/approve`)
      .type('form')
      .send({ _csrf: await csrfOf(lina, `/networks/${net.id}`) })
      .expect(303);
    const empty = await amal
      .post(`/networks/${net.id}/posts`)
      .type('form')
      .send({ _csrf: await csrfOf(amal, `/networks/${net.id}`), kind: 'story', title: '', body: '' })
      .expect(422);
    expect(empty.text).to.include('There is a problem');
    const posted = await amal
      .post(`/networks/${net.id}/posts`)
      .type('form')
      .send({
        _csrf: await csrfOf(amal, `/networks/${net.id}`),
        kind: 'story',
        title: 'My first headship',
        body: 'It *worked*.',
      })
      .expect(303);
    const page = await amal.get(posted.headers.location!).expect(200);
    expect(page.text).to.include('<em>worked</em>');
    expect(await NetworkPostModel.countDocuments({ networkId: net.id })).to.equal(1);
  });

  it("a network's page names its leads and each post's author (one read of names for both)", async () => {
    const net = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    await NetworkPostModel.create({
      networkId: net.id,
      authorId: member.id,
      kind: 'story',
      title: 'A term of leading',
      body: 'What I learned.',
    });
    // Someone else reads it (an open network's posts are open to anyone signed in), so the name is the author's.
    const amal = await signIn(app, asker.email, testPassword);
    const page = await amal.get(`/networks/${net.id}`).expect(200);
    expect(page.text).to.include('Led by Lead Lina.');
    expect(page.text).to.include('A term of leading');
    expect(page.text).to.include(member.name);
  });

  it('a lead hides a post from its page with a reason; members no longer find it, the lead sees it marked', async () => {
    const net = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const post = await NetworkPostModel.create({
      networkId: net.id,
      authorId: member.id,
      kind: 'question',
      title: 'A question to hide',
      body: 'Body',
    });
    const lina = await signIn(app, lead.email, testPassword);
    const refused = await lina
      .post(`/posts/${String(post._id)}/hide`)
      .type('form')
      .send({ _csrf: await csrfOf(lina, `/posts/${String(post._id)}`), hideReason: '' })
      .expect(422);
    expect(refused.text).to.include('There is a problem');
    await lina
      .post(`/posts/${String(post._id)}/hide`)
      .type('form')
      .send({ _csrf: await csrfOf(lina, `/posts/${String(post._id)}`), hideReason: 'Off topic' })
      .expect(303);
    const mei = await signIn(app, member.email, testPassword);
    expect((await mei.get(`/networks/${net.id}`)).text).to.not.include('A question to hide');
    await mei.get(`/posts/${String(post._id)}`).expect(404);
    const leadView = await lina.get(`/networks/${net.id}`).expect(200);
    expect(leadView.text).to.include('A question to hide');
    expect(leadView.text).to.include('Hidden: Off topic');
  });
});
