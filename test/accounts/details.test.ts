import { expect } from 'chai';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { SignedInSessionModel } from '../../models/SignedInSession.ts';
import { UserModel } from '../../models/User.ts';
import { workAfterAnswersDone } from '../../server/http/afterAnswering.ts';
import { timeZoneGroups, timeZoneNamed } from '../../server/services/accounts/timeZones.ts';
import { formatDateTime } from '../../server/time.ts';
import { csrfFrom, csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** The select's option that is chosen, by value. */
const selectedZone = (html: string) => /<option value="([^"]+)" selected>/.exec(html)?.[1];
const invitationLinkOf = (text: string) => /http:\/\/pathways\.test(\/invitations\/[A-Za-z0-9_-]+)/.exec(text)![1]!;

describe('her own name and time zone', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  describe('the time zone chooser', () => {
    it('names zones as the zone database spells them, and refuses offsets, abbreviations and made-up places', () => {
      expect(timeZoneNamed('America/Toronto')).to.equal('America/Toronto');
      expect(timeZoneNamed(' europe/london ')).to.equal('Europe/London');
      expect(timeZoneNamed('UTC')).to.equal('UTC');
      for (const bad of ['Mars/Olympus_Mons', '+05:00', 'EST', 'EST5EDT', '', 'x'.repeat(65)])
        expect(timeZoneNamed(bad), bad).to.equal(undefined);
    });

    it('a legacy or linked zone name (US/Eastern, Asia/Calcutta, Europe/Kiev, in any case) is given its current IANA name, the one the chooser offers', () => {
      const expected: Record<string, string> = {
        'US/Eastern': 'America/New_York',
        'us/eastern': 'America/New_York',
        'Asia/Calcutta': 'Asia/Kolkata',
        'asia/calcutta': 'Asia/Kolkata',
        'Europe/Kiev': 'Europe/Kyiv',
        'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
        'Etc/UTC': 'UTC',
        'Asia/Kolkata': 'Asia/Kolkata',
        'Europe/Kyiv': 'Europe/Kyiv',
      };
      const offered = new Set(
        timeZoneGroups({ now: new Date('2027-01-15T12:00:00Z') }).flatMap((g) => g.options.map((o) => o.value)),
      );
      for (const [typed, current] of Object.entries(expected)) {
        expect(timeZoneNamed(typed), typed).to.equal(current);
        expect(offered.has(current), current).to.equal(true);
      }
    });

    it('groups every zone by region, names each by place, offset today and IANA name, and always offers the one selected', () => {
      const groups = timeZoneGroups({ now: new Date('2027-01-15T12:00:00Z') });
      expect(groups.map((g) => g.label)).to.include.members(['Africa', 'Americas', 'Asia', 'Europe', 'Other']);
      const options = groups.flatMap((g) => g.options);
      expect(options.length).to.be.greaterThan(300);
      expect(options.find((o) => o.value === 'America/Toronto')!.label).to.equal(
        'Toronto, UTC−05:00 (America/Toronto)',
      );
      expect(options.find((o) => o.value === 'America/Argentina/Buenos_Aires')!.label).to.match(
        /^Buenos Aires, Argentina, UTC−03:00/,
      );
      // A zone stored under a legacy name (before names were made current) is still offered, as a zone, and selected.
      for (const legacy of ['US/Eastern', 'Asia/Calcutta', 'Europe/Kiev']) {
        const offered = timeZoneGroups({ selected: legacy }).flatMap((g) =>
          g.options.map((o) => ({ ...o, group: g.label })),
        );
        const option = offered.find((o) => o.value === legacy)!;
        expect(option.label, legacy).to.not.include('not a time zone we know');
        expect(option.group, legacy).to.not.equal('What you entered');
      }
      const withUnknown = timeZoneGroups({ selected: 'Mars/Olympus_Mons' });
      expect(withUnknown[0]!.options).to.deep.equal([
        { value: 'Mars/Olympus_Mons', label: 'Mars/Olympus_Mons (not a time zone we know)' },
      ]);
    });
  });

  describe('the "Your account" page', () => {
    it('shows her name and a labelled, described select of zones grouped by region, with her zone selected', async () => {
      const maya = await buildUser({ name: 'Maya Okafor', timezone: 'America/Toronto' });
      const agent = await signIn(app, maya.email, testPassword);
      const page = await agent.get('/account').expect(200);
      expect(page.text).to.include('Times are shown in your zone, America/Toronto.');
      expect(page.text).to.include('<label for="field-name">Your name</label>');
      expect(page.text).to.match(
        /<input id="field-name" name="name" type="text" dir="auto" value="Maya Okafor" required/,
      );
      expect(page.text).to.include('<label for="field-timezone">Time zone</label>');
      expect(page.text).to.match(
        /<select id="field-timezone" name="timezone" required aria-describedby="field-timezone-hint">/,
      );
      expect(page.text).to.include('<optgroup label="Europe">').and.include('<optgroup label="Americas">');
      expect(selectedZone(page.text)).to.equal('America/Toronto');
      expect(page.text).to.include('href="/account/security"');
    });

    it('when she saves a new name and zone, the message names the zone now used, both are stored, and the audit trail records her change before → after', async () => {
      const aisha = await buildUser({ name: 'a1', timezone: 'Europe/London' });
      await DirectoryProfileModel.create({
        _id: aisha.id,
        name: 'a1',
        visibility: 'everyone',
        headline: 'Deputy head',
        role: 'Deputy head',
        phase: 'primary',
        country: 'GB',
        region: 'Leeds',
        searchText: 'a1',
      });
      const agent = await signIn(app, aisha.email, testPassword);
      const csrf = await csrfOf(agent, '/account');
      await agent
        .post('/account')
        .type('form')
        .send({ _csrf: csrf, name: '  Aisha Khan ', timezone: 'America/Toronto' })
        .expect(303)
        .expect('Location', '/account');
      const page = await agent.get('/account').expect(200);
      expect(page.text).to.match(
        /Your details are saved\. Times are now shown in your zone, America\/Toronto: it is \d\d:\d\d E[SD]T there now\./,
      );
      expect(page.text).to.include('Times are shown in your zone, America/Toronto.');
      expect(selectedZone(page.text)).to.equal('America/Toronto');
      const stored = (await UserModel.findById(aisha.id).lean())!;
      expect({ name: stored.name, timezone: stored.timezone }).to.deep.equal({
        name: 'Aisha Khan',
        timezone: 'America/Toronto',
      });
      expect((await DirectoryProfileModel.findById(aisha.id).lean())!.name).to.equal('Aisha Khan');
      const events = await AuditEventModel.find({ action: 'user-updated', targetId: aisha.id }).lean();
      expect(events).to.have.length(1);
      expect(String(events[0]!.actorId)).to.equal(aisha.id);
      expect(events[0]!.detail).to.equal('name: a1 → Aisha Khan; timezone: Europe/London → America/Toronto');
    });

    it('saving the same zone says the zone is kept, and writes and audits nothing', async () => {
      const ines = await buildUser({ name: 'Ines Duarte', timezone: 'Europe/Lisbon' });
      const agent = await signIn(app, ines.email, testPassword);
      const csrf = await csrfOf(agent, '/account');
      await agent
        .post('/account')
        .type('form')
        .send({ _csrf: csrf, name: 'Ines Duarte', timezone: 'Europe/Lisbon' })
        .expect(303);
      expect((await agent.get('/account')).text).to.include(
        'Your details are saved. Times are shown in your zone, Europe/Lisbon, as before.',
      );
      expect(await AuditEventModel.countDocuments({ action: 'user-updated', targetId: ines.id })).to.equal(0);
    });

    it('a zone that is not one is refused with 422: the error sits at the zone field, what she sent is kept, nothing is written', async () => {
      const tomas = await buildUser({ name: 'Tomas Berg', timezone: 'Europe/Stockholm' });
      const agent = await signIn(app, tomas.email, testPassword);
      const csrf = await csrfOf(agent, '/account');
      const res = await agent
        .post('/account')
        .type('form')
        .send({ _csrf: csrf, name: 'Tomas Bergström', timezone: 'Mars/Olympus_Mons' })
        .expect(422);
      expect(res.text).to.include('There is a problem').and.include('href="#field-timezone"');
      expect(res.text).to.include('id="field-timezone-error"');
      expect(res.text).to.match(
        /<select id="field-timezone" name="timezone" required aria-invalid="true" aria-describedby="field-timezone-hint field-timezone-error">/,
      );
      expect(res.text).to.include('value="Tomas Bergström"');
      expect(selectedZone(res.text)).to.equal('Mars/Olympus_Mons');
      const stored = (await UserModel.findById(tomas.id).lean())!;
      expect([stored.name, stored.timezone]).to.deep.equal(['Tomas Berg', 'Europe/Stockholm']);
      expect(await AuditEventModel.countDocuments({ action: 'user-updated', targetId: tomas.id })).to.equal(0);
    });

    it('an empty name is refused with 422 and the zone she chose stays chosen', async () => {
      const lena = await buildUser({ name: 'Lena Fischer', timezone: 'Europe/Berlin' });
      const agent = await signIn(app, lena.email, testPassword);
      const csrf = await csrfOf(agent, '/account');
      const res = await agent
        .post('/account')
        .type('form')
        .send({ _csrf: csrf, name: '   ', timezone: 'Asia/Tokyo' })
        .expect(422);
      expect(res.text).to.include('Your name: is required');
      expect(selectedZone(res.text)).to.equal('Asia/Tokyo');
      expect((await UserModel.findById(lena.id).lean())!.timezone).to.equal('Europe/Berlin');
    });

    it('without a CSRF token the form answers 403 and changes nothing', async () => {
      const omar = await buildUser({ name: 'Omar Haddad', timezone: 'Asia/Dubai' });
      const agent = await signIn(app, omar.email, testPassword);
      await agent.post('/account').type('form').send({ name: 'Someone Else', timezone: 'UTC' }).expect(403);
      await agent
        .post('/account')
        .type('form')
        .send({ _csrf: 'not-the-token', name: 'Someone Else', timezone: 'UTC' })
        .expect(403);
      const stored = (await UserModel.findById(omar.id).lean())!;
      expect([stored.name, stored.timezone]).to.deep.equal(['Omar Haddad', 'Asia/Dubai']);
    });

    it('signed out, the page sends her to sign in', async () => {
      await supertest(app).get('/account').expect(303).expect('Location', '/login');
    });

    it('after the change, the next page shows its times in the new zone, named', async () => {
      const kenji = await buildUser({ name: 'Kenji Sato', timezone: 'Europe/London' });
      const agent = await signIn(app, kenji.email, testPassword);
      const session = (await SignedInSessionModel.findOne({ userId: kenji.id }).lean())!;
      const before = await agent.get('/account/security').expect(200);
      expect(before.text).to.include(formatDateTime(session.createdAt, 'Europe/London'));

      const csrf = await csrfOf(agent, '/account');
      await agent
        .post('/account')
        .type('form')
        .send({ _csrf: csrf, name: 'Kenji Sato', timezone: 'Asia/Tokyo' })
        .expect(303);
      const after = await agent.get('/account/security').expect(200);
      expect(after.text).to.include('Signed in (Asia/Tokyo)');
      expect(after.text).to.include(formatDateTime(session.createdAt, 'Asia/Tokyo'));
      expect(after.text).to.not.include(formatDateTime(session.createdAt, 'Europe/London'));
    });
  });

  describe('PATCH /api/v1/me', () => {
    it('answers 200 with the same shape as GET /me, her new name and zone (spelled as the zone database does)', async () => {
      const ruth = await buildUser({ name: 'r.adeyemi', timezone: 'Europe/London' });
      const token = await tokenFor(ruth);
      const res = await supertest(app)
        .patch('/api/v1/me')
        .set(bearer(token))
        .send({ name: 'Ruth Adeyemi', timezone: 'africa/lagos' })
        .expect(200);
      const me = await supertest(app).get('/api/v1/me').set(bearer(token)).expect(200);
      expect(res.body).to.deep.equal(me.body);
      expect(res.body).to.deep.equal({
        id: ruth.id,
        email: ruth.email,
        name: 'Ruth Adeyemi',
        roles: ['participant'],
        timezone: 'Africa/Lagos',
        // Her details' version, moved on by this change: sent back, a change made since is a 409.
        version: 1,
      });
      const event = (await AuditEventModel.findOne({ action: 'user-updated', targetId: ruth.id }).lean())!;
      expect(String(event.actorId)).to.equal(ruth.id);
      expect(event.detail).to.equal('name: r.adeyemi → Ruth Adeyemi; timezone: Europe/London → Africa/Lagos');
    });

    it('a legacy zone name from an API client (US/Eastern) is stored and answered under its current name', async () => {
      const lee = await buildUser({ name: 'Lee Park', timezone: 'Europe/London' });
      const token = await tokenFor(lee);
      const res = await supertest(app)
        .patch('/api/v1/me')
        .set(bearer(token))
        .send({ timezone: 'US/Eastern' })
        .expect(200);
      expect(res.body.timezone).to.equal('America/New_York');
      expect((await UserModel.findById(lee.id).lean())!.timezone).to.equal('America/New_York');
    });

    it('one field alone changes only that field', async () => {
      const sam = await buildUser({ name: 'Sam Lee', timezone: 'Asia/Singapore' });
      const res = await supertest(app)
        .patch('/api/v1/me')
        .set(bearer(await tokenFor(sam)))
        .send({ timezone: 'Australia/Sydney' })
        .expect(200);
      expect(res.body).to.include({ name: 'Sam Lee', timezone: 'Australia/Sydney' });
    });

    it('a bad zone, an empty name, an operator object or an unknown field is a 422 problem naming the field; nothing is written', async () => {
      const ada = await buildUser({ name: 'Ada Obi', timezone: 'Europe/London' });
      const token = await tokenFor(ada);
      const refused = async (body: object, path: string) => {
        const res = await supertest(app).patch('/api/v1/me').set(bearer(token)).send(body).expect(422);
        expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
        expect(res.body.status).to.equal(422);
        expect(res.body.errors.map((e: { path: string }) => e.path)).to.include(path);
      };
      await refused({ timezone: 'Mars/Olympus_Mons' }, 'timezone');
      await refused({ timezone: 'EST' }, 'timezone');
      await refused({ name: '  ' }, 'name');
      await refused({ name: 'x'.repeat(121) }, 'name');
      await refused({ name: { $ne: null } }, 'name');
      await refused({ timezone: ['Europe/Paris'] }, 'timezone');
      await refused({ roles: ['admin'] }, '(body)');
      await refused({ email: 'someone@example.org' }, '(body)');
      const stored = (await UserModel.findById(ada.id).lean())!;
      expect({ name: stored.name, timezone: stored.timezone, roles: stored.roles }).to.deep.equal({
        name: 'Ada Obi',
        timezone: 'Europe/London',
        roles: ['participant'],
      });
    });

    it('without authentication it is a 401; with a session cookie but no CSRF header, a 403', async () => {
      const res = await supertest(app).patch('/api/v1/me').send({ timezone: 'UTC' }).expect(401);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      await supertest(app)
        .patch('/api/v1/me')
        .set(bearer('x'.repeat(40)))
        .send({ timezone: 'UTC' })
        .expect(401);
      const bo = await buildUser({ timezone: 'Europe/Oslo' });
      const agent = await signIn(app, bo.email, testPassword);
      await agent.patch('/api/v1/me').send({ timezone: 'UTC' }).expect(403);
      const csrf = await csrfOf(agent, '/account');
      await agent.patch('/api/v1/me').set('X-CSRF-Token', csrf).send({ timezone: 'UTC' }).expect(200);
      expect((await UserModel.findById(bo.id).lean())!.timezone).to.equal('UTC');
    });
  });

  describe('the invitation page', () => {
    let adminToken: string;
    before(async () => {
      adminToken = await tokenFor(await buildUser({ roles: ['admin'], name: 'Ada Admin' }));
    });
    const invite = async (email: string) => {
      await supertest(app)
        .post('/api/v1/users')
        .set(bearer(adminToken))
        .send({ email, name: 'a1', roles: ['participant'] })
        .expect(201);
      return invitationLinkOf((await OutboxMessageModel.findOne({ to: email }).lean())!.text);
    };

    it('asks her to confirm the name and zone she was given, prefilled; she changes both with her password and is signed in with them', async () => {
      const link = await invite('a1@example.org');
      const agent = supertest.agent(app);
      const form = await agent.get(link).expect(200);
      expect(form.text).to.match(/<input id="field-name" name="name" type="text" dir="auto" value="a1" required/);
      expect(form.text).to.include('<label for="field-timezone">Time zone</label>');
      expect(selectedZone(form.text)).to.equal('Europe/London');
      await agent
        .post(link)
        .type('form')
        .send({
          _csrf: csrfFrom(form.text),
          name: 'Aisha Khan',
          timezone: 'America/Toronto',
          password: 'maple syrup mornings',
          confirm: 'maple syrup mornings',
        })
        .expect(303);
      const me = await agent.get('/api/v1/me').expect(200);
      expect(me.body).to.include({ email: 'a1@example.org', name: 'Aisha Khan', timezone: 'America/Toronto' });
      expect((await agent.get('/account').expect(200)).text).to.include(
        'Times are shown in your zone, America/Toronto.',
      );
      const event = (await AuditEventModel.findOne({ action: 'user-updated', targetId: me.body.id }).lean())!;
      expect(String(event.actorId)).to.equal(me.body.id);
      expect(event.detail).to.equal('name: a1 → Aisha Khan; timezone: Europe/London → America/Toronto');
    });

    it('a bad zone comes back as a 422 with her name and zone kept, and the link still works: no password is set', async () => {
      const link = await invite('b2@example.org');
      const agent = supertest.agent(app);
      const form = await agent.get(link).expect(200);
      const res = await agent
        .post(link)
        .type('form')
        .send({
          _csrf: csrfFrom(form.text),
          name: 'Bea Martin',
          timezone: 'Mars/Olympus_Mons',
          password: 'maple syrup mornings',
          confirm: 'maple syrup mornings',
        })
        .expect(422);
      expect(res.text).to.include('href="#field-timezone"').and.include('value="Bea Martin"');
      expect(selectedZone(res.text)).to.equal('Mars/Olympus_Mons');
      expect(res.text).to.not.include('maple syrup mornings');
      const stored = (await UserModel.findOne({ email: 'b2@example.org' }).lean())!;
      expect([stored.status, stored.name, stored.timezone]).to.deep.equal(['invited', 'a1', 'Europe/London']);
      await agent.get(link).expect(200);
    });

    it('every problem of the form is named at once: an empty name and a bad zone with a short password, then a short password typed differently twice', async () => {
      const link = await invite('e5@example.org');
      const agent = supertest.agent(app);
      const form = await agent.get(link).expect(200);
      const send = (fields: Record<string, string>) =>
        agent
          .post(link)
          .type('form')
          .send({ _csrf: csrfFrom(form.text), ...fields })
          .expect(422);
      const summaryTargets = (html: string) => [...html.matchAll(/<li><a href="#(field-[a-z]+)">/g)].map((m) => m[1]);
      const first = await send({ name: '', timezone: 'Mars/Base', password: 'short', confirm: 'short' });
      expect(summaryTargets(first.text)).to.deep.equal(['field-name', 'field-timezone', 'field-password']);
      expect(first.text).to.include('New password: Use at least 12 characters.');
      const second = await send({ name: 'Ines', timezone: 'Europe/Madrid', password: 'short', confirm: 'shorter' });
      expect(summaryTargets(second.text)).to.deep.equal(['field-password', 'field-confirm']);
      expect(second.text).to.include('The two passwords are not the same.');
      expect((await UserModel.findOne({ email: 'e5@example.org' }).lean())!.status).to.equal('invited');
    });

    it('without a CSRF token the invitation form answers 403 and sets nothing', async () => {
      const link = await invite('c3@example.org');
      await supertest(app)
        .post(link)
        .type('form')
        .send({
          name: 'Chen Wu',
          timezone: 'Asia/Shanghai',
          password: 'maple syrup mornings',
          confirm: 'maple syrup mornings',
        })
        .expect(403);
      const stored = (await UserModel.findOne({ email: 'c3@example.org' }).lean())!;
      expect([stored.status, stored.name]).to.deep.equal(['invited', 'a1']);
    });

    it('a password-reset page asks only for the password', async () => {
      const dee = await buildUser();
      const agent = supertest.agent(app);
      const request = await agent.get('/password-reset').expect(200);
      await agent
        .post('/password-reset')
        .type('form')
        .send({ email: dee.email, _csrf: csrfFrom(request.text) });
      // The reset email is sent after the answer (so its timing tells nothing): wait for that work.
      await workAfterAnswersDone();
      const mail = await OutboxMessageModel.findOne({ to: dee.email }).lean();
      const link = /http:\/\/pathways\.test(\/password-reset\/[A-Za-z0-9_-]+)/.exec(mail!.text)![1]!;
      const page = await agent.get(link).expect(200);
      expect(page.text).to.include('name="password"').and.not.include('name="timezone"').and.not.include('name="name"');
    });
  });
});
