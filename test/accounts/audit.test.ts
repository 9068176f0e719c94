import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { settings } from '../../server/settings.ts';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { removeExpiredRecords } from '../../jobs/maintenance.ts';
import { recordAuditEvent } from '../../server/services/audit/events.ts';
import { searchAuditEvents } from '../../server/services/audit/trail.ts';
import { setSignatureHidden } from '../../server/services/pledge/admin.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { buildSignature } from '../support/pledgeFactories.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dayMs = 24 * 60 * 60 * 1000;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('the audit trail', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });
  const asAdmin = async () => {
    const admin = await buildUser({ roles: ['admin'], timezone: 'America/Toronto' });
    return { admin, token: await tokenFor(admin) };
  };

  it('a failed sign-in is recorded with no actor, the account as target and the address, never the typed password', async () => {
    const user = await buildUser();
    const agent = supertest.agent(app);
    const page = await agent.get('/login');
    await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: 'my-secret-guess-123', _csrf: csrfFrom(page.text) })
      .expect(401);
    await agent
      .post('/login')
      .type('form')
      .send({ email: 'nobody-here@example.org', password: 'another-guess-456', _csrf: csrfFrom(page.text) })
      .expect(401);
    const failed = await AuditEventModel.find({ action: 'sign-in-failed' }).sort({ at: 1 }).lean();
    const mine = failed.find((e) => e.targetId === user.id)!;
    expect(mine.actorId).to.equal(null);
    expect(mine.ip).to.be.a('string').and.not.equal('');
    expect(failed.some((e) => e.targetId === null && /no active account/.test(e.detail))).to.equal(true);
    const everything = JSON.stringify(await AuditEventModel.find({}).lean());
    expect(everything).to.not.include('my-secret-guess-123').and.not.include('another-guess-456');
  });

  it('records sign-in, user-created and pledge-signature-hidden with who, whom and the address', async () => {
    const { admin, token } = await asAdmin();
    const created = await supertest(app)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${token}`)
      .send({ email: `new-${admin.id}@example.org`, name: 'Nadia New', roles: ['participant'] })
      .expect(201);
    const event = await AuditEventModel.findOne({ action: 'user-created', targetId: created.body.id }).lean();
    expect(String(event!.actorId)).to.equal(admin.id);
    expect(event!.actorName).to.equal(admin.name);
    const signature = await buildSignature();
    await setSignatureHidden({
      signatureId: signature.id,
      hidden: true,
      reason: 'spam',
      actor: admin,
      now: new Date(),
      ip: '203.0.113.9',
    });
    const hidden = await AuditEventModel.findOne({ action: 'pledge-signature-hidden' }).lean();
    expect(hidden).to.include({
      targetType: 'pledge-signature',
      targetId: signature.id,
      ip: '203.0.113.9',
      detail: 'spam',
    });
    await signIn(app, admin.email, testPassword);
    expect(await AuditEventModel.countDocuments({ action: 'sign-in', actorId: admin.id })).to.equal(1);
  });

  it('GET /audit-events answers admins newest first, filtered by actor, action, target and since, page by page', async () => {
    const { admin, token } = await asAdmin();
    const subject = await buildUser();
    const base = Date.now() - 10 * 60_000;
    for (let i = 0; i < 5; i++)
      await recordAuditEvent({
        action: 'user-updated',
        actor: admin,
        target: { type: 'user', id: subject.id },
        ip: '198.51.100.7',
        detail: `change ${i}`,
        at: new Date(base + i * 1000),
      });
    const get = (query: string) =>
      supertest(app).get(`/api/v1/audit-events?${query}`).set('Authorization', `Bearer ${token}`).expect(200);
    const first = await get(`targetId=${subject.id}&limit=3`);
    expect(first.body.items.map((e: { detail: string }) => e.detail)).to.deep.equal([
      'change 4',
      'change 3',
      'change 2',
    ]);
    expect(first.body.items[0]).to.deep.include({
      action: 'user-updated',
      ip: '198.51.100.7',
      target: { type: 'user', id: subject.id },
    });
    expect(first.body.items[0].actor).to.deep.equal({ id: admin.id, name: admin.name });
    const second = await get(`targetId=${subject.id}&limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((e: { detail: string }) => e.detail)).to.deep.equal(['change 1', 'change 0']);
    expect(second.body.nextCursor).to.equal(null);
    const since = new Date(base + 2500).toISOString();
    const recent = await get(`actorId=${admin.id}&action=user-updated&since=${encodeURIComponent(since)}`);
    expect(recent.body.items.map((e: { detail: string }) => e.detail)).to.deep.equal(['change 4', 'change 3']);
    await supertest(app).get('/api/v1/audit-events?action=made-up').set('Authorization', `Bearer ${token}`).expect(422);
    const participant = await buildUser();
    await supertest(app)
      .get('/api/v1/audit-events')
      .set('Authorization', `Bearer ${await tokenFor(participant)}`)
      .expect(403);
  });

  it('pages through events that share a time (a bulk action) each once, newest first and by id within a time, with and without filters', async () => {
    const { admin } = await asAdmin();
    const subject = await buildUser();
    const instants = [0, 0, 0, 0, 0, -1000, -1000, -2000, 0].map((d) => new Date(Date.UTC(2026, 10, 2, 9) + d));
    for (const [i, at] of instants.entries())
      await recordAuditEvent({
        action: 'user-updated',
        actor: admin,
        target: { type: 'user', id: subject.id },
        detail: `event ${i}`,
        at,
      });
    const stored = await AuditEventModel.find({ targetId: subject.id }).lean();
    const expected = stored
      .sort((a, b) => b.at.getTime() - a.at.getTime() || (String(b._id) < String(a._id) ? -1 : 1))
      .map((e) => String(e._id));
    for (const filter of [{}, { targetId: subject.id }, { action: 'user-updated' as const }]) {
      for (const limit of [1, 2, 4]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await searchAuditEvents({ ...filter, limit, cursor });
          seen.push(...page.items.filter((e) => e.target?.id === subject.id).map((e) => e.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen, `${JSON.stringify(filter)}, ${limit} a page`).to.deep.equal(expected);
      }
    }
  });

  it('nothing edits or deletes an event: PATCH, PUT and DELETE by an admin are refused and the event is unchanged', async () => {
    const { admin, token } = await asAdmin();
    await recordAuditEvent({ action: 'user-updated', actor: admin, detail: 'the original' });
    const event = (await AuditEventModel.findOne({ detail: 'the original' }).lean())!;
    for (const method of ['patch', 'put', 'delete'] as const) {
      const client = supertest(app);
      const res = await client[method](`/api/v1/audit-events/${String(event._id)}`)
        .set('Authorization', `Bearer ${token}`)
        .send({ detail: 'rewritten' });
      expect([404, 405], method).to.include(res.status);
    }
    await supertest(app)
      .delete('/api/v1/audit-events')
      .set('Authorization', `Bearer ${token}`)
      .expect((res) => {
        expect([404, 405]).to.include(res.status);
      });
    expect((await AuditEventModel.findById(event._id).lean())!.detail).to.equal('the original');
  });

  it('no code but the retention job and erasure’s pseudonymisation updates or deletes audit events', () => {
    const writes =
      /AuditEventModel\s*\.\s*(update\w*|replace\w*|delete\w*|findOneAndUpdate|findOneAndDelete|findOneAndReplace|findByIdAndUpdate|findByIdAndDelete|bulkWrite|remove\w*)/;
    const offenders = ['server', 'routes', 'jobs', 'models']
      .flatMap((dir) => sourceFiles(path.join(root, dir)))
      .filter((file) => !file.endsWith(path.join('services', 'audit', 'retention.ts')))
      .filter(
        (file) =>
          writes.test(readFileSync(file, 'utf8')) ||
          /collection\(['"]auditevents['"]\)/.test(readFileSync(file, 'utf8')),
      );
    expect(offenders.map((f) => path.relative(root, f))).to.deep.equal([]);
    const retention = readFileSync(path.join(root, 'server/services/audit/retention.ts'), 'utf8');
    expect(retention.match(new RegExp(writes, 'g'))).to.deep.equal([
      'AuditEventModel.deleteMany',
      'AuditEventModel.updateOne',
      'AuditEventModel.updateMany',
    ]);
  });

  it('by default the maintenance job deletes no event, however old; with a retention set it removes the older ones and keeps the rest', async () => {
    const now = new Date();
    await recordAuditEvent({
      action: 'sign-out',
      actor: null,
      detail: 'ten years old',
      at: new Date(now.getTime() - 3650 * dayMs),
    });
    expect((await removeExpiredRecords(now)).auditEvents).to.equal(0);
    expect(await AuditEventModel.countDocuments({ detail: 'ten years old' })).to.equal(1);
    await AuditEventModel.deleteMany({});
    settings.auditRetentionDays = 730;
    await recordAuditEvent({
      action: 'sign-out',
      actor: null,
      detail: 'very old',
      at: new Date(now.getTime() - 731 * dayMs),
    });
    await recordAuditEvent({
      action: 'sign-out',
      actor: null,
      detail: 'old but kept',
      at: new Date(now.getTime() - 729 * dayMs),
    });
    try {
      const result = await removeExpiredRecords(now);
      expect(result.auditEvents).to.equal(1);
    } finally {
      settings.auditRetentionDays = null;
    }
    expect(await AuditEventModel.countDocuments({ detail: 'very old' })).to.equal(0);
    expect(await AuditEventModel.countDocuments({ detail: 'old but kept' })).to.equal(1);
  });

  describe('the admin page', () => {
    it('filters by person, action and days in her zone, and exports the same events as CSV', async () => {
      const { admin } = await asAdmin();
      const person = await buildUser({ name: 'Petra Filtered' });
      await recordAuditEvent({
        action: 'mfa-reset',
        actor: admin,
        target: { type: 'user', id: person.id },
        detail: '=cmd() in detail',
        at: new Date('2026-05-10T15:00:00Z'),
      });
      await recordAuditEvent({
        action: 'mfa-reset',
        actor: admin,
        target: { type: 'user', id: person.id },
        detail: 'outside the days',
        at: new Date('2026-05-20T15:00:00Z'),
      });
      const agent = await signIn(app, admin.email, testPassword);
      const query = `person=${encodeURIComponent(person.email)}&action=mfa-reset&from=2026-05-10&to=2026-05-10`;
      const page = await agent.get(`/admin/audit?${query}`).expect(200);
      expect(page.text).to.include('=cmd() in detail').and.not.include('outside the days');
      expect(page.text).to.include('America/Toronto');
      const csv = await agent
        .get(`/admin/audit.csv?${query}`)
        .expect(200)
        .expect('Content-Type', /text\/csv/);
      const lines = csv.text.replace('\uFEFF', '').trim().split('\r\n');
      expect(lines[0]).to.equal('at (UTC),action,actor id,actor name,target type,target id,ip,detail');
      expect(lines).to.have.length(2);
      expect(lines[1]).to.include("'=cmd() in detail");
    });

    it('a day the clocks change is the whole local day: 25 hours when Toronto falls back, 23 when it springs forward', async () => {
      const { admin } = await asAdmin();
      const person = await buildUser({ name: 'Dana Daylight' });
      const event = (detail: string, at: string) =>
        recordAuditEvent({
          action: 'mfa-reset',
          actor: admin,
          target: { type: 'user', id: person.id },
          detail,
          at: new Date(at),
        });
      // 1 November 2026 in Toronto runs from 04:00Z to 05:00Z the next day; 8 March 2026 from 05:00Z to 04:00Z.
      await event('late on the long day', '2026-11-02T04:30:00Z');
      await event('early the day after the short day', '2026-03-09T04:30:00Z');
      const agent = await signIn(app, admin.email, testPassword);
      const filter = (day: string) => `/admin/audit?person=${encodeURIComponent(person.email)}&from=${day}&to=${day}`;
      expect((await agent.get(filter('2026-11-01')).expect(200)).text).to.include('late on the long day');
      expect((await agent.get(filter('2026-03-08')).expect(200)).text).to.not.include('early the day after');
      expect((await agent.get(filter('2026-03-09')).expect(200)).text).to.include('early the day after');
    });

    it('an unknown person or days the wrong way round are form errors (422), and non-admins cannot see it', async () => {
      const { admin } = await asAdmin();
      const agent = await signIn(app, admin.email, testPassword);
      const unknown = await agent.get('/admin/audit?person=nobody%40example.org').expect(422);
      expect(unknown.text).to.include('Nobody has this email address');
      await agent.get('/admin/audit?from=2026-05-10&to=2026-05-01').expect(422);
      await agent.get('/admin/audit?from=not-a-date').expect(422);
      // What she typed stays in the form beside the error, the person she was looking for too.
      const malformed = await agent.get('/admin/audit?person=ada%40example.org&from=2026-02-30').expect(422);
      expect(malformed.text).to.include('value="ada@example.org"').and.to.include('value="2026-02-30"');
      expect(malformed.text).to.include('<a href="#field-from">');
      // An action the list does not have (an old bookmark): the summary's link reaches a select that says what is wrong.
      const action = await agent.get('/admin/audit?action=made-up').expect(422);
      expect(action.text).to.include('<a href="#field-action">');
      expect(action.text).to.match(/<p class="error-message" id="field-action-error">/);
      expect(action.text).to.match(
        /<select id="field-action" name="action" aria-invalid="true" aria-describedby="field-action-error">/,
      );
      const participant = await buildUser();
      const other = await signIn(app, participant.email, testPassword);
      await other.get('/admin/audit').expect(403);
      await other.get('/admin/audit.csv').expect(403);
    });
  });
});
