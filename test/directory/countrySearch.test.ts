import { expect } from 'chai';
import { Types } from 'mongoose';
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
 * With a country filter the directory finds her co-members from that country's profiles (rather than from her
 * networks' members): the same people, in the same order, when they are sparse among the country's profiles and the
 * search needs several batches of them (the first batch reads 100 profiles).
 */
describe('directory: a country search finds her co-members among that country’s profiles', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let viewer: TestUser;
  let viewerToken: string;
  type Person = { id: Types.ObjectId; visibility: DirectoryVisibility; country: string; networks: string[] };
  const people: Person[] = [];
  let mine: string;
  let blocked: string;

  const walk = (query: string, limit: number) => walkDirectory(app, viewerToken, query, limit);

  const expected = (country: string): string[] =>
    people
      .filter(
        (p) =>
          p.country === country &&
          canSeeProfile({
            viewerId: viewer.id,
            ownerId: String(p.id),
            visibility: p.visibility,
            blocked: String(p.id) === blocked,
            sharesNetwork: p.networks.includes(mine),
          }),
      )
      .map((p) => String(p.id))
      .sort();

  before(async () => {
    app = testApp();
    viewer = await buildUser({ name: 'Vera Viewer' });
    viewerToken = await tokenFor(viewer);
    const [hers, other] = await NetworkModel.create([
      { name: 'Country search, hers', nameKey: 'country search hers', kind: 'interest', joining: 'open' },
      { name: 'Country search, other', nameKey: 'country search other', kind: 'interest', joining: 'open' },
    ]);
    mine = String(hers!._id);
    const visibilities: DirectoryVisibility[] = ['networks', 'networks', 'networks', 'everyone', 'hidden'];
    // 450 Australians: a third in her network, a third in another, a third in none; 30 British as well.
    for (let i = 0; i < 480; i++)
      people.push({
        id: new Types.ObjectId(),
        visibility: visibilities[i % visibilities.length]!,
        country: i < 450 ? 'AU' : 'GB',
        networks: i % 3 === 0 ? [mine] : i % 3 === 1 ? [String(other!._id)] : [],
      });
    people.push({ id: new Types.ObjectId(viewer.id), visibility: 'networks', country: 'AU', networks: [mine] });
    await DirectoryProfileModel.insertMany(
      people.map((p, i) => ({
        _id: p.id,
        visibility: p.visibility,
        name: `Person ${i}`,
        country: p.country,
        topics: [],
        searchText: `person ${i}`,
      })),
    );
    const requested = people.find((p) => p.networks.length === 0 && p.visibility === 'networks')!;
    await NetworkMembershipModel.insertMany([
      ...people.flatMap((p) =>
        p.networks.map((n) => ({ networkId: new Types.ObjectId(n), userId: p.id, status: 'member', role: 'member' })),
      ),
      // Asking to join gives no access.
      { networkId: hers!._id, userId: requested.id, status: 'requested', role: 'member' },
    ]);
    // Loaded without the app: each profile's copy of her networks, as the repair job writes it after a bulk load.
    await directoryFollowsAllMemberships();
    const coMember = people.find(
      (p) => p.networks.includes(mine) && p.visibility === 'networks' && p.country === 'AU',
    )!;
    blocked = String(coMember.id);
    await DirectoryBlockModel.create({ _id: `${viewer.id}:${blocked}`, blockerId: viewer.id, blockedId: coMember.id });
  });

  it('lists the same people as the rule, once each, in id order, at every page size', async () => {
    const want = expected('AU');
    const coMembers = want.filter((id) => people.find((p) => String(p.id) === id)!.visibility === 'networks');
    expect(coMembers.length).to.be.greaterThan(80);
    for (const limit of [7, 50, 200]) expect(await walk('&country=AU', limit), `limit ${limit}`).to.deep.equal(want);
    expect(await walk('&country=GB', 50)).to.deep.equal(expected('GB'));
  });
});
