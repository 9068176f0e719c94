import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import supertest from 'supertest';
import { PledgeAuditEntryModel } from '../../models/PledgeAuditEntry.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { PledgeProgressUpdateModel } from '../../models/PledgeProgressUpdate.ts';
import { commitmentStats, signaturesOverTime } from '../../server/services/pledge/admin.ts';
import { listCommitmentOptions } from '../../server/services/pledge/index.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildCommitmentOption, buildSignature } from '../support/pledgeFactories.ts';

describe('pledge: moderation, commitment options, dashboard and export', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let adminAuth: { Authorization: string };
  let admin: Awaited<ReturnType<typeof signIn>>;
  before(async () => {
    app = testApp();
    const user = await buildUser({ roles: ['admin'], name: 'Ada Admin' });
    adminAuth = { Authorization: `Bearer ${await tokenFor(user)}` };
    admin = await signIn(app, user.email, testPassword);
  });

  it('an admin hides a signature with a reason: gone from the list, reason in the audit trail, no email in the answer', async () => {
    const org = await buildSignature({ name: 'Spammy Org' });
    const res = await supertest(app)
      .patch(`/api/v1/pledge/signatures/${org.id}`)
      .set(adminAuth)
      .send({ hidden: true, reason: 'Spam: not a real school' })
      .expect(200);
    expect(res.body).to.include({ id: org.id, hidden: true, hiddenReason: 'Spam: not a real school' });
    expect(JSON.stringify(res.body)).to.not.include('@');
    expect((await supertest(app).get('/api/v1/pledge/signatures?q=Spammy').expect(200)).body.items).to.have.length(0);
    const audit = await PledgeAuditEntryModel.find({ signatureId: org.id }).lean();
    expect(audit.map((a) => [a.action, a.reason, a.actorLabel])).to.deep.equal([
      ['hidden', 'Spam: not a real school', 'Ada Admin'],
    ]);
    await supertest(app)
      .patch(`/api/v1/pledge/signatures/${org.id}`)
      .set(adminAuth)
      .send({ hidden: false, reason: 'Verified by phone' })
      .expect(200);
    expect((await supertest(app).get('/api/v1/pledge/signatures?q=Spammy').expect(200)).body.items).to.have.length(1);
    expect(await PledgeAuditEntryModel.countDocuments({ signatureId: org.id })).to.equal(2);
  });

  it('a hidden signature leaves the list at once, even when the process stops before writing the trails', async () => {
    const org = await buildSignature({ name: 'Stopped Moderation Org' });
    const listed = async () =>
      (await supertest(app).get('/api/v1/pledge/signatures?q=Stopped').expect(200)).body.items as unknown[];
    expect(await listed()).to.have.length(1);
    const model = PledgeAuditEntryModel as unknown as Record<string, unknown>;
    const create = model.create;
    model.create = () => {
      model.create = create;
      throw new Error('the process stopped');
    };
    try {
      await supertest(app)
        .patch(`/api/v1/pledge/signatures/${org.id}`)
        .set(adminAuth)
        .send({ hidden: true, reason: 'Spam' })
        .expect(500);
    } finally {
      model.create = create;
    }
    expect((await PledgeSignatureModel.findById(org.id).lean())!.hidden).to.equal(true);
    expect(await listed()).to.have.length(0);
  });

  it('hiding needs an admin (401 anonymous, 403 otherwise), a reason and known fields (422), a real id (404)', async () => {
    const org = await buildSignature();
    await supertest(app).patch(`/api/v1/pledge/signatures/${org.id}`).send({ hidden: true, reason: 'x' }).expect(401);
    await supertest(app)
      .patch(`/api/v1/pledge/signatures/${org.id}`)
      .set({ Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['facilitator'] }))}` })
      .send({ hidden: true, reason: 'x' })
      .expect(403);
    await supertest(app).patch(`/api/v1/pledge/signatures/${org.id}`).set(adminAuth).send({ hidden: true }).expect(422);
    await supertest(app)
      .patch(`/api/v1/pledge/signatures/${org.id}`)
      .set(adminAuth)
      .send({ hidden: 'yes', reason: 'x' })
      .expect(422);
    await supertest(app)
      .patch(`/api/v1/pledge/signatures/${org.id}`)
      .set(adminAuth)
      .send({ hidden: true, reason: 'x', deleted: true })
      .expect(422);
    await supertest(app)
      .patch('/api/v1/pledge/signatures/nope')
      .set(adminAuth)
      .send({ hidden: true, reason: 'x' })
      .expect(404);
    await supertest(app)
      .patch('/api/v1/pledge/signatures/000000000000000000000000')
      .set(adminAuth)
      .send({ hidden: true, reason: 'x' })
      .expect(404);
    expect((await PledgeSignatureModel.findById(org.id).lean())!.hidden).to.equal(false);
    expect(await PledgeAuditEntryModel.countDocuments({ signatureId: org.id })).to.equal(0);
  });

  it('an admin hides through the web page (a reason is required) and deletes at the signer’s request', async () => {
    const org = await buildSignature({ name: 'Web Moderated' });
    const page = await admin.get(`/admin/pledge/signatures/${org.id}`).expect(200);
    expect(page.text).to.include(org.email);
    await admin
      .post(`/admin/pledge/signatures/${org.id}/visibility`)
      .type('form')
      .send({ hidden: 'yes', reason: '', _csrf: csrfFrom(page.text) })
      .expect(422);
    await admin
      .post(`/admin/pledge/signatures/${org.id}/visibility`)
      .type('form')
      .send({ hidden: 'yes', reason: 'Withdrawn', _csrf: csrfFrom(page.text) })
      .expect(303);
    expect((await PledgeSignatureModel.findById(org.id).lean())!.hiddenReason).to.equal('Withdrawn');
    await admin
      .post(`/admin/pledge/signatures/${org.id}/delete`)
      .type('form')
      .send({ reason: 'Asked by email', _csrf: csrfFrom(page.text) })
      .expect(422);
    await admin
      .post(`/admin/pledge/signatures/${org.id}/delete`)
      .type('form')
      .send({ reason: 'Asked by email', confirm: 'yes', _csrf: csrfFrom(page.text) })
      .expect(303);
    expect(await PledgeSignatureModel.exists({ _id: org.id })).to.equal(null);
    const after = await admin.get(`/admin/pledge/signatures/${org.id}`).expect(200);
    expect(after.text).to.include('Deleted signature').and.to.include('Asked by email').and.to.not.include(org.email);
  });

  it('when the delete form is sent without its confirmation, it answers 422, deletes nothing and keeps the request details typed', async () => {
    const org = await buildSignature({ name: 'Kept Details' });
    const page = await admin.get(`/admin/pledge/signatures/${org.id}`).expect(200);
    const details = 'Asked by email on 3 March by the head & her deputy';
    const refused = await admin
      .post(`/admin/pledge/signatures/${org.id}/delete`)
      .type('form')
      .send({ reason: details, _csrf: csrfFrom(page.text) })
      .expect(422);
    expect(refused.text).to.include('value="Asked by email on 3 March by the head &amp; her deputy"');
    expect(await PledgeSignatureModel.exists({ _id: org.id })).to.not.equal(null);
    const hiding = await admin
      .post(`/admin/pledge/signatures/${org.id}/visibility`)
      .type('form')
      .send({ hidden: 'yes', reason: 'x'.repeat(2000), _csrf: csrfFrom(page.text) })
      .expect(422);
    expect(hiding.text).to.include(`value="${'x'.repeat(2000)}"`);
  });

  it('when the signature search cannot be read, it answers 422 at that field, keeps what she typed and lists nothing', async () => {
    await buildSignature({ name: 'Searchable School' });
    const long = 's'.repeat(101);
    const res = await admin.get(`/admin/pledge/signatures?q=${long}&status=pending`).expect(422);
    expect(res.text).to.include(`value="${long}"`).and.to.include('<a href="#field-q">Name or email: ');
    expect(res.text)
      .to.include('id="field-q-error"')
      .and.to.match(/<option value="pending" selected>/);
    expect(res.text).to.not.include('Searchable School');
    expect(res.text).to.include('No signatures are listed until the search');
    const status = await admin.get('/admin/pledge/signatures?q=Searchable&status=deleted').expect(422);
    expect(status.text).to.include('<a href="#field-status">Status: ').and.to.include('value="Searchable"');
    expect(status.text).to.not.include('Searchable School</a>');
    expect((await admin.get('/admin/pledge/signatures?q=Searchable').expect(200)).text).to.include('Searchable School');
  });

  it('admins maintain the commitment options; a retired option is no longer offered', async () => {
    const page = await admin.get('/admin/pledge/commitments').expect(200);
    await admin
      .post('/admin/pledge/commitments')
      .type('form')
      .send({ title: '', _csrf: csrfFrom(page.text) })
      .expect(422);
    await admin
      .post('/admin/pledge/commitments')
      .type('form')
      .send({ title: 'Women leaders are offered a mentor', description: 'Within a term', _csrf: csrfFrom(page.text) })
      .expect(303);
    const list = await admin.get('/admin/pledge/commitments').expect(200);
    const id = /action="\/admin\/pledge\/commitments\/([0-9a-f]{24})"/.exec(list.text)![1]!;
    await admin
      .post(`/admin/pledge/commitments/${id}`)
      .type('form')
      .send({
        title: 'Women leaders are offered a mentor',
        description: 'Within a term',
        position: '3',
        _csrf: csrfFrom(list.text),
      })
      .expect(303);
    expect((await listCommitmentOptions({ includeRetired: false })).map((o) => o.id)).to.not.include(id);
  });

  it('when an edit of a commitment option is refused, its form keeps what she typed, not what is stored', async () => {
    const option = await buildCommitmentOption({ title: 'Stored wording' });
    const page = await admin.get('/admin/pledge/commitments').expect(200);
    const res = await admin
      .post(`/admin/pledge/commitments/${option.id}`)
      .type('form')
      .send({ title: 'New wording', description: 'New description', position: '-1', _csrf: csrfFrom(page.text) })
      .expect(422);
    const form = new RegExp(`<form[^>]*action="/admin/pledge/commitments/${option.id}"[\\s\\S]*?</form>`).exec(
      res.text,
    )![0];
    expect(form).to.include('value="New wording"').and.to.include('New description</textarea>');
    expect(form).to.include('value="-1"').and.to.not.include('value="Stored wording"');
    // Unticked "Offered to organisations" stays unticked; the add form stays empty.
    expect(form).to.match(/name="active" value="yes">/);
    const addForm = /<form[^>]*action="\/admin\/pledge\/commitments"[\s\S]*?<\/form>/.exec(res.text)![0];
    expect(addForm).to.not.include('New wording');
    expect((await listCommitmentOptions({ includeRetired: true })).find((o) => o.id === option.id)!.title).to.equal(
      'Stored wording',
    );
  });

  it('the admin forms introduce each error by the label shown, linking to that field in the form that was sent', async () => {
    /** The error summary as `#id Label` lines; every link lands on an element of the form posting to `action`. */
    const summaryOf = (html: string, action: string) => {
      const form = new RegExp(`<form[^>]*action="${action}"[\\s\\S]*?</form>`).exec(html)![0];
      return [...html.matchAll(/<li><a href="#([^"]+)">([^:<]*):/g)].map(([, id, label]) => {
        expect(form, `#${id} in the form sent`).to.include(`id="${id}"`);
        return `#${id} ${label}`;
      });
    };
    const option = await buildCommitmentOption({ title: 'Panels are trained' });
    const page = await admin.get('/admin/pledge/commitments').expect(200);
    const added = await admin
      .post('/admin/pledge/commitments')
      .type('form')
      .send({ title: '', _csrf: csrfFrom(page.text) })
      .expect(422);
    expect(summaryOf(added.text, '/admin/pledge/commitments')).to.deep.equal(['#field-title Commitment']);
    const edited = await admin
      .post(`/admin/pledge/commitments/${option.id}`)
      .type('form')
      .send({ title: '', description: 'd'.repeat(1001), position: '-1', _csrf: csrfFrom(page.text) })
      .expect(422);
    expect(summaryOf(edited.text, `/admin/pledge/commitments/${option.id}`)).to.have.members([
      '#field-title Commitment',
      '#field-description Description',
      '#field-position Position in the list',
    ]);

    const org = await buildSignature({ name: 'Labelled Errors' });
    const detail = await admin.get(`/admin/pledge/signatures/${org.id}`).expect(200);
    const deleting = await admin
      .post(`/admin/pledge/signatures/${org.id}/delete`)
      .type('form')
      .send({ reason: '', _csrf: csrfFrom(detail.text) })
      .expect(422);
    expect(summaryOf(deleting.text, `/admin/pledge/signatures/${org.id}/delete`)).to.have.members([
      '#field-reason Request details',
      '#field-confirm The signer asked for her data to be deleted',
    ]);
    const hiding = await admin
      .post(`/admin/pledge/signatures/${org.id}/visibility`)
      .type('form')
      .send({ hidden: 'yes', reason: '', _csrf: csrfFrom(detail.text) })
      .expect(422);
    expect(summaryOf(hiding.text, `/admin/pledge/signatures/${org.id}/visibility`)).to.deep.equal([
      '#field-reason Reason',
    ]);
  });

  it('the admin pages are for admins only', async () => {
    const participant = await signIn(app, (await buildUser()).email, testPassword);
    for (const path of [
      '/admin/pledge',
      '/admin/pledge/signatures',
      '/admin/pledge/commitments',
      '/admin/pledge/export/signatures.csv',
    ])
      await participant.get(path).expect(403);
    await supertest(app).get('/admin/pledge').expect(303);
  });

  it('the dashboard shows an SVG chart of signatures over time, counts by type and region, and commitment rankings', async () => {
    const option = await buildCommitmentOption({ title: 'Most popular commitment' });
    const org = await buildSignature({
      name: 'Charted',
      region: 'Chart Region',
      confirmedAt: new Date(Date.now() - 40 * 86_400_000),
    });
    await PledgeSignatureModel.updateOne(
      { _id: org.id },
      { $set: { commitments: [{ optionId: option.id, addedAt: new Date() }] } },
    );
    const res = await admin.get('/admin/pledge').expect(200);
    expect(res.text)
      .to.match(/<svg class="chart"[^>]*role="img"/)
      .and.to.include('<title id="chart-svg-title">')
      .and.to.include('<rect');
    expect(res.text).to.include('Chart Region').and.to.include('Most popular commitment');
  });

  it('the dashboard’s chart and rankings count listed signatures only, as its counts by type and region do', async () => {
    const option = await buildCommitmentOption({ title: 'Counted commitment' });
    const now = new Date();
    const listed = await buildSignature({ name: 'Listed school', confirmedAt: now });
    const hidden = await buildSignature({ name: 'Hidden school', confirmedAt: now });
    await PledgeSignatureModel.updateOne({ _id: hidden.id }, { $set: { hidden: true, hiddenReason: 'spam' } });
    for (const s of [listed, hidden])
      await PledgeProgressUpdateModel.create({
        signatureId: s.id,
        optionId: option.id,
        body: 'We trained the panel.',
        postedAt: now,
      });
    const stats = await commitmentStats();
    expect(stats.mostReported.find((r) => r.title === 'Counted commitment')!.updates).to.equal(1);
    const months = await signaturesOverTime({ now, months: 1 });
    const confirmedThisMonth = await PledgeSignatureModel.countDocuments({
      status: 'confirmed',
      hidden: false,
      confirmedAt: { $gte: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) },
    });
    expect(months[0]!.count).to.equal(confirmedThisMonth);
  });

  it('the chart counts months on the reader’s calendar: on 1 April in Auckland (31 March in UTC) her last bar is April, and a signature of that morning is in it', async () => {
    const now = new Date('2027-03-31T19:30:00Z'); // 08:30 on 1 April in Auckland
    await buildSignature({ name: 'Auckland morning school', confirmedAt: new Date('2027-03-31T19:00:00Z') });
    const auckland = await signaturesOverTime({ now, months: 2, zone: 'Pacific/Auckland' });
    expect(auckland.map((b) => b.key)).to.deep.equal(['2027-03', '2027-04']);
    expect(auckland.at(-1)!.label).to.equal('Apr 2027');
    expect(auckland.at(-1)!.count).to.equal(1);
    const utc = await signaturesOverTime({ now, months: 2, zone: 'UTC' });
    expect(utc.map((b) => `${b.key}:${b.count}`)).to.deep.equal(['2027-02:0', '2027-03:1']);
  });

  it('the CSV export has everything, escaped, and no cell a spreadsheet would run as a formula', async () => {
    await buildSignature({ name: '=HYPERLINK("http://evil.example","click")', email: 'csv@example.org' });
    await buildSignature({ name: 'Comma, "Quotes" School', region: '+44 region' });
    await buildSignature({ name: '@SUM(A1)', region: '-1', status: 'pending' });
    const res = await admin.get('/admin/pledge/export/signatures.csv').buffer(true).expect(200);
    expect(res.headers['content-type']).to.match(/^text\/csv/);
    expect(res.headers['content-disposition']).to.include('attachment');
    const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    const names = rows.map((r) => r.name);
    expect(names)
      .to.include('\'=HYPERLINK("http://evil.example","click")')
      .and.to.include('Comma, "Quotes" School')
      .and.to.include("'@SUM(A1)");
    expect(rows.map((r) => r.region))
      .to.include("'+44 region")
      .and.to.include("'-1");
    expect(rows.find((r) => r.email === 'csv@example.org')).to.not.equal(undefined);
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).to.not.match(/^[=+\-@\t\r]/);
    await admin.get('/admin/pledge/export/updates.csv').expect(200);
    await admin.get('/admin/pledge/export/audit.csv').expect(200);
    await admin.get('/admin/pledge/export/passwords.csv').expect(404);
  });
});
