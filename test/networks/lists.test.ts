import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { NetworkEventModel } from '../../models/NetworkEvent.ts';
import { signIn, testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

type Page = { items: { id: string; name?: string; startsAt?: string }[]; nextCursor: string | null };

describe('networks: API lists follow the list convention ({ items, nextCursor }, ?limit=, ?cursor=)', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let reader: TestUser;
  let auth: string;
  const get = (path: string) => supertest(app).get(path).set('Authorization', auth);

  /** Every page of a list, following nextCursor to the end; each page but the last is full. */
  async function walk(path: string, limit: number): Promise<Page['items']> {
    const seen: Page['items'] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const page = res.body as Page;
      expect(page).to.have.all.keys('items', 'nextCursor');
      if (page.nextCursor) expect(page.items).to.have.length(limit);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  }

  beforeEach(async () => {
    await clearDatabase();
    app = testApp();
    reader = await buildUser();
    auth = `Bearer ${await tokenFor(reader)}`;
  });

  it('GET /networks takes ?limit= and ?cursor= and walks every network once, with the filters, page by page', async () => {
    const names = ['Returners', 'WomenEd Wales', 'Flexible heads', 'WomenEd Malaysia', 'Rural primaries'];
    const ids: string[] = [];
    for (const name of names) ids.push((await buildNetwork({ name, kind: 'regional' })).id);

    const first = await get('/api/v1/networks?limit=50').expect(200);
    expect(first.body.items).to.have.length(5);
    expect(first.body.nextCursor).to.equal(null);
    for (const limit of [1, 2, 4, 5])
      expect((await walk('/api/v1/networks', limit)).map((n) => n.id)).to.deep.equal(ids);
    // The words filter across pages: only the matching networks, each once, in the same order.
    const womenEd = await walk('/api/v1/networks?q=womened&kind=regional', 1);
    expect(womenEd.map((n) => n.name)).to.deep.equal(['WomenEd Wales', 'WomenEd Malaysia']);

    for (const limit of ['0', '201', 'abc']) {
      const res = await get(`/api/v1/networks?limit=${limit}`).expect(422);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['limit']);
    }
    const badCursor = await get('/api/v1/networks?cursor=not-a-cursor').expect(422);
    expect(badCursor.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['cursor']);
  });

  it('an unknown query parameter is a 422 that names it, not "(body)"', async () => {
    const res = await get('/api/v1/networks?limit=5&colour=red').expect(422);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expect(res.body.errors).to.deep.equal([{ path: 'colour', message: 'Unknown query parameter: colour' }]);
    const events = await get(`/api/v1/networks/${new Types.ObjectId().toString()}/events?since=today`).expect(422);
    expect(events.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['since']);
  });

  it('a list or an object where one string is expected (q[]=, q[x]=) is a 422 naming q: networks, pledge signatures, directory', async () => {
    for (const list of ['/api/v1/networks', '/api/v1/pledge/signatures', '/api/v1/directory'])
      for (const query of ['q[]=heads', 'q[]=a&q[]=b', 'q[$ne]=x', 'q=a&q[]=b']) {
        const res = await get(`${list}?${query}`);
        expect(res.status, `${list}?${query}`).to.equal(422);
        expect(res.headers['content-type']).to.match(/application\/problem\+json/);
        expect(
          res.body.errors.map((e: { path: string }) => e.path),
          `${list}?${query}`,
        ).to.deep.equal(['q']);
      }
  });

  it('GET /networks/:id/events answers { items, nextCursor } and pages by start time, ties included', async () => {
    const lead = await buildUser();
    const network = await buildNetwork({}, { leads: [lead], members: [reader] });
    const other = await buildNetwork({}, { leads: [lead], members: [reader] });
    const base = Date.now() + 7 * 24 * 3600_000;
    // Created out of time order, two at the same start, so id order and time order differ.
    const starts = [5, 1, 3, 3, 2, 4].map((h) => new Date(base + h * 3600_000));
    const created = [];
    for (const [i, startsAt] of starts.entries())
      created.push(
        await NetworkEventModel.create({
          networkId: network.id,
          title: `Event ${i}`,
          startsAt,
          durationMinutes: 60,
          mode: 'online',
          joinUrl: 'https://meet.example.org/x',
          createdBy: lead.id,
        }),
      );
    const expected = [...created]
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || String(a._id).localeCompare(String(b._id)))
      .map((e) => String(e._id));

    const all = await get(`/api/v1/networks/${network.id}/events`).expect(200);
    expect(all.body).to.have.all.keys('items', 'nextCursor');
    expect(all.body.nextCursor).to.equal(null);
    expect(all.body.items.map((e: { id: string }) => e.id)).to.deep.equal(expected);
    for (const limit of [1, 2, 3, 6])
      expect((await walk(`/api/v1/networks/${network.id}/events`, limit)).map((e) => e.id)).to.deep.equal(expected);

    await get(`/api/v1/networks/${network.id}/events?limit=201`).expect(422);
    // A cursor from another network's list (or made up) is refused, not silently restarted.
    const otherEvent = await NetworkEventModel.create({
      networkId: other.id,
      title: 'Elsewhere',
      startsAt: starts[0],
      durationMinutes: 60,
      mode: 'online',
      joinUrl: 'https://meet.example.org/y',
      createdBy: lead.id,
    });
    const otherCursor = Buffer.from(String(otherEvent._id), 'utf8').toString('base64url');
    const refused = await get(`/api/v1/networks/${network.id}/events?cursor=${otherCursor}`).expect(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['cursor']);
  });

  it('the events page shows the first 100 events and links to the later ones', async () => {
    const lead = await buildUser();
    const network = await buildNetwork({}, { leads: [lead], members: [reader] });
    const base = Date.now() + 24 * 3600_000;
    await NetworkEventModel.insertMany(
      Array.from({ length: 101 }, (_, i) => ({
        networkId: network.id,
        title: `Clinic number ${String(i + 1).padStart(3, '0')}`,
        startsAt: new Date(base + i * 3600_000),
        durationMinutes: 60,
        mode: 'online',
        joinUrl: 'https://meet.example.org/z',
        createdBy: lead.id,
      })),
    );
    const agent = await signIn(app, reader.email, testPassword);
    const first = await agent.get(`/networks/${network.id}/events`).expect(200);
    expect(first.text).to.include('Clinic number 100');
    expect(first.text).to.not.include('Clinic number 101');
    const next = /href="(\/networks\/[0-9a-f]{24}\/events\?cursor=[^"]+)">Later events/.exec(first.text);
    expect(next, 'a link to the later events').to.not.equal(null);
    const second = await agent.get(next![1]!.replace(/&amp;/g, '&')).expect(200);
    expect(second.text).to.include('Clinic number 101');
    expect(second.text).to.not.include('Clinic number 100');
    expect(second.text).to.not.include('Later events');
  });
});
