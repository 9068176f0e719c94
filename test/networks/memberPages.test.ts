import { expect } from 'chai';
import { Types } from 'mongoose';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { UserModel } from '../../models/User.ts';
import { csrfFrom, errorSummaryOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/** `count` people with these names (numbered), who are members of the network, or have asked to join it. */
async function addPeople(networkId: string, names: string[], status: 'member' | 'requested'): Promise<string[]> {
  const suffix = new Types.ObjectId().toHexString();
  const users = await UserModel.insertMany(
    names.map((name, i) => ({
      email: `${status}-${i}-${suffix}@example.org`,
      name,
      roles: ['participant'],
      timezone: 'Europe/London',
      status: 'active',
    })),
  );
  const at = new Date('2027-02-01T10:00:00Z');
  await NetworkMembershipModel.insertMany(
    users.map((u) => ({
      networkId: new Types.ObjectId(networkId),
      userId: u._id,
      status,
      role: 'member',
      ...(status === 'member' ? { joinedAt: at } : { requestedAt: at }),
    })),
  );
  if (status === 'member') await NetworkModel.updateOne({ _id: networkId }, { $inc: { memberCount: users.length } });
  return users.map((u) => String(u._id));
}

/** The names listed on a members page, and its next page's address. */
function listed(html: string): { names: string[]; next: string | null } {
  const list = /<ul class="action-list">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  const names = [...list.matchAll(/<li>([^<]+?)\s*(?:<|\n)/g)].map((m) => m[1]!.trim());
  const next = /<a href="([^"]+)">Next page →<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&') ?? null;
  return { names, next };
}

describe('networks: the members page', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let lead: TestUser;
  let admin: TestUser;
  const memberNames = Array.from({ length: 120 }, (_, i) =>
    i === 7 ? 'Zoë Ōkubo' : i === 77 ? 'Zoe Okafor' : `Member ${String(i).padStart(3, '0')}`,
  );
  const requestNames = Array.from({ length: 12 }, (_, i) => `Asking ${String(i).padStart(2, '0')}`);
  /** An approval network led by Lina, with 120 members and 12 requests to join. */
  const largeNetwork = async () => {
    const network = await buildNetwork({ joining: 'approval' }, { leads: [lead] });
    const memberIds = await addPeople(network.id, memberNames, 'member');
    await addPeople(network.id, requestNames, 'requested');
    return { ...network, memberIds };
  };

  before(async () => {
    app = testApp();
    admin = await buildUser({ roles: ['admin'] });
    lead = await buildUser({ name: 'Lead Lina' });
  });

  it("a network's page for its leads names none of its members: the first ten requests to join, a link to every request and one to the members", async () => {
    const network = await largeNetwork();
    const lina = await signIn(app, lead.email, testPassword);
    const page = await lina.get(`/networks/${network.id}`).expect(200);
    for (const name of memberNames) expect(page.text).not.to.include(name);
    const requests = /<section aria-labelledby="requests-heading">([\s\S]*?)<\/section>/.exec(page.text)![1]!;
    expect(requests.match(/\/approve"/g)).to.have.length(10);
    expect(requests).to.include(`href="/networks/${network.id}/members?status=requested">Every request to join</a>`);
    // A lead removes members; only an admin makes one a lead (the members page offers her no such button).
    expect(page.text).to.include(`href="/networks/${network.id}/members">The 121 members: find or remove</a>`);
    const forAdmin = await (await signIn(app, admin.email, testPassword)).get(`/networks/${network.id}`).expect(200);
    expect(forAdmin.text).to.include(
      `href="/networks/${network.id}/members">The 121 members: find, make lead or remove</a>`,
    );
    // and it stays small, however many members the network has (a network of 1,143 made it 1.8 MB)
    expect(page.text.length).to.be.below(40_000);
  });

  it('lists every member once, 50 a page, each page after the one before; the requests likewise, each with its answers', async () => {
    const network = await largeNetwork();
    const lina = await signIn(app, lead.email, testPassword);
    const seen: string[] = [];
    let address: string | null = `/networks/${network.id}/members`;
    const sizes: number[] = [];
    while (address) {
      const page = await lina.get(address).expect(200);
      const { names, next } = listed(page.text);
      sizes.push(names.length);
      seen.push(...names);
      address = next;
    }
    expect(sizes).to.deep.equal([50, 50, 21]);
    expect([...seen].sort()).to.deep.equal([...memberNames, 'Lead Lina'].sort());

    const requests = await lina.get(`/networks/${network.id}/members?status=requested`).expect(200);
    expect(requests.text).to.include('aria-current="page">Requests to join</a>');
    expect(listed(requests.text).names.sort()).to.deep.equal([...requestNames].sort());
    expect(requests.text.match(/\/approve"/g)).to.have.length(12);
    expect(requests.text.match(/>Decline <span/g)).to.have.length(12);
    expect(requests.text).not.to.include('Make lead');
  });

  it('finds members by name whatever accents either side wrote; a lead who removes one from the results returns to them', async () => {
    const network = await largeNetwork();
    const lina = await signIn(app, lead.email, testPassword);
    const found = await lina.get(`/networks/${network.id}/members?q=zoe%20o`).expect(200);
    expect(listed(found.text).names.sort()).to.deep.equal(['Zoe Okafor', 'Zoë Ōkubo']);
    expect(found.text).to.include('value="zoe o"');
    const accented = await lina.get(`/networks/${network.id}/members?q=${encodeURIComponent('Zoë')}`).expect(200);
    expect(listed(accented.text).names).to.have.length(2);

    const removed = await lina
      .post(`/networks/${network.id}/members/${network.memberIds[77]}/remove`)
      .type('form')
      .send({ _csrf: csrfFrom(found.text), from: 'members', q: 'zoe o', seen: 'member', confirmed: 'yes' })
      .expect(303);
    expect(removed.headers.location).to.equal(`/networks/${network.id}/members?q=zoe+o`);
    const after = await lina.get(removed.headers.location!).expect(200);
    expect(listed(after.text).names).to.deep.equal(['Zoë Ōkubo']);
    const none = await lina.get(`/networks/${network.id}/members?q=nobody%20called%20this`).expect(200);
    expect(none.text).to.include('Nobody here matches “nobody called this”.');
  });

  it('is for its leads and admins: a member gets 403; a search too long is refused at its field and lists nobody; a cursor not from the page is a 422', async () => {
    const mei = await buildUser({ name: 'Member Mei' });
    const network = await buildNetwork({ joining: 'approval' }, { leads: [lead], members: [mei] });
    const memberAgent = await signIn(app, mei.email, testPassword);
    await memberAgent.get(`/networks/${network.id}/members`).expect(403);
    await (await signIn(app, admin.email, testPassword)).get(`/networks/${network.id}/members`).expect(200);

    const lina = await signIn(app, lead.email, testPassword);
    const long = 'x'.repeat(101);
    const refused = await lina.get(`/networks/${network.id}/members?q=${long}`).expect(422);
    expect(errorSummaryOf(refused.text).targets).to.deep.equal(['field-q']);
    expect(refused.text).to.include('Nobody is listed until the search is corrected.');
    expect(refused.text).to.include(`value="${long}"`);
    expect(listed(refused.text).names).to.deep.equal([]);
    await lina.get(`/networks/${network.id}/members?cursor=not-a-cursor`).expect(422);
    await lina.get(`/networks/${new Types.ObjectId().toHexString()}/members`).expect(404);
  });
});
