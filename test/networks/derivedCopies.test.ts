import { expect } from 'chai';
import { Types } from 'mongoose';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NetworkReplyModel } from '../../models/NetworkReply.ts';
import { liveUserStatuses, UserModel } from '../../models/User.ts';
import { updateOwnDetails } from '../../server/services/accounts/details.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import {
  createPost,
  leaveNetwork,
  makeLead,
  nameAllAuthors,
  nameAuthorAfresh,
  replyToPost,
  showAllLeads,
  showLeads,
  stepDownLead,
  unnamedVersion,
} from '../../server/services/networks/index.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import '../../server/subscriptions.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/**
 * The copies a network's page reads instead of the membership rows and the accounts (README "Derived records"): each
 * network's leads and each post's and reply's author name. Whatever changes, and however changes land together, the
 * copy a reader sees once the changes have returned is what the rows and accounts say.
 */
describe('networks: the leads and author names the pages read are kept right', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  before(async () => {
    app = testApp();
  });
  beforeEach(async () => {
    admin = await buildUser({ roles: ['admin'] });
  });

  const actor = (u: TestUser) => ({ id: u.id, name: u.name, roles: u.roles }) as unknown as Express.User;
  const adminActor = () => ({ id: admin.id, name: admin.name });

  /** The leads as the rows and accounts say: current leads whose account is live, by name. */
  const leadsFromRows = async (networkId: string) => {
    const rows = await NetworkMembershipModel.find({ networkId, role: 'lead', status: 'member' }).lean();
    const users = await UserModel.find({
      _id: { $in: rows.map((r) => r.userId) },
      status: { $in: liveUserStatuses },
    }).lean();
    return users.map((u) => u.name).sort((a, b) => a.localeCompare(b));
  };
  const leadsShown = async (networkId: string) =>
    ((await NetworkModel.findById(networkId).lean())?.leads ?? []).map((l) => l.name);

  it("a network's page names its live leads as they are now: made lead, stepped down, disabled, enabled, renamed, left, erased", async () => {
    const [lina, maya, nour] = await Promise.all([
      buildUser({ name: 'Lina Lead' }),
      buildUser({ name: 'Maya Member' }),
      buildUser({ name: 'Nour Member' }),
    ]);
    const net = await buildNetwork({ joining: 'open' }, { leads: [lina], members: [maya, nour] });
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Lead']);

    await makeLead({ actor: actor(admin), networkId: net.id, userId: maya.id });
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Lead', 'Maya Member']);

    await updateUserAsAdmin({ actor: adminActor(), userId: maya.id, changes: { status: 'disabled' } });
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Lead']);
    await updateUserAsAdmin({ actor: adminActor(), userId: maya.id, changes: { status: 'active' } });
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Lead', 'Maya Member']);

    await updateOwnDetails({ actor: { id: maya.id, name: maya.name }, changes: { name: 'Maya Haddad' } });
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Lead', 'Maya Haddad']);
    await updateUserAsAdmin({ actor: adminActor(), userId: lina.id, changes: { name: 'Lina Farouk' } });
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Farouk', 'Maya Haddad']);

    await stepDownLead({ actor: actor(admin), networkId: net.id, userId: lina.id });
    expect(await leadsShown(net.id)).to.deep.equal(['Maya Haddad']);
    await makeLead({ actor: actor(admin), networkId: net.id, userId: nour.id });
    await leaveNetwork({ actor: actor(nour), networkId: net.id });
    expect(await leadsShown(net.id)).to.deep.equal(['Maya Haddad']);

    await makeLead({ actor: actor(admin), networkId: net.id, userId: lina.id });
    await eraseAccount({ actor: adminActor(), userId: maya.id, bySelf: false });
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Farouk']);
    expect(await leadsShown(net.id)).to.deep.equal(await leadsFromRows(net.id));

    // What the page shows is that copy.
    const reader = await signIn(app, nour.email, testPassword);
    const page = await reader.get(`/networks/${net.id}`).expect(200);
    expect(page.text).to.include('Led by Lina Farouk.');
  });

  it('leads made, stepped down, disabled and renamed all at once, with repairs running beside them, leave the list the rows say', async () => {
    const people = await Promise.all(Array.from({ length: 8 }, (_, i) => buildUser({ name: `Person ${i}` })));
    const net = await buildNetwork({ joining: 'open' }, { leads: people.slice(0, 2), members: people.slice(2) });
    // Some may be refused (Person 3 made lead as she is disabled): what landed is what the list must say.
    await Promise.allSettled([
      ...people.slice(2, 6).map((p) => makeLead({ actor: actor(admin), networkId: net.id, userId: p.id })),
      stepDownLead({ actor: actor(admin), networkId: net.id, userId: people[0]!.id }),
      updateUserAsAdmin({ actor: adminActor(), userId: people[3]!.id, changes: { status: 'disabled' } }),
      updateUserAsAdmin({ actor: adminActor(), userId: people[4]!.id, changes: { name: 'Person four, renamed' } }),
      updateOwnDetails({ actor: { id: people[5]!.id, name: people[5]!.name }, changes: { name: 'Person 5 again' } }),
      showLeads(net.id),
      showAllLeads(),
      showLeads(net.id),
    ]);
    const expected = await leadsFromRows(net.id);
    expect(expected).to.include.members(['Person four, renamed', 'Person 5 again']);
    expect(expected).to.not.include('Person 3');
    expect(await leadsShown(net.id)).to.deep.equal(expected);
  });

  it('a list computed before a change that completed meanwhile is not written over it', async () => {
    const [lina, maya] = await Promise.all([buildUser({ name: 'Lina Lead' }), buildUser({ name: 'Maya Member' })]);
    const net = await buildNetwork({ joining: 'open' }, { leads: [lina], members: [maya] });
    const before = await NetworkModel.findById(net.id).lean();
    await makeLead({ actor: actor(admin), networkId: net.id, userId: maya.id });
    // A process that read the version before the change and computed Lina alone: its write matches nothing.
    const stale = await NetworkModel.updateOne(
      { _id: net.id, leadsVersion: before!.leadsVersion ?? null },
      { $set: { leads: [{ userId: new Types.ObjectId(lina.id), name: 'Lina Lead' }] } },
    );
    expect(stale.matchedCount).to.equal(0);
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Lead', 'Maya Member']);
  });

  it('a network stored before the list existed is listed by the repair, which changes nothing when run again', async () => {
    const lina = await buildUser({ name: 'Lina Lead' });
    const net = await buildNetwork({ joining: 'open' }, { leads: [lina] });
    await NetworkModel.updateOne({ _id: net.id }, { $unset: { leads: 1, leadsVersion: 1 } });
    await showAllLeads();
    expect(await leadsShown(net.id)).to.deep.equal(['Lina Lead']);
    const stored = await NetworkModel.findById(net.id).lean();
    await showAllLeads();
    expect(await NetworkModel.findById(net.id).lean()).to.deep.equal(stored);
  });

  it('posts and replies name their author as her account does: renamed by herself or an admin, erased', async () => {
    const [amal, lina] = await Promise.all([buildUser({ name: 'Amal Author' }), buildUser({ name: 'Lina Lead' })]);
    const net = await buildNetwork({ joining: 'open' }, { leads: [lina], members: [amal] });
    const post = await createPost({ actor: actor(amal), networkId: net.id, kind: 'story', title: 'T', body: 'B' });
    expect(post.author.name).to.equal('Amal Author');
    await replyToPost({ actor: actor(amal), postId: post.id, body: 'Reply' });
    const names = async () => ({
      post: (await NetworkPostModel.findById(post.id).lean())!.authorName ?? null,
      reply: (await NetworkReplyModel.findOne({ postId: post.id }).lean())!.authorName ?? null,
    });
    expect(await names()).to.deep.equal({ post: 'Amal Author', reply: 'Amal Author' });

    await updateOwnDetails({ actor: { id: amal.id, name: amal.name }, changes: { name: 'Amal Haddad' } });
    expect(await names()).to.deep.equal({ post: 'Amal Haddad', reply: 'Amal Haddad' });
    await updateUserAsAdmin({ actor: adminActor(), userId: amal.id, changes: { name: 'Amal H. Haddad' } });
    expect(await names()).to.deep.equal({ post: 'Amal H. Haddad', reply: 'Amal H. Haddad' });

    const reader = await signIn(app, lina.email, testPassword);
    expect((await reader.get(`/networks/${net.id}`).expect(200)).text).to.include('Amal H. Haddad');
    expect((await reader.get(`/posts/${post.id}`).expect(200)).text).to.include('Amal H. Haddad');

    await eraseAccount({ actor: adminActor(), userId: amal.id, bySelf: false });
    expect(await names()).to.deep.equal({ post: null, reply: null });
    const after = (await reader.get(`/networks/${net.id}`).expect(200)).text;
    expect(after).to.not.include('Amal');
    expect(after).to.include('Former member');
  });

  it('posts written while she is renamed, and two renames at once, end with the name her account has', async () => {
    const [amal, lina] = await Promise.all([buildUser({ name: 'Amal Author' }), buildUser({ name: 'Lina Lead' })]);
    const net = await buildNetwork({ joining: 'open' }, { leads: [lina], members: [amal] });
    // Her requests began with the old name; the renames land among the writes.
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) =>
        createPost({ actor: actor(amal), networkId: net.id, kind: 'story', title: `Post ${i}`, body: `Body ${i}` }),
      ),
      updateOwnDetails({ actor: { id: amal.id, name: amal.name }, changes: { name: 'Amal First' } }),
      updateUserAsAdmin({ actor: adminActor(), userId: amal.id, changes: { name: 'Amal Second' } }),
    ]);
    const account = await UserModel.findById(amal.id).lean();
    const posts = await NetworkPostModel.find({ networkId: net.id }).lean();
    expect(posts).to.have.length(6);
    expect(posts.map((p) => p.authorName)).to.deep.equal(Array(6).fill(account!.name));
    expect(posts.every((p) => p.authorVersion === account!.version)).to.equal(true);
  });

  it('an older copy of a name never replaces a newer one, and the repair names posts stored without one or never named afresh', async () => {
    const [amal, lina] = await Promise.all([buildUser({ name: 'Amal Author' }), buildUser({ name: 'Lina Lead' })]);
    const net = await buildNetwork({ joining: 'open' }, { leads: [lina], members: [amal] });
    const post = await createPost({ actor: actor(amal), networkId: net.id, kind: 'story', title: 'T', body: 'B' });
    // A copy from a later version of her account than the one read here (another process read after a rename).
    await NetworkPostModel.updateOne({ _id: post.id }, { $set: { authorName: 'Newer name', authorVersion: 1_000 } });
    await nameAuthorAfresh(amal.id);
    expect((await NetworkPostModel.findById(post.id).lean())!.authorName).to.equal('Newer name');

    const legacy = await NetworkPostModel.create({
      networkId: net.id,
      authorId: amal.id,
      kind: 'story',
      title: 'Before the copy',
      body: 'Old',
    });
    expect(legacy.authorName).to.equal(undefined);
    // Written by a process that stopped before naming it afresh, while she was being renamed.
    const cut = await NetworkReplyModel.create({
      postId: post.id,
      networkId: net.id,
      authorId: amal.id,
      authorName: 'Amal Before',
      authorVersion: unnamedVersion,
      body: 'A reply',
    });
    await UserModel.updateOne({ _id: amal.id }, { $set: { name: 'Amal Renamed' }, $inc: { version: 1 } });
    await nameAllAuthors();
    expect((await NetworkPostModel.findById(legacy._id).lean())!.authorName).to.equal('Amal Renamed');
    expect((await NetworkReplyModel.findById(cut._id).lean())!.authorName).to.equal('Amal Renamed');
  });
});
