import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { DirectoryBlockModel } from '../../models/DirectoryBlock.ts';
import { DirectoryProfileModel, type DirectoryVisibility } from '../../models/DirectoryProfile.ts';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkMembershipModel } from '../../models/NetworkMembership.ts';
import { directoryFollowsAllMemberships } from '../../server/services/directory/profileNetworks.ts';
import { canSeeProfile } from '../../server/services/directory/visibility.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { walkDirectory } from '../support/directoryFactories.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';

/**
 * The directory's pages against the visibility rule applied person by person: with every page size, each person she
 * may see appears exactly once, in id order, whether a page ends inside the everyone list, inside her co-members'
 * list or between them, and however many batches of memberships a page needs (her networks here hold more members
 * than one batch).
 */
describe('directory: paging through everyone and her networks, each person once', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let viewer: TestUser;
  let admin: TestUser;
  let viewerToken: string;
  let adminToken: string;
  const networks: Types.ObjectId[] = [];
  /** Per person: visibility, country, topics and the networks she is a current member of. */
  type Person = {
    id: Types.ObjectId;
    visibility: DirectoryVisibility;
    country: string;
    topics: string[];
    networks: Set<string>;
  };
  const people: Person[] = [];
  /** The people she blocked or who blocked her. */
  const herBlocks = new Set<string>();

  const walk = (token: string, query: string, limit: number) => walkDirectory(app, token, query, limit);

  /** Whom she may see with these filters, by the rule itself (visibility.ts), in id order. */
  const expected = (
    viewerId: string,
    viewerNetworks: Set<string>,
    blocked: Set<string>,
    options: { country?: string; topic?: string; network?: string } = {},
  ): string[] =>
    people
      .filter((p) => {
        if (options.country && p.country !== options.country) return false;
        if (options.topic && !p.topics.includes(options.topic)) return false;
        if (options.network) {
          if (!p.networks.has(options.network)) return false;
          // Within one network, networks-only profiles are for its members (an admin outside it sees everyone's).
          if (String(p.id) === viewerId) return viewerNetworks.has(options.network);
          const visible =
            p.visibility === 'everyone' || (p.visibility === 'networks' && viewerNetworks.has(options.network));
          return visible && !blocked.has(String(p.id));
        }
        return canSeeProfile({
          viewerId,
          ownerId: String(p.id),
          visibility: p.visibility,
          blocked: blocked.has(String(p.id)),
          sharesNetwork: [...p.networks].some((n) => viewerNetworks.has(n)),
        });
      })
      .map((p) => String(p.id))
      .sort();

  before(async () => {
    app = testApp();
    viewer = await buildUser({ name: 'Vera Viewer' });
    admin = await buildUser({ name: 'Ada Admin', roles: ['admin'] });
    viewerToken = await tokenFor(viewer);
    adminToken = await tokenFor(admin);
    for (let n = 0; n < 3; n++) {
      const network = await NetworkModel.create({
        name: `Search network ${n}`,
        nameKey: `search network ${n}`,
        kind: 'interest',
        joining: 'open',
      });
      networks.push(network._id);
    }
    const [first, second, third] = networks.map(String) as [string, string, string];
    const visibilities: DirectoryVisibility[] = ['everyone', 'networks', 'networks', 'hidden', 'everyone', 'networks'];
    const countries = ['GB', 'CA', 'MY'];
    const topicList = ['interviews', 'flexible-working', 'applying-for-headship'];
    // 180 people (ids ascending): in her first network, her second, both (listed once), a network she is not in, or
    // none, so that each of her two networks holds more than one batch (100) of membership rows.
    for (let i = 0; i < 180; i++) {
      const shape = i % 5;
      const inNetworks =
        shape === 0 ? [first] : shape === 1 ? [second] : shape === 2 ? [first, second] : shape === 3 ? [third] : [];
      people.push({
        id: new Types.ObjectId(),
        visibility: visibilities[i % visibilities.length]!,
        country: countries[i % countries.length]!,
        topics: [topicList[i % topicList.length]!],
        networks: new Set(inNetworks),
      });
    }
    // Herself: hidden (she still sees herself), in her first two networks.
    const self: Person = {
      id: new Types.ObjectId(viewer.id),
      visibility: 'hidden',
      country: 'GB',
      topics: ['interviews'],
      networks: new Set([first, second]),
    };
    people.push(self);
    await DirectoryProfileModel.insertMany(
      people.map((p, i) => ({
        _id: p.id,
        visibility: p.visibility,
        name: `Person ${i}`,
        country: p.country,
        topics: p.topics,
        searchText: `person ${i}`,
      })),
    );
    const rows = people.flatMap((p) =>
      [...p.networks].map((n) => ({
        networkId: new Types.ObjectId(n),
        userId: p.id,
        status: 'member',
        role: 'member',
      })),
    );
    // Rows that give no access: a request and a removal in her first network.
    const requested = people.find((p) => p.networks.size === 0 && p.visibility === 'networks')!;
    const removed = people.filter((p) => p.networks.size === 0 && p.visibility === 'networks')[1]!;
    rows.push(
      { networkId: networks[0]!, userId: requested.id, status: 'requested', role: 'member' },
      { networkId: networks[0]!, userId: removed.id, status: 'removed', role: 'member' },
    );
    await NetworkMembershipModel.insertMany(rows);
    // Loaded without the app: each profile's copy of her networks, as the repair job writes it after a bulk load.
    await directoryFollowsAllMemberships();
    // Blocks both ways: she blocked a co-member, an everyone-visible person blocked her.
    const coMember = people.find((p) => p.networks.has(first) && p.visibility === 'networks')!;
    const stranger = people.find((p) => p.networks.size === 0 && p.visibility === 'everyone')!;
    await DirectoryBlockModel.insertMany([
      { _id: `${viewer.id}:${String(coMember.id)}`, blockerId: viewer.id, blockedId: coMember.id },
      { _id: `${String(stranger.id)}:${viewer.id}`, blockerId: stranger.id, blockedId: viewer.id },
    ]);
    herBlocks.add(String(coMember.id)).add(String(stranger.id));
  });

  it('lists everyone she may see exactly once, in id order, whatever the page size', async () => {
    const want = expected(viewer.id, new Set(networks.slice(0, 2).map(String)), herBlocks);
    expect(want.length).to.be.greaterThan(100);
    for (const limit of [1, 2, 3, 7, 50, 200])
      expect(await walk(viewerToken, '', limit), `limit ${limit}`).to.deep.equal(want);
  });

  it('when a page ends between an everyone profile and a co-member, the next page starts at the co-member', async () => {
    const mine = new Set(networks.slice(0, 2).map(String));
    const want = expected(viewer.id, mine, herBlocks);
    const isCoMember = (id: string) => people.find((p) => String(p.id) === id)!.visibility === 'networks';
    const boundary = want.findIndex((id, i) => i > 0 && isCoMember(id) && !isCoMember(want[i - 1]!));
    expect(boundary).to.be.greaterThan(0);
    const first = await supertest(app)
      .get(`/api/v1/directory?limit=${boundary}`)
      .set('Authorization', `Bearer ${viewerToken}`)
      .expect(200);
    expect(first.body.items.map((p: { userId: string }) => p.userId)).to.deep.equal(want.slice(0, boundary));
    const next = await supertest(app)
      .get(`/api/v1/directory?limit=2&cursor=${first.body.nextCursor}`)
      .set('Authorization', `Bearer ${viewerToken}`)
      .expect(200);
    expect(next.body.items.map((p: { userId: string }) => p.userId)).to.deep.equal(want.slice(boundary, boundary + 2));
  });

  it('a co-member in two of her networks appears once', async () => {
    const both = people.filter(
      (p) => p.visibility === 'networks' && p.networks.size === 2 && !herBlocks.has(String(p.id)),
    );
    expect(both.length).to.be.greaterThan(5);
    const listed = await walk(viewerToken, '', 200);
    for (const p of both) expect(listed.filter((id) => id === String(p.id))).to.have.length(1);
  });

  it('filters by country, topic and network page by page with the same rule', async () => {
    const mine = new Set(networks.slice(0, 2).map(String));
    const [first, , third] = networks.map(String) as [string, string, string];
    for (const limit of [1, 4, 50]) {
      expect(await walk(viewerToken, '&country=CA', limit)).to.deep.equal(
        expected(viewer.id, mine, herBlocks, { country: 'CA' }),
      );
      expect(await walk(viewerToken, '&topic=interviews&country=GB', limit)).to.deep.equal(
        expected(viewer.id, mine, herBlocks, { topic: 'interviews', country: 'GB' }),
      );
      expect(await walk(viewerToken, `&network=${first}`, limit)).to.deep.equal(
        expected(viewer.id, mine, herBlocks, { network: first }),
      );
      // An admin outside the network sees its members' everyone profiles only.
      expect(await walk(adminToken, `&network=${third}`, limit)).to.deep.equal(
        expected(admin.id, new Set(), new Set(), { network: third }),
      );
    }
  });
});
