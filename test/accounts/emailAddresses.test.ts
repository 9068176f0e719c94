import { expect } from 'chai';
import supertest from 'supertest';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { OneTimeTokenModel } from '../../models/OneTimeToken.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { UserModel } from '../../models/User.ts';
import { canonicalEmail, emailAddressProblem } from '../../server/emailAddresses.ts';
import { workAfterAnswersDone } from '../../server/http/afterAnswering.ts';
import { confirmEmailChange } from '../../server/services/accounts/credentials.ts';
import { repairStoredEmails } from '../../server/services/accounts/storedEmails.ts';
import { hashSecret, newSecret } from '../../server/services/secrets.ts';
import { importEnrolments } from '../../server/services/cohorts/enrolment.ts';
import { csrfFrom, signIn, testApp } from '../support/app.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { useSmtpSink } from '../support/smtp.ts';

describe('email addresses: one form for one person, internationalised domains included', () => {
  describe('canonicalEmail and emailAddressProblem', () => {
    it('a domain typed in Unicode, in punycode, in capitals or with a root dot is one address; ASCII addresses are as they were', () => {
      for (const typed of [
        'ana@café.fr',
        ' Ana@CAFÉ.FR ',
        'ana@xn--caf-dma.fr',
        'ANA@XN--CAF-DMA.FR',
        'ana@cafe\u0301.fr',
        'ana@café.fr.',
      ])
        expect(canonicalEmail(typed), typed).to.equal('ana@café.fr');
      for (const ascii of [
        'ada@example.org',
        'ada+pathways@school.sch.uk',
        "o'brien@example.ie",
        'lti-0a1b@users.invalid',
      ])
        expect(canonicalEmail(ascii)).to.equal(ascii);
      expect(canonicalEmail('Ada@Example.ORG')).to.equal('ada@example.org');
    });

    it('the stored form is its own canonical form and what the User schema (lower-casing) keeps, in every script', () => {
      for (const typed of [
        'a@ᎠᎡ.org',
        'a@ꭰꭱ.org',
        'a@İstanbul.tr',
        'a@ẞ.de',
        'a@ΣΊΣΥΦΟΣ.gr',
        'a@例子.广告',
        'a@مثال.إختبار',
      ]) {
        const stored = canonicalEmail(typed);
        expect(canonicalEmail(stored), typed).to.equal(stored);
        expect(stored.toLowerCase(), typed).to.equal(stored);
      }
    });

    it('invisible marks pasted with an address (direction marks, zero-width spaces, soft hyphens) are not part of it', () => {
      for (const pasted of [
        '\u200eana@café.fr',
        'ana@café.fr\u200f',
        '\u200bana@caf\u00adé.fr',
        'a\u2060na@café.fr\ufeff',
      ])
        expect(canonicalEmail(pasted), JSON.stringify(pasted)).to.equal('ana@café.fr');
      // A joiner is part of some scripts' domains (Persian): kept there.
      expect(canonicalEmail('ali@\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.ir')).to.include('\u200c');
    });

    it('refuses, in words, what no mail could reach', () => {
      for (const good of ['ana@café.fr', 'mei@例子.广告', 'a+b@x.org', 'lena@straße.de'])
        expect(emailAddressProblem(canonicalEmail(good)), good).to.equal(undefined);
      for (const [bad, words] of [
        ['ana', 'such as ana@example.org'],
        ['ana@localhost', 'domain after the @'],
        ['ana@1.2.3.4', 'domain after the @'],
        ['ana@x..org', 'domain after the @'],
        ['ana@xn--zz.org', 'domain after the @'],
        ['ana.@x.org', 'no dot at either end'],
        ['ana b@x.org', 'no spaces'],
        ['josé@x.org', 'before the @'],
      ] as const)
        expect(emailAddressProblem(canonicalEmail(bad)), bad).to.include(words);
    });
  });

  describe('in the app', () => {
    useTestDatabase();
    const sink = useSmtpSink();
    let app: ReturnType<typeof testApp>;
    let adminAuth: { Authorization: string };
    before(async () => {
      // Mail goes through the real SMTP sink (the app configures its mailer from SMTP_URL).
      app = testApp({ SMTP_URL: sink.url });
      adminAuth = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['admin'] }))}` };
    });
    let n = 0;
    /** A fresh person at an internationalised domain: her address in Unicode and in punycode. */
    const person = () => {
      n += 1;
      return { unicode: `ana${n}@café.fr`, punycode: `ana${n}@xn--caf-dma.fr` };
    };

    it('an admin creates her under the Unicode domain; the punycode form is the same account (409), and the API shows the Unicode form', async () => {
      const ana = person();
      const created = await supertest(app)
        .post('/api/v1/users')
        .set(adminAuth)
        .send({ email: ana.unicode, name: 'Ana Café', roles: ['participant'] })
        .expect(201);
      expect(created.body.email).to.equal(ana.unicode);
      await supertest(app)
        .post('/api/v1/users')
        .set(adminAuth)
        .send({ email: ana.punycode.toUpperCase(), name: 'Ana Again', roles: ['participant'] })
        .expect(409);
      expect(await UserModel.countDocuments({ name: /^Ana / })).to.equal(1);
    });

    it('an address no mail could reach is refused at its field (422 problem+json), and nothing is written', async () => {
      for (const email of ['josé@example.org', 'ana@localhost', 'ana.@example.org']) {
        const res = await supertest(app)
          .post('/api/v1/users')
          .set(adminAuth)
          .send({ email, name: 'Nobody', roles: ['participant'] })
          .expect(422)
          .expect('Content-Type', /application\/problem\+json/);
        expect(JSON.stringify(res.body), email).to.include('email');
        expect(await UserModel.countDocuments({ name: 'Nobody' })).to.equal(0);
      }
    });

    it('a CSV import naming her in punycode, in capitals or with a root dot enrols her account, not a second one', async () => {
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
      const ana = person();
      const her = await buildUser({ email: ana.unicode });
      const { rows } = await importEnrolments({
        actor: { ...facilitator },
        cohortId: String(cohort._id),
        csv: `${ana.punycode}\n${ana.unicode.toUpperCase()}.\nmei@例子.广告,Mei\njosé@example.org`,
      });
      expect(rows.map((r) => [r.email, r.outcome])).to.deep.equal([
        [ana.unicode, 'enrolled'],
        [ana.unicode, 'invalid'],
        ['mei@例子.广告', 'invited-and-enrolled'],
        ['josé@example.org', 'invalid'],
      ]);
      expect(rows[1]!.message).to.include('also on line 1 of what you imported');
      expect(rows[3]!.message).to.include('before the @');
      expect(await UserModel.countDocuments({ email: ana.unicode })).to.equal(1);
      expect(await EnrolmentModel.countDocuments({ cohortId: cohort._id, userId: her.id })).to.equal(1);
    });

    it('she signs in with her address pasted from a right-to-left page (with its invisible direction marks)', async () => {
      const ana = person();
      await buildUser({ email: ana.unicode });
      await signIn(app, `\u200f${ana.unicode}\u200e`, testPassword);
    });

    it('she signs in with either form, and a reset asked for in punycode reaches her mailbox through SMTP and sets her password', async () => {
      const ana = person();
      await buildUser({ email: ana.unicode });
      await signIn(app, ana.punycode, testPassword);
      await signIn(app, ana.unicode.toUpperCase(), testPassword);

      const agent = supertest.agent(app);
      const form = await agent.get('/password-reset').expect(200);
      await agent
        .post('/password-reset')
        .type('form')
        .send({ email: ana.punycode, _csrf: csrfFrom(form.text) })
        .expect(303);
      await workAfterAnswersDone();
      const mail = sink.received.find(
        (m) => m.to.includes(ana.unicode) && /Reset your Pathways password/.test(m.subject),
      );
      // nodemailer writes the domain in punycode, in the To header as in RCPT TO (smtp-server reports the envelope
      // decoded back to Unicode), so a mail server without SMTPUTF8 takes it.
      expect(mail, 'the reset email').to.not.equal(undefined);
      expect(mail!.headers.to).to.include(ana.punycode);
      const body = mail!.raw.replace(/=\r?\n/g, '');
      const path = /http:\/\/pathways\.test(\/password-reset\/[A-Za-z0-9_-]+)/.exec(body)![1]!;
      const page = await agent.get(path).expect(200);
      const fresh = 'a new and long passphrase for café 2027';
      await agent
        .post(path)
        .type('form')
        .send({ password: fresh, confirm: fresh, _csrf: csrfFrom(page.text) })
        .expect(303);
      await signIn(app, ana.unicode, fresh);
    });

    it('searching people by her address finds her whichever form of it is pasted (punycode, capitals, a root dot)', async () => {
      const ana = person();
      const her = await buildUser({ email: ana.unicode });
      for (const q of [ana.punycode, ana.unicode.toUpperCase(), `${ana.unicode}.`, ana.unicode.normalize('NFD')]) {
        const res = await supertest(app).get('/api/v1/users').query({ q }).set(adminAuth).expect(200);
        expect(
          res.body.items.map((u: { id: string }) => u.id),
          q,
        ).to.deep.equal([her.id]);
      }
    });

    it('the admin outbox filtered by her address in punycode, capitals or with a root dot lists what was sent to her', async () => {
      const ana = person();
      await OutboxMessageModel.create({
        to: ana.unicode,
        from: 'no-reply@pathways.test',
        subject: `Welcome ${ana.unicode}`,
        text: 'Hello',
        transport: 'outbox',
      });
      const admin = await buildUser({ roles: ['admin'] });
      const web = await signIn(app, admin.email, testPassword);
      for (const to of [ana.punycode, ana.unicode.toUpperCase(), `${ana.unicode}.`]) {
        const page = await web.get('/admin/outbox').query({ to }).expect(200);
        expect(page.text, to).to.include(`Welcome ${ana.unicode}`);
      }
    });

    it('the same Pledge signature whichever form of her address she signs with', async () => {
      const ana = person();
      const sign = (email: string) =>
        supertest(app)
          .post('/api/v1/pledge/signatures')
          .set('X-Forwarded-For', `198.51.100.${n}`)
          .send({ kind: 'individual', name: 'Ana Café', email, region: 'Europe', country: 'FR' })
          .expect(202);
      await sign(ana.unicode);
      await sign(ana.punycode);
      expect(await PledgeSignatureModel.countDocuments({ email: ana.unicode })).to.equal(1);
      expect(await PledgeSignatureModel.countDocuments({ email: ana.punycode })).to.equal(0);
    });

    it('an email-change link asked for before the upgrade (punycode) makes her address the one form when followed', async () => {
      const ana = person();
      const user = await buildUser();
      const secret = newSecret();
      await OneTimeTokenModel.create({
        purpose: 'email-change',
        userId: user.id,
        tokenHash: hashSecret(secret),
        expiresAt: new Date(Date.now() + 60_000),
        newEmail: ana.punycode,
      });
      expect((await confirmEmailChange({ secret })).email).to.equal(ana.unicode);
      expect((await UserModel.findById(user.id).lean())!.email).to.equal(ana.unicode);
    });

    it('addresses stored in another form by an earlier version are put in the one form at start, once, by several processes at once; a clash is reported, not merged', async () => {
      const ana = person();
      const mei = person();
      const users = UserModel.collection;
      const { insertedId: anaId } = await users.insertOne({ email: ana.punycode, name: 'Ana', roles: ['participant'] });
      const { insertedId: nfdId } = await users.insertOne({
        email: mei.unicode.normalize('NFD'),
        name: 'Mei',
        roles: ['participant'],
      });
      const twice = person();
      const kept = await buildUser({ email: twice.unicode });
      const { insertedId: twinId } = await users.insertOne({
        email: twice.punycode,
        name: 'Twin',
        roles: ['participant'],
      });

      const runs = await Promise.all([repairStoredEmails(), repairStoredEmails(), repairStoredEmails()]);
      expect(runs.reduce((sum, r) => sum + r.repaired, 0)).to.equal(2);
      expect((await users.findOne({ _id: anaId }))!.email).to.equal(ana.unicode);
      expect((await users.findOne({ _id: nfdId }))!.email).to.equal(mei.unicode);
      expect((await users.findOne({ _id: twinId }))!.email).to.equal(twice.punycode);
      expect(runs[0]!.clashes).to.deep.include({ collection: 'users', id: String(twinId), canonicalHeldBy: kept.id });
      expect((await repairStoredEmails()).repaired).to.equal(0);
    });

    it('a Pledge signature stored under a punycode address is rewritten with its key, so signing again under either form updates it', async () => {
      const ana = person();
      const signatures = PledgeSignatureModel.collection;
      const { insertedId } = await signatures.insertOne({
        kind: 'individual',
        name: 'Ana Café',
        email: ana.punycode,
        signKey: `${ana.punycode}|individual|`,
        status: 'confirmed',
        region: 'Europe',
        country: 'FR',
      });
      await repairStoredEmails();
      const repaired = (await signatures.findOne({ _id: insertedId }))!;
      expect([repaired.email, repaired.signKey]).to.deep.equal([ana.unicode, `${ana.unicode}|individual|`]);
      await supertest(app)
        .post('/api/v1/pledge/signatures')
        .set('X-Forwarded-For', `198.51.100.${n}`)
        .send({ kind: 'individual', name: 'Ana Café', email: ana.punycode, region: 'Europe', country: 'FR' })
        .expect(202);
      expect(
        await signatures.countDocuments({ name: 'Ana Café', email: { $in: [ana.unicode, ana.punycode] } }),
      ).to.equal(1);
    });
  });
});
