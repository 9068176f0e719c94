import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NetworkPostReportModel } from '../../models/NetworkPostReport.ts';
import { NetworkReplyModel } from '../../models/NetworkReply.ts';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { confirmationPage, dialogOf } from '../support/confirmation.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';
import { nameAllAuthors, nameKeyOf, rekeyNetworkNames } from '../../server/services/networks/index.ts';

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

  it('a name of only invisible characters (zero-width space, direction mark) or with a NUL is refused at the name field, and nothing is created', async () => {
    const agent = await signIn(app, admin.email, testPassword);
    const before = await NetworkModel.countDocuments({});
    for (const [name, said] of [
      ['\u200b\u200f ', 'only spaces or invisible characters'],
      ['Heads\u0000 network', 'control character'],
    ]) {
      const refused = await agent
        .post('/networks')
        .type('form')
        .send({
          _csrf: await csrfOf(agent, '/networks/new'),
          name,
          kind: 'interest',
          joining: 'open',
          description: 'Kept description.',
        })
        .expect(422);
      expect(refused.text).to.include('field-name-error').and.include(said);
      expect(refused.text).to.include('Kept description.');
    }
    expect(await NetworkModel.countDocuments({})).to.equal(before);
  });

  it('a name another network has (any case) is refused on the form with 409, shown at the name field with what she typed kept; an edit alike', async () => {
    await buildNetwork({ name: 'Governors who lead' });
    const other = await buildNetwork({ name: 'Trust leaders' });
    const agent = await signIn(app, admin.email, testPassword);
    const dup = await agent
      .post('/networks')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/networks/new'),
        name: 'GOVERNORS who lead',
        kind: 'interest',
        joining: 'open',
        region: 'Kept region',
      })
      .expect(409);
    expect(dup.text).to.include('There is a problem');
    expect(dup.text).to.include('another network already has this name');
    expect(dup.text).to.match(/id="field-name"[^>]*aria-invalid="true"/);
    expect(dup.text).to.include('value="GOVERNORS who lead"');
    expect(dup.text).to.include('value="Kept region"');
    const rename = await agent
      .post(`/networks/${other.id}`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/networks/${other.id}/edit`),
        name: 'Governors  who lead',
        kind: 'interest',
        joining: 'open',
      })
      .expect(409);
    expect(rename.text).to.include('another network already has this name');
    expect(rename.text).to.include('value="Governors  who lead"');
    expect((await NetworkModel.findById(other.id).lean())!.name).to.equal('Trust leaders');
  });

  it('a name another network has but for an invisible character (a zero-width space or joiner) is the same name: 409 at the name field, in the API and on the form', async () => {
    await buildNetwork({ name: 'Women leading in Quebec' });
    const auth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    for (const name of [
      'Women leading in Quebec\u200b',
      'Women leading in Que\u200dbec',
      '\ufeffwomen leading\u00a0in quebec',
    ]) {
      const res = await supertest(app)
        .post('/api/v1/networks')
        .set(auth)
        .send({ name, kind: 'national', description: 'x', joining: 'open' })
        .expect(409);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(name),
      ).to.deep.equal(['name']);
    }
    const agent = await signIn(app, admin.email, testPassword);
    const form = await agent
      .post('/networks')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/networks/new'),
        name: 'Women\u2060 leading in Quebec',
        kind: 'national',
        joining: 'open',
      })
      .expect(409);
    expect(form.text).to.include('another network already has this name');
    expect(form.text).to.match(/id="field-name"[^>]*aria-invalid="true"/);
    expect(await NetworkModel.countDocuments({ name: /quebec/i })).to.equal(1);
  });

  it('a name key stored before keys left out invisible characters is written again at start, so the same name with the character taken out is a 409; a key another network holds is reported, not taken', async () => {
    // The key as the earlier version wrote it: the zero-width characters kept.
    const earlierKey = (name: string) => name.normalize('NFC').trim().toLowerCase().replace(/\s+/g, ' ');
    const stored = async (name: string, nameKey = earlierKey(name)) =>
      NetworkModel.create({ name, nameKey, kind: 'national', joining: 'open', description: 'x', version: 4 });
    const older = await stored('WomenEd\u200b Scotland');
    const twin = await stored('Heads\u2060 of Wales');
    const sameLooking = await stored('Heads of Wales', nameKeyOf('Heads of Wales'));
    const plain = await stored('Trust leaders in Kent');
    const accented = await stored('Québec leaders', nameKeyOf('Québec leaders'));
    // Several processes starting at once: each key is written once.
    const [first, second] = await Promise.all([rekeyNetworkNames(), rekeyNetworkNames()]);
    expect(first.rekeyed + second.rekeyed).to.equal(1);
    expect(first.clashes).to.deep.equal([{ id: String(twin._id), keyHeldBy: String(sameLooking._id) }]);
    const keyOf = async (id: Types.ObjectId) => (await NetworkModel.findById(id).lean())!;
    expect(await keyOf(older._id)).to.include({ nameKey: 'womened scotland', version: 4 });
    expect((await keyOf(twin._id)).nameKey).to.equal(earlierKey('Heads\u2060 of Wales'));
    expect((await keyOf(plain._id)).nameKey).to.equal('trust leaders in kent');
    expect((await keyOf(accented._id)).nameKey).to.equal('québec leaders');
    // Started again, there is nothing to write.
    expect((await rekeyNetworkNames()).rekeyed).to.equal(0);
    const res = await supertest(app)
      .post('/api/v1/networks')
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .send({ name: 'WomenEd Scotland', kind: 'national', description: 'x', joining: 'open' })
      .expect(409);
    expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['name']);
  });

  it('an admin names a lead from the members page: the member she makes a lead is named on the network page and answers requests', async () => {
    const newcomer = await buildUser({ name: 'Nadia Newcomer' });
    const net = await buildNetwork({ joining: 'approval', name: 'Returners after a break' }, { members: [member] });
    const adminAgent = await signIn(app, admin.email, testPassword);
    const page = await adminAgent.get(`/networks/${net.id}/members`).expect(200);
    expect(page.text).to.include('Make lead');
    await adminAgent
      .post(`/networks/${net.id}/members/${member.id}/lead`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), from: 'members' })
      .expect(303)
      .expect('Location', `/networks/${net.id}/members`);
    const row = await NetworkMembershipModel.findOne({ networkId: net.id, userId: member.id }).lean();
    expect(row).to.include({ status: 'member', role: 'lead' });
    const mei = await signIn(app, member.email, testPassword);
    const led = await mei.get(`/networks/${net.id}`).expect(200);
    expect(led.text).to.include('Led by Member Mei.');
    expect(led.text).to.include('Requests to join');
    // Only admins name leads, and only members can be named (404 for anyone else, nothing written).
    const nadia = await signIn(app, newcomer.email, testPassword);
    await nadia
      .post(`/networks/${net.id}/members/${newcomer.id}/lead`)
      .type('form')
      .send({ _csrf: await csrfOf(nadia, `/networks/${net.id}`) })
      .expect(403);
    await adminAgent
      .post(`/networks/${net.id}/members/${newcomer.id}/lead`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(404);
    expect(await NetworkMembershipModel.countDocuments({ networkId: net.id, userId: newcomer.id })).to.equal(0);
  });

  it('an admin removes a lead from the members page: she stays a member and no longer leads; the last lead is offered no such button and posting it anyway is a 409 that changes nothing', async () => {
    const second = await buildUser({ name: 'Second Sana' });
    const net = await buildNetwork(
      { joining: 'approval', name: 'Leads who step down' },
      { leads: [lead, second], members: [member] },
    );
    const adminAgent = await signIn(app, admin.email, testPassword);
    const page = await adminAgent.get(`/networks/${net.id}/members`).expect(200);
    expect(page.text).to.include(`/networks/${net.id}/members/${second.id}/step-down`);
    expect(page.text).to.include('Remove as lead');
    // Only admins: a lead (or a member) cannot step another lead down.
    const lina = await signIn(app, lead.email, testPassword);
    await lina
      .post(`/networks/${net.id}/members/${second.id}/step-down`)
      .type('form')
      .send({ _csrf: await csrfOf(lina, `/networks/${net.id}`) })
      .expect(403);
    await adminAgent
      .post(`/networks/${net.id}/members/${second.id}/step-down`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    expect(await NetworkMembershipModel.findOne({ networkId: net.id, userId: second.id }).lean()).to.include({
      status: 'member',
      role: 'member',
    });
    expect((await adminAgent.get(`/networks/${net.id}`).expect(200)).text).to.include('Led by Lead Lina.');
    const after = await adminAgent.get(`/networks/${net.id}/members`).expect(200);
    expect(after.text).not.to.include('/step-down');
    await adminAgent
      .post(`/networks/${net.id}/members/${lead.id}/step-down`)
      .type('form')
      .send({ _csrf: csrfFrom(after.text) })
      .expect(409);
    expect(await NetworkMembershipModel.findOne({ networkId: net.id, userId: lead.id }).lean()).to.include({
      status: 'member',
      role: 'lead',
    });
    // Someone who is not a lead: 404, nothing written.
    await adminAgent
      .post(`/networks/${net.id}/members/${member.id}/step-down`)
      .type('form')
      .send({ _csrf: csrfFrom(after.text) })
      .expect(404);
    expect(await NetworkModel.findById(net.id).lean()).to.include({ memberCount: 3 });
  });

  it('an admin cannot step down the one lead whose account is active, leaving the network led only by a disabled account: no button, and posting it anyway is a 409 that changes nothing', async () => {
    const active = await buildUser({ name: 'Active Ama' });
    const absent = await buildUser({ name: 'Disabled Dora', status: 'disabled' });
    const net = await buildNetwork({ joining: 'approval' }, { leads: [active, absent] });
    const adminAgent = await signIn(app, admin.email, testPassword);
    const page = await adminAgent.get(`/networks/${net.id}/members`).expect(200);
    expect(page.text).not.to.include(`/networks/${net.id}/members/${active.id}/step-down`);
    await adminAgent
      .post(`/networks/${net.id}/members/${active.id}/step-down`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(409);
    expect(await NetworkMembershipModel.findOne({ networkId: net.id, userId: active.id }).lean()).to.include({
      status: 'member',
      role: 'lead',
    });
  });

  it('the member list marks a member an admin disabled ("account disabled") and offers no Make lead for her; posting it anyway is a 409 that changes nothing', async () => {
    const absent = await buildUser({ name: 'Dina Disabled', status: 'disabled' });
    const net = await buildNetwork(
      { joining: 'open', name: 'Members with a disabled account' },
      { leads: [lead], members: [absent] },
    );
    const adminAgent = await signIn(app, admin.email, testPassword);
    const page = await adminAgent.get(`/networks/${net.id}/members`).expect(200);
    expect(page.text).to.match(/Dina Disabled\s*<span class="badge badge-neutral">Account disabled<\/span>/);
    expect(page.text).not.to.include(`/members/${absent.id}/lead`);
    await adminAgent
      .post(`/networks/${net.id}/members/${absent.id}/lead`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(409);
    const row = await NetworkMembershipModel.findOne({ networkId: net.id, userId: absent.id }).lean();
    expect(row).to.include({ status: 'member', role: 'member' });
  });

  it('with no network yet, the list says so (and who creates them) rather than blaming a search nobody made', async () => {
    await NetworkModel.deleteMany({});
    const mei = await signIn(app, member.email, testPassword);
    expect((await mei.get('/networks').expect(200)).text)
      .to.include('There are no networks yet. An admin creates them.')
      .and.not.include('No network matches');
    expect((await mei.get('/networks?q=heads').expect(200)).text).to.include('No network matches');
    const adminView = await (await signIn(app, admin.email, testPassword)).get('/networks').expect(200);
    expect(adminView.text).to.include('There are no networks yet: create the first.');
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
    // A parameter the page does not know (a campaign link's) is left aside, not a reason to drop her search.
    const tagged = await agent.get('/networks?q=flexible&utm_source=newsletter').expect(200);
    expect(tagged.text).to.include('Flexible working network').and.not.include('WomenEd Canada');
    // A search it cannot read lists nothing rather than everything, with the reason at its field and her words kept.
    const refused = await agent.get(`/networks?kind=regional&q=${'w'.repeat(201)}`).expect(422);
    expect(refused.text).to.include('No network is listed until the search is corrected');
    expect(refused.text).to.include('must have at most 200 characters').and.include('w'.repeat(201));
    expect(refused.text).to.not.include('WomenEd Canada');
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

  it("a network's page names its leads and each post's author (from the copies kept on the network and the post)", async () => {
    const net = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    // Stored as before the copy of the author's name existed: the repair at start names it.
    await NetworkPostModel.create({
      networkId: net.id,
      authorId: member.id,
      kind: 'story',
      title: 'A term of leading',
      body: 'What I learned.',
    });
    await nameAllAuthors();
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

  it('an admin links cohorts through the network form; the links are stored and ticked when the form shows again', async () => {
    const spring = String((await buildCohort({ name: 'Spring cohort 2027' }))._id);
    const autumn = String((await buildCohort({ name: 'Autumn cohort 2027' }))._id);
    const ticked = (html: string, id: string) => new RegExp(`id="cohort-${id}"[^>]* checked`).test(html);
    const agent = await signIn(app, admin.email, testPassword);
    const blank = await agent.get('/networks/new').expect(200);
    expect(blank.text).to.include('Spring cohort 2027');
    const details = { name: 'Spring graduates', kind: 'interest', joining: 'open', description: 'After the course.' };
    const created = await agent
      .post('/networks')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/networks/new'), ...details, linkedCohortIds: spring })
      .expect(303);
    const network = (await NetworkModel.findOne({ name: 'Spring graduates' }).lean())!;
    const id = String(network._id);
    expect(created.headers.location).to.equal(`/networks/${id}`);
    expect(network.linkedCohortIds!.map(String)).to.deep.equal([spring]);
    const form = await agent.get(`/networks/${id}/edit`).expect(200);
    expect(ticked(form.text, spring)).to.equal(true);
    expect(ticked(form.text, autumn)).to.equal(false);

    await agent
      .post(`/networks/${id}`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/networks/${id}/edit`), ...details, linkedCohortIds: [autumn] })
      .expect(303);
    expect((await NetworkModel.findById(id).lean())!.linkedCohortIds!.map(String)).to.deep.equal([autumn]);
    const again = await agent.get(`/networks/${id}/edit`).expect(200);
    expect(ticked(again.text, spring)).to.equal(false);
    expect(ticked(again.text, autumn)).to.equal(true);

    const lina = await signIn(app, lead.email, testPassword);
    const refused = await lina
      .post(`/networks/${id}`)
      .type('form')
      .send({ _csrf: await csrfOf(lina, `/networks/${id}`), ...details, linkedCohortIds: [spring] })
      .expect(403);
    expect(refused.text).to.include('Not allowed');
    expect((await NetworkModel.findById(id).lean())!.linkedCohortIds!.map(String)).to.deep.equal([autumn]);
  });

  it('from the post page a member replies to a post and reports one; the reply is shown, the report reaches the lead', async () => {
    const net = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member] });
    const post = await NetworkPostModel.create({
      networkId: net.id,
      authorId: lead.id,
      kind: 'question',
      title: 'Who is going to the conference?',
      body: 'Tell us.',
    });
    const postPath = `/posts/${String(post._id)}`;
    const mei = await signIn(app, member.email, testPassword);
    const empty = await mei
      .post(`${postPath}/replies`)
      .type('form')
      .send({ _csrf: await csrfOf(mei, postPath), body: '' })
      .expect(422);
    expect(empty.text).to.include('There is a problem');
    const replied = await mei
      .post(`${postPath}/replies`)
      .type('form')
      .send({ _csrf: await csrfOf(mei, postPath), body: 'I am, *both* days.' })
      .expect(303);
    expect(replied.headers.location).to.equal(`${postPath}#replies-heading`);
    const page = await mei.get(postPath).expect(200);
    expect(page.text).to.include('1 reply');
    expect(page.text).to.include('<em>both</em> days');
    expect(await NetworkReplyModel.countDocuments({ postId: post._id, authorId: member.id })).to.equal(1);
    expect((await NetworkPostModel.findById(post._id).lean())!.replyCount).to.equal(1);

    await mei
      .post(`${postPath}/report`)
      .type('form')
      .send({ _csrf: await csrfOf(mei, postPath), reason: 'Asks for personal plans' })
      .expect(303);
    const report = await NetworkPostReportModel.findOne({ postId: post._id }).lean();
    expect(report).to.include({ reason: 'Asks for personal plans' });
    expect(String(report!.reporterId)).to.equal(member.id);
    const lina = await signIn(app, lead.email, testPassword);
    const leadsView = (await lina.get(`/networks/${net.id}`).expect(200)).text;
    expect(leadsView).to.include('Asks for personal plans');
    // Who reported is for admins: a lead's own words can be reported, and a report names nobody to its subject.
    expect(leadsView).to.include('<td>Shown to admins only</td>').and.not.include('<td>Member Mei</td>');
    const adminView = (await (await signIn(app, admin.email, testPassword)).get(`/networks/${net.id}`).expect(200))
      .text;
    expect(adminView).to.include('<td>Member Mei</td>');
  });

  it("a network's page shows its leads the ten newest reports and links to every report, 50 a page, newest first; members are refused the list", async () => {
    const net = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const post = await NetworkPostModel.create({
      networkId: net.id,
      authorId: member.id,
      kind: 'story',
      title: 'A much-reported story',
      body: 'Text.',
    });
    // 61 readers' reports, one a minute (ids in time order), the 61st the newest.
    const start = Math.floor(Date.now() / 1000) - 3600;
    await NetworkPostReportModel.insertMany(
      Array.from({ length: 61 }, (_, n) => ({
        _id: Types.ObjectId.createFromTime(start + n * 60),
        postId: post._id,
        networkId: net.id,
        reporterId: new Types.ObjectId(),
        reason: `Reason number ${n + 1}.`,
        createdAt: new Date((start + n * 60) * 1000),
      })),
    );
    const reasonsIn = (html: string) => [...html.matchAll(/<td>Reason number (\d+)\.<\/td>/g)].map((m) => Number(m[1]));
    const lina = await signIn(app, lead.email, testPassword);
    const networkPage = (await lina.get(`/networks/${net.id}`).expect(200)).text;
    expect(reasonsIn(networkPage)).to.deep.equal([61, 60, 59, 58, 57, 56, 55, 54, 53, 52]);
    expect(networkPage).to.include(`href="/networks/${net.id}/reports">Every report</a>`);

    const first = await lina.get(`/networks/${net.id}/reports`).expect(200);
    expect(reasonsIn(first.text)).to.deep.equal(Array.from({ length: 50 }, (_, n) => 61 - n));
    const older = /href="([^"]+)">Older reports/.exec(first.text)![1]!.replaceAll('&amp;', '&');
    const second = await lina.get(older).expect(200);
    expect(reasonsIn(second.text)).to.deep.equal(Array.from({ length: 11 }, (_, n) => 11 - n));
    expect(second.text).to.include('Newest reports').and.not.include('Older reports');
    // Who reported stays for admins only, here too.
    expect(second.text).to.include('<td>Shown to admins only</td>');
    await (await signIn(app, admin.email, testPassword)).get(`/networks/${net.id}/reports`).expect(200);

    const mei = await signIn(app, member.email, testPassword);
    await mei.get(`/networks/${net.id}/reports`).expect(403);
    expect((await mei.get(`/networks/${net.id}`).expect(200)).text).to.not.include('Reason number');
    await lina.get(`/networks/${net.id}/reports?cursor=not-a-cursor`).expect(422);
  });

  it('when her post is refused (a title too long, a body that is only unsafe HTML), it answers 422 on the network page with her text kept, and stores nothing', async () => {
    const net = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const mei = await signIn(app, member.email, testPassword);
    const send = async (fields: Record<string, string>) =>
      mei
        .post(`/networks/${net.id}/posts`)
        .type('form')
        .send({ _csrf: await csrfOf(mei, `/networks/${net.id}`), kind: 'question', ...fields });

    const longTitle = await send({ title: 'T'.repeat(201), body: 'Who has moved from deputy to head in a year?' });
    expect(longTitle.status).to.equal(422);
    expect(longTitle.text).to.include('There is a problem');
    expect(longTitle.text).to.include('Title: must be at most 200 characters');
    expect(longTitle.text).to.include('T'.repeat(201));
    expect(longTitle.text).to.include('Who has moved from deputy to head in a year?');

    const onlyScript = await send({ title: 'Interview questions', body: '<script>alert(1)</script>' });
    expect(onlyScript.status).to.equal(422);
    expect(onlyScript.text).to.include('There is a problem');
    expect(onlyScript.text).to.include('Your story or question: has nothing left once unsafe HTML is removed');
    expect(onlyScript.text).to.match(/id="field-body"[^>]*aria-describedby="[^"]*field-body-error/);
    expect(onlyScript.text).to.include('value="Interview questions"');
    expect(onlyScript.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;</textarea>');
    expect(await NetworkPostModel.countDocuments({ networkId: net.id })).to.equal(0);
  });

  it('when she may no longer post what she wrote (an announcement by a member, a member removed meanwhile), it answers 403 on the network page with her text kept', async () => {
    const net = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const mei = await signIn(app, member.email, testPassword);
    const csrf = await csrfOf(mei, `/networks/${net.id}`);
    const announcement = await mei
      .post(`/networks/${net.id}/posts`)
      .type('form')
      .send({
        _csrf: csrf,
        kind: 'announcement',
        title: 'Conference dates',
        body: 'Save 14 March for the regional day.',
      })
      .expect(403);
    expect(announcement.text).to.include('There is a problem');
    expect(announcement.text).to.include('Kind of post: Only the network’s leads can post announcements.');
    expect(announcement.text).to.include('value="Conference dates"');
    expect(announcement.text).to.include('Save 14 March for the regional day.');

    await NetworkMembershipModel.updateOne(
      { networkId: net.id, userId: member.id },
      { $set: { status: 'removed', leftBy: 'lead' } },
    );
    const removed = await mei
      .post(`/networks/${net.id}/posts`)
      .type('form')
      .send({ _csrf: csrf, kind: 'story', title: 'My long story', body: 'Three years of applications, told in full.' })
      .expect(403);
    expect(removed.text).to.include('There is a problem');
    expect(removed.text).to.include('Only members of this network can post here.');
    expect(removed.text).to.include('value="My long story"');
    expect(removed.text).to.include('Three years of applications, told in full.');
    expect(await NetworkPostModel.countDocuments({ networkId: net.id })).to.equal(0);
  });

  it('when her reply is refused (only unsafe HTML, or she was removed meanwhile), the post page answers with the error and her reply kept, and nothing is written', async () => {
    const net = await buildNetwork({ joining: 'open' }, { leads: [lead], members: [member] });
    const post = await NetworkPostModel.create({
      networkId: net.id,
      authorId: lead.id,
      kind: 'question',
      title: 'Who is mentoring this term?',
      body: 'Tell us.',
    });
    const postPath = `/posts/${String(post._id)}`;
    const mei = await signIn(app, member.email, testPassword);
    const csrf = await csrfOf(mei, postPath);
    const unsafe = await mei
      .post(`${postPath}/replies`)
      .type('form')
      .send({ _csrf: csrf, body: '<iframe src="https://example.org"></iframe>' })
      .expect(422);
    expect(unsafe.text).to.include('There is a problem');
    expect(unsafe.text).to.include('Your reply: has nothing left once unsafe HTML is removed');
    expect(unsafe.text).to.include('&lt;iframe src=&#34;https://example.org&#34;&gt;&lt;/iframe&gt;</textarea>');

    await NetworkMembershipModel.updateOne(
      { networkId: net.id, userId: member.id },
      { $set: { status: 'removed', leftBy: 'lead' } },
    );
    const removed = await mei
      .post(`${postPath}/replies`)
      .type('form')
      .send({ _csrf: csrf, body: 'I am, on Thursdays.' })
      .expect(403);
    expect(removed.text).to.include('There is a problem');
    expect(removed.text).to.include('Your reply: Only members of this network can post here.');
    expect(removed.text).to.include('I am, on Thursdays.</textarea>');
    expect(await NetworkReplyModel.countDocuments({ postId: post._id })).to.equal(0);
    expect((await NetworkPostModel.findById(post._id).lean())!.replyCount).to.equal(0);
  });

  it('when she was removed from an approval network while writing a reply, it answers 403 with her text to copy, not the post, and nothing is written', async () => {
    const net = await buildNetwork(
      { joining: 'approval', name: 'Closed circle' },
      { leads: [lead], members: [member] },
    );
    const post = await NetworkPostModel.create({
      networkId: net.id,
      authorId: lead.id,
      kind: 'question',
      title: 'Members-only question',
      body: 'Only for us: how did your interview go?',
    });
    const postPath = `/posts/${String(post._id)}`;
    const mei = await signIn(app, member.email, testPassword);
    const csrf = await csrfOf(mei, postPath);
    const lina = await signIn(app, lead.email, testPassword);
    await lina
      .post(`/networks/${net.id}/members/${member.id}/remove`)
      .type('form')
      .send({ _csrf: await csrfOf(lina, `/networks/${net.id}`), confirmed: 'yes' })
      .expect(303);

    const typed = 'Mine went well: <they asked about "budgets" & governors>.\n\nSecond paragraph.';
    const refused = await mei.post(`${postPath}/replies`).type('form').send({ _csrf: csrf, body: typed }).expect(403);
    expect(refused.text).to.include('Your reply was not posted');
    expect(refused.text).to.include('There is a problem');
    expect(refused.text).to.include('You are no longer a member of this network, so your reply was not posted.');
    expect(refused.text).to.match(/<textarea id="field-body"[^>]*readonly>/);
    expect(refused.text).to.include(
      'Mine went well: &lt;they asked about &#34;budgets&#34; &amp; governors&gt;.\n\nSecond paragraph.</textarea>',
    );
    expect(refused.text).to.include(`href="/networks/${net.id}"`);
    expect(refused.text).to.include('Closed circle');
    expect(refused.text).to.not.include('Members-only question');
    expect(refused.text).to.not.include('how did your interview go');
    expect(await NetworkReplyModel.countDocuments({ postId: post._id })).to.equal(0);
    expect((await NetworkPostModel.findById(post._id).lean())!.replyCount).to.equal(0);
    await mei.get(postPath).expect(404);
  });

  it('when she leaves a network or withdraws her request, a post without confirming shows the question and changes nothing; saying yes acts', async () => {
    const net = await buildNetwork(
      { name: 'Northern heads', joining: 'approval' },
      { leads: [lead], members: [member] },
    );
    await NetworkMembershipModel.create({
      networkId: net.id,
      userId: asker.id,
      status: 'requested',
      role: 'member',
      requestedAt: new Date(),
    });
    const statusOf = async (user: TestUser) =>
      (await NetworkMembershipModel.findOne({ networkId: net.id, userId: user.id }).lean())!.status;
    const path = `/networks/${net.id}/leave`;

    const mei = await signIn(app, member.email, testPassword);
    const networkPage = await mei.get(`/networks/${net.id}`).expect(200);
    const _csrf = csrfFrom(networkPage.text);
    const asked = await mei.post(path).type('form').send({ _csrf, confirmed: '' }).expect(200);
    const page = confirmationPage(asked.text);
    expect(page).to.deep.include({
      question: 'Leave the network “Northern heads”?',
      consequences: [
        'You no longer read or post in it, and its emails stop. To come back, you ask to join and a lead approves.',
      ],
      action: path,
      fields: { _csrf, confirmed: 'yes' },
      yes: 'Yes, leave the network',
      back: `/networks/${net.id}`,
    });
    expect(dialogOf(networkPage.text, path)).to.equal([page.question, ...page.consequences].join(' '));
    expect(await statusOf(member)).to.equal('member');
    await mei.post(page.action).type('form').send(page.fields).expect(303).expect('Location', `/networks/${net.id}`);
    expect(await statusOf(member)).to.equal('removed');

    const amal = await signIn(app, asker.email, testPassword);
    const requestPage = await amal.get(`/networks/${net.id}`).expect(200);
    const withdrawal = confirmationPage(
      (
        await amal
          .post(path)
          .type('form')
          .send({ _csrf: csrfFrom(requestPage.text) })
          .expect(200)
      ).text,
    );
    expect(withdrawal).to.deep.include({
      question: 'Withdraw your request to join “Northern heads”?',
      yes: 'Yes, withdraw my request',
      back: `/networks/${net.id}`,
    });
    expect(dialogOf(requestPage.text, path)).to.equal([withdrawal.question, ...withdrawal.consequences].join(' '));
    expect(await statusOf(asker)).to.equal('requested');
    await amal.post(withdrawal.action).type('form').send(withdrawal.fields).expect(303);
    expect(await statusOf(asker)).to.equal('removed');
  });

  it('when a lead removes a member or declines a request, a post without confirming shows the question and changes nothing; saying yes acts', async () => {
    const net = await buildNetwork(
      { name: 'Coastal heads', joining: 'approval' },
      { leads: [lead], members: [member] },
    );
    await NetworkMembershipModel.create({
      networkId: net.id,
      userId: asker.id,
      status: 'requested',
      role: 'member',
      requestedAt: new Date(),
    });
    const statusOf = async (user: TestUser) =>
      (await NetworkMembershipModel.findOne({ networkId: net.id, userId: user.id }).lean())!.status;
    const countOf = async () => (await NetworkModel.findById(net.id).lean())!.memberCount;
    const removal = `/networks/${net.id}/members/${member.id}/remove`;
    const decline = `/networks/${net.id}/members/${asker.id}/remove`;

    const lina = await signIn(app, lead.email, testPassword);
    const networkPage = await lina.get(`/networks/${net.id}`).expect(200);
    const membersPage = await lina.get(`/networks/${net.id}/members`).expect(200);
    const _csrf = csrfFrom(networkPage.text);
    const asked = confirmationPage(
      (await lina.post(removal).type('form').send({ _csrf, confirmed: '', from: 'members' }).expect(200)).text,
    );
    expect(asked).to.deep.include({
      question: 'Remove Member Mei from the network “Coastal heads”?',
      consequences: [
        'She no longer reads or posts in it, and its emails to her stop. To come back, she asks to join and a lead approves.',
      ],
      action: removal,
      fields: { _csrf, from: 'members', confirmed: 'yes' },
      yes: 'Yes, remove her',
      back: `/networks/${net.id}/members`,
    });
    expect(dialogOf(membersPage.text, removal)).to.equal([asked.question, ...asked.consequences].join(' '));
    expect(await statusOf(member)).to.equal('member');
    expect(await countOf()).to.equal(2);
    await lina
      .post(asked.action)
      .type('form')
      .send(asked.fields)
      .expect(303)
      .expect('Location', `/networks/${net.id}/members`);
    expect(await statusOf(member)).to.equal('removed');
    expect(await countOf()).to.equal(1);

    const declining = confirmationPage((await lina.post(decline).type('form').send({ _csrf }).expect(200)).text);
    expect(declining).to.deep.include({
      question: 'Decline Asker Amal’s request to join “Coastal heads”?',
      consequences: ['She is told by email that her request was declined. She can ask again later.'],
      yes: 'Yes, decline her request',
    });
    expect(dialogOf(networkPage.text, decline)).to.equal([declining.question, ...declining.consequences].join(' '));
    expect(await statusOf(asker)).to.equal('requested');
    await lina.post(declining.action).type('form').send(declining.fields).expect(303);
    expect(await statusOf(asker)).to.equal('removed');
  });

  it('she leaves a network from its page; a lead removes a member, who can no longer read it; a member cannot remove', async () => {
    const net = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [member, asker] });
    await NetworkPostModel.create({
      networkId: net.id,
      authorId: lead.id,
      kind: 'story',
      title: 'Members-only story',
      body: 'Between us.',
    });
    const statusOf = async (user: TestUser) =>
      NetworkMembershipModel.findOne({ networkId: net.id, userId: user.id }).lean();
    const countOf = async () => (await NetworkModel.findById(net.id).lean())!.memberCount;
    expect(await countOf()).to.equal(3);

    const amal = await signIn(app, asker.email, testPassword);
    const refused = await amal
      .post(`/networks/${net.id}/members/${member.id}/remove`)
      .type('form')
      .send({ _csrf: await csrfOf(amal, `/networks/${net.id}`) })
      .expect(403);
    expect(refused.text).to.include('Not allowed');
    expect(await statusOf(member)).to.include({ status: 'member' });

    const mei = await signIn(app, member.email, testPassword);
    await mei
      .post(`/networks/${net.id}/leave`)
      .type('form')
      .send({ _csrf: await csrfOf(mei, `/networks/${net.id}`), confirmed: 'yes' })
      .expect(303);
    expect(await statusOf(member)).to.include({ status: 'removed', leftBy: 'self' });
    expect(await countOf()).to.equal(2);
    const afterLeaving = await mei.get(`/networks/${net.id}`).expect(200);
    expect(afterLeaving.text).to.include('Ask to join');
    expect(afterLeaving.text).to.not.include('Members-only story');

    const lina = await signIn(app, lead.email, testPassword);
    const removed = await lina
      .post(`/networks/${net.id}/members/${asker.id}/remove`)
      .type('form')
      .send({ _csrf: await csrfOf(lina, `/networks/${net.id}`), confirmed: 'yes' })
      .expect(303);
    expect(removed.headers.location).to.equal(`/networks/${net.id}/members`);
    expect(await statusOf(asker)).to.include({ status: 'removed', leftBy: 'lead' });
    expect(await countOf()).to.equal(1);
    const afterRemoval = await amal.get(`/networks/${net.id}`).expect(200);
    expect(afterRemoval.text).to.include('Only members read this network’s posts.');
    expect(afterRemoval.text).to.not.include('Members-only story');
    expect((await lina.get(`/networks/${net.id}/members`)).text).to.include('Members (1)');
  });
});
