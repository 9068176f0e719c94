import { expect } from 'chai';
import supertest from 'supertest';
import { countries } from '../../server/services/pledge/index.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { listChanged } from '../../server/services/pledge/listCache.ts';
import { testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';
import { buildSignature, freshIp, organisationBody } from '../support/pledgeFactories.ts';

describe('pledge: the public list, counts, organisation page and badge', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  beforeEach(async () => {
    await clearDatabase();
  });

  it('lists confirmed, visible signatures only, alphabetically, never with an email or contact', async () => {
    await buildSignature({ name: 'Zeta School' });
    await buildSignature({ name: 'alpha trust', organisationType: 'trust' });
    await buildSignature({ name: 'Pending School', status: 'pending' });
    await buildSignature({ name: 'Hidden School', hidden: true });
    const res = await supertest(app).get('/api/v1/pledge/signatures').expect(200);
    expect(res.body.items.map((i: { name: string }) => i.name)).to.deep.equal(['alpha trust', 'Zeta School']);
    expect(res.body.items[0]).to.have.all.keys(
      'id',
      'kind',
      'name',
      'organisationType',
      'region',
      'country',
      'confirmedAt',
    );
    expect(JSON.stringify(res.body)).to.not.match(/@|email|contact/i);
    expect(res.body.counts.byType).to.deep.equal({ school: 1, trust: 1 });
    expect(res.body.nextCursor).to.equal(null);
  });

  it('searches names whatever accents either side wrote: “bronte” finds Brontë, “Sinéad” finds Sinead', async () => {
    await buildSignature({ name: 'Brontë Academy', region: 'Yorkshire', country: 'GB' });
    await buildSignature({ name: 'Sinead Byrne Primary', region: 'Leinster', country: 'IE' });
    await buildSignature({ name: 'Ysgol Gymraeg Siân', region: 'Wales', country: 'GB' });
    const names = async (q: string) =>
      (
        await supertest(app)
          .get(`/api/v1/pledge/signatures?q=${encodeURIComponent(q)}`)
          .expect(200)
      ).body.items.map((i: { name: string }) => i.name);
    expect(await names('bronte')).to.deep.equal(['Brontë Academy']);
    expect(await names('BRONTË')).to.deep.equal(['Brontë Academy']);
    expect(await names('Sinéad')).to.deep.equal(['Sinead Byrne Primary']);
    expect(await names('sian')).to.deep.equal(['Ysgol Gymraeg Siân']);
    expect(await names('brontex')).to.deep.equal([]);
  });

  it('filters by type, region and country, searches names case-insensitively with regex characters taken literally', async () => {
    await buildSignature({ name: 'St. Mary (Leeds)', region: 'Yorkshire', country: 'GB' });
    await buildSignature({ name: 'St Marys Dublin', region: 'Leinster', country: 'IE', organisationType: 'trust' });
    await buildSignature({ name: 'Stmary School', region: 'Yorkshire', country: 'GB' });
    const get = async (q: string) => (await supertest(app).get(`/api/v1/pledge/signatures?${q}`).expect(200)).body;
    expect((await get('q=st.%20mary')).items.map((i: { name: string }) => i.name)).to.deep.equal(['St. Mary (Leeds)']);
    expect((await get('q=(leeds')).items).to.have.length(1);
    expect((await get('type=trust')).items.map((i: { name: string }) => i.name)).to.deep.equal(['St Marys Dublin']);
    expect((await get('country=ie')).items).to.have.length(1);
    const yorkshire = await get('region=Yorkshire');
    expect(yorkshire.items).to.have.length(2);
    expect(yorkshire.counts.byRegion).to.deep.equal({ Yorkshire: 2 });
  });

  it('a region typed in another case or spacing is the same region: counted once in its most common spelling, filtered as one', async () => {
    for (const name of ['Thames School', 'Bow Academy', 'Kew Trust'])
      await buildSignature({ name, region: 'London', country: 'GB' });
    await buildSignature({ name: 'Lower Case School', region: ' london ', country: 'GB' });
    await buildSignature({ name: 'Shouting School', region: 'LONDON', country: 'GB' });
    await buildSignature({ name: 'Tidy School', region: 'north west', country: 'GB' });
    await buildSignature({ name: 'Spaced School', region: 'North  West', country: 'GB' });
    const api = await supertest(app).get('/api/v1/pledge/signatures').expect(200);
    // Of two spellings as common, the capitalised one (code-point order).
    expect(api.body.counts.byRegion).to.deep.equal({ London: 5, 'North West': 2 });
    const names = (res: supertest.Response) => res.body.items.map((i: { name: string }) => i.name).sort();
    const london = ['Bow Academy', 'Kew Trust', 'Lower Case School', 'Shouting School', 'Thames School'];
    for (const region of ['London', 'london', ' LONDON '])
      expect(names(await supertest(app).get('/api/v1/pledge/signatures').query({ region }))).to.deep.equal(london);
    const filtered = await supertest(app).get('/api/v1/pledge/signatures').query({ region: 'North West' });
    expect(names(filtered)).to.deep.equal(['Spaced School', 'Tidy School']);
    expect(filtered.body.counts.byRegion).to.deep.equal({ 'North West': 2 });
    const page = (await supertest(app).get('/pledge/signatories').expect(200)).text;
    expect(page.match(/<option value="[^"]*"/gi)!.filter((o) => /london/i.test(o))).to.deep.equal([
      '<option value="London"',
    ]);
    expect(page).to.include('<bdi>London</bdi>: <strong>5</strong>');
    const inLondon = (await supertest(app).get('/pledge/signatories?region=London').expect(200)).text;
    expect(inLondon).to.include('Lower Case School').and.to.include('Shouting School');
  });

  it('the page counts every region: the 12 largest, then the rest in one line, so they add up; a right-to-left name is isolated', async () => {
    for (let r = 1; r <= 14; r += 1)
      for (let n = 0; n < (r <= 11 ? 2 : 1); n += 1)
        await buildSignature({ region: `Region ${String(r).padStart(2, '0')}`, country: 'GB' });
    for (let n = 0; n < 3; n += 1) await buildSignature({ region: 'الشارقة', country: 'AE' });
    await listChanged();
    const page = (await supertest(app).get('/pledge/signatories').expect(200)).text;
    const regionList = /<h2 id="by-region">By region<\/h2>\s*<ul>([\s\S]*?)<\/ul>/.exec(page)![1]!;
    const items = [...regionList.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
    expect(items).to.have.length(13);
    expect(items.at(-1)).to.equal('3 more regions: 3');
    const total = items.reduce((sum, item) => sum + Number(/: (\d+)$/.exec(item)![1]), 0);
    expect(total).to.equal(3 + 11 * 2 + 3);
    expect(regionList).to.include('<bdi>الشارقة</bdi>: <strong>3</strong>');
  });

  it('pages with an opaque cursor without repeating or skipping anyone', async () => {
    for (const name of ['Ash', 'Birch', 'Cedar', 'Elm', 'Elm', 'Fir', 'Oak']) await buildSignature({ name });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await supertest(app)
        .get(`/api/v1/pledge/signatures?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      seen.push(...res.body.items.map((i) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).to.have.length(7);
    expect(new Set(seen).size).to.equal(7);
    await supertest(app).get('/api/v1/pledge/signatures?cursor=garbage').expect(422);
  });

  it('bad query input is a 422 problem document: unknown fields, operators, unknown countries and types', async () => {
    for (const q of ['colour=red', 'q[$ne]=x', 'country=XX', 'country=GBR', 'type=school,trust', 'limit=1000']) {
      const res = await supertest(app).get(`/api/v1/pledge/signatures?${q}`).expect(422);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    }
  });

  it('signing through the API refuses unknown fields, objects for scalars and bad vocabularies with 422 field errors', async () => {
    const post = (body: Record<string, unknown>) =>
      supertest(app).post('/api/v1/pledge/signatures').set('X-Forwarded-For', freshIp()).send(body);
    const unknown = await post(organisationBody({ isAdmin: true })).expect(422);
    expect(unknown.headers['content-type']).to.match(/problem\+json/);
    expect(unknown.body.errors[0].message).to.include('isAdmin');
    expect(
      (await post(organisationBody({ email: { $ne: null } })).expect(422)).body.errors.map(
        (e: { path: string }) => e.path,
      ),
    ).to.include('email');
    expect(
      (await post(organisationBody({ organisationType: 'club' })).expect(422)).body.errors.map(
        (e: { path: string }) => e.path,
      ),
    ).to.include('organisationType');
    expect(
      (await post(organisationBody({ organisationType: undefined })).expect(422)).body.errors.map(
        (e: { path: string }) => e.path,
      ),
    ).to.include('organisationType');
    expect(
      (await post(organisationBody({ country: 'EU' })).expect(422)).body.errors.map((e: { path: string }) => e.path),
    ).to.include('country');
    await post(organisationBody({ country: 'gb' })).expect(202);
  });

  it('the country list is the 249 assigned ISO 3166-1 alpha-2 codes with English names', () => {
    expect(countries).to.have.length(249);
    const codes = countries.map((c) => c.code);
    expect(codes).to.include.members(['GB', 'IE', 'CA', 'SS', 'CW', 'SX', 'BQ', 'AX']);
    expect(codes).to.not.include.members(['UK', 'EU', 'XK', 'ZZ', 'SU', 'YU', 'AN', 'AC']);
  });

  it('counts include anonymous individuals and follow hiding and deletion', async () => {
    await buildSignature({ kind: 'individual', name: 'Anon', showName: false, region: 'Wales' });
    await buildSignature({ kind: 'individual', name: 'Named', showName: true, region: 'Wales' });
    const org = await buildSignature({ name: 'Wales School', region: 'Wales' });
    const admin = await buildUser({ roles: ['admin'] });
    let counts = (await supertest(app).get('/api/v1/pledge/signatures').expect(200)).body.counts;
    expect(counts).to.deep.equal({ total: 3, byType: { individual: 2, school: 1 }, byRegion: { Wales: 3 } });
    await supertest(app)
      .patch(`/api/v1/pledge/signatures/${org.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .send({ hidden: true, reason: 'spam' })
      .expect(200);
    counts = (await supertest(app).get('/api/v1/pledge/signatures').expect(200)).body.counts;
    expect(counts.byType).to.deep.equal({ individual: 2 });
  });

  it('the public list page works without JavaScript: a GET form, a captioned table and a next-page link', async () => {
    for (let i = 0; i < 55; i++) await buildSignature({ name: `School ${String(i).padStart(2, '0')}` });
    const res = await supertest(app).get('/pledge/signatories').expect(200);
    expect(res.text).to.include('<form method="get" action="/pledge/signatories"').and.to.include('rel="next"');
    // The table is a region named by its caption, so it can be scrolled from the keyboard.
    expect(res.text).to.match(
      /<div class="table-wrap" role="region" tabindex="0" aria-labelledby="(table-caption-\d+)">[\s\S]*<caption id="\1">/,
    );
    expect(res.text).to.include('School 00').and.to.not.include('School 54');
    const next = /href="(\/pledge\/signatories\?cursor=[^"]+)"/.exec(res.text)![1]!;
    expect((await supertest(app).get(next.replace(/&amp;/g, '&')).expect(200)).text).to.include('School 54');
    await supertest(app).get('/pledge/signatories?country=nowhere&q[$gt]=').expect(422);
  });

  it('when a filter of the public list cannot be read, it answers 422 with the error at that field, keeps what she typed and lists nobody', async () => {
    await buildSignature({ name: 'Listed Academy' });
    const long = 'L'.repeat(101);
    const res = await supertest(app).get(`/pledge/signatories?q=${long}&type=bogus&country=GB`).expect(422);
    expect(res.text).to.include(`id="field-q" name="q" type="search" dir="auto" value="${long}"`);
    expect(res.text).to.include('<a href="#field-q">Name: ').and.to.include('<a href="#field-type">Type: ');
    expect(res.text).to.include('id="field-q-error"').and.to.include('id="field-type-error"');
    expect(res.text).to.match(
      /<select id="field-type" name="type" aria-invalid="true" aria-describedby="field-type-error">/,
    );
    expect(res.text).to.match(/<option value="GB" selected>/);
    expect(res.text).to.not.include('Listed Academy');
    expect(res.text).to.include('No signatories are listed until the search is corrected');
    // A parameter the page has no field for (a campaign link's) filters nothing and is no error.
    expect((await supertest(app).get('/pledge/signatories?utm_source=news').expect(200)).text).to.include(
      'Listed Academy',
    );
  });

  it('a signed-out visitor at a page that is not there is offered the home page and sign-in, not a dashboard', async () => {
    const res = await supertest(app).get('/pledge/organisations/000000000000000000000000').expect(404);
    expect(res.text).to.not.include('dashboard');
    expect(res.text).to.include('<a href="/">Go to the home page</a>').and.to.include('<a href="/login">sign in</a>');
    const missing = await supertest(app).get('/pledge/no-such-page').expect(404);
    expect(missing.text).to.not.include('dashboard');
  });

  it('an organisation has a public page; a pending, hidden, unknown or malformed one is a 404', async () => {
    const org = await buildSignature({ name: 'Page School' });
    expect((await supertest(app).get(`/pledge/organisations/${org.id}`).expect(200)).text).to.include('Page School');
    await supertest(app)
      .get(`/pledge/organisations/${(await buildSignature({ status: 'pending' })).id}`)
      .expect(404);
    await supertest(app)
      .get(`/pledge/organisations/${(await buildSignature({ hidden: true })).id}`)
      .expect(404);
    await supertest(app)
      .get(`/pledge/organisations/${(await buildSignature({ kind: 'individual', showName: true })).id}`)
      .expect(404);
    await supertest(app).get('/pledge/organisations/000000000000000000000000').expect(404);
    await supertest(app).get('/pledge/organisations/nope').expect(404);
  });

  it('the badge is an accessible SVG served as image/svg+xml with a public cache header, its name escaped', async () => {
    const org = await buildSignature({ name: 'Smith & <Jones> "School"' });
    const res = await supertest(app)
      .get(`/pledge/organisations/${org.id}/badge.svg`)
      .buffer(true)
      .parse((r, cb) => {
        let d = '';
        r.on('data', (c: Buffer) => (d += c));
        r.on('end', () => cb(null, d));
      })
      .expect(200);
    expect(res.headers['content-type']).to.match(/^image\/svg\+xml/);
    expect(res.headers['cache-control'])
      .to.match(/public/)
      .and.to.match(/max-age=\d+/);
    expect(res.headers['cross-origin-resource-policy']).to.equal('cross-origin');
    // Sites that embed the badge revalidate it: unchanged, 304 and no body.
    await supertest(app)
      .get(`/pledge/organisations/${org.id}/badge.svg`)
      .set('If-None-Match', res.headers.etag!)
      .expect(304);
    const svg = res.body as string;
    expect(svg).to.match(
      /<title id="badge-title">Smith &amp; &lt;Jones&gt; &quot;School&quot; has signed the Leading Women to Headship Pledge<\/title>/,
    );
    expect(svg).to.include('role="img"').and.to.include('We have signed the').and.to.not.include('<Jones>');
    await supertest(app)
      .get(`/pledge/organisations/${(await buildSignature({ hidden: true })).id}/badge.svg`)
      .expect(404);
  });

  it("the badge shortens a long name between characters, never inside one, and keeps a right-to-left name's year in its place", async () => {
    const badgeOf = async (name: string) => {
      const org = await buildSignature({ name });
      const res = await supertest(app)
        .get(`/pledge/organisations/${org.id}/badge.svg`)
        .buffer(true)
        .parse((r, cb) => {
          let d = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (d += c));
          r.on('end', () => cb(null, d));
        })
        .expect(200);
      return /font-size="12" fill="#f3e9fb">([^<]*)<\/text>/.exec(res.body as string)![1]!;
    };
    const year = new Date().getUTCFullYear();
    // 40 letters, then a letter outside the BMP (two UTF-16 units) where the old cut fell between its halves.
    const long = `${'a'.repeat(40)}𠮷${'b'.repeat(10)}`;
    const shown = await badgeOf(long);
    expect(shown).to.not.include('\uFFFD');
    expect(shown).to.equal(`\u2068${'a'.repeat(40)}𠮷…\u2069 · ${year}`);
    // Isolated, the year stays after the name: without it, "2027" after Arabic letters is laid out right to left too.
    expect(await badgeOf('مدرسة النور')).to.equal(`\u2068مدرسة النور\u2069 · ${year}`);
  });

  it('the badge of a name stored before characters that are not text were refused is still an SVG a browser draws, the name shown without them', async () => {
    const org = await buildSignature({ name: 'Acme\uFFFE School\uFFFF \u0001Trust\uFDD0' });
    const res = await supertest(app)
      .get(`/pledge/organisations/${org.id}/badge.svg`)
      .buffer(true)
      .parse((r, cb) => {
        let d = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (d += c));
        r.on('end', () => cb(null, d));
      })
      .expect(200);
    const svg = res.body as string;
    // Every character is one XML 1.0 allows (its Char production), so the SVG is well-formed.
    expect(svg.match(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu)).to.equal(null);
    expect(svg).to.include('<title id="badge-title">Acme School Trust has signed the Leading Women to Headship Pledge');
  });

  it('the Pledge page shows the text, the counts and the way to sign', async () => {
    await buildSignature();
    const res = await supertest(app).get('/pledge').expect(200);
    expect(res.text)
      .to.include('counteract what deters or prevents women from becoming headteachers')
      .and.to.include('/pledge/sign/organisation')
      .and.to.include('/pledge/sign/individual');
  });

  it('the three Pledge operations are in the OpenAPI document', async () => {
    const doc = (await supertest(app).get('/api/v1/openapi.json').expect(200)).body;
    expect(Object.keys(doc.paths['/pledge/signatures'])).to.include.members(['get', 'post']);
    expect(doc.paths['/pledge/signatures/{id}']).to.have.property('patch');
  });

  it('a signature confirmed through another app process shows on the list and in the counts at the next request', async () => {
    const before = await supertest(app).get('/api/v1/pledge/signatures?region=Elsewhere').expect(200);
    expect(before.body.counts.total).to.equal(0);
    // What another process's confirmation does: its write, then the bump of the shared list version.
    await PledgeSignatureModel.create({
      kind: 'organisation',
      name: 'Far Process School',
      nameKey: 'far process school',
      email: 'far@example.org',
      signKey: 'far',
      organisationType: 'school',
      region: 'Elsewhere',
      country: 'GB',
      listed: true,
      status: 'confirmed',
      confirmedAt: new Date(),
    });
    await listChanged();
    const after = await supertest(app).get('/api/v1/pledge/signatures?region=Elsewhere').expect(200);
    expect(after.body.items.map((i: { name: string }) => i.name)).to.deep.equal(['Far Process School']);
    expect(after.body.counts.total).to.equal(1);
  });
});
