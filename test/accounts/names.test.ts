import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { UserModel } from '../../models/User.ts';
import { sendEmail } from '../../server/mailer.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** "Nguyễn Thị Mai" as a Mac keyboard sends it: letters followed by combining accents (NFD). */
const decomposedMai = 'Nguyễn Thị Mai'.normalize('NFD');

describe('names people type, in any script', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let adminAuth: { Authorization: string };
  before(async () => {
    app = testApp();
    adminAuth = { Authorization: `Bearer ${await tokenFor(await buildUser({ roles: ['admin'] }))}` };
  });

  it('an admin creates Nguyễn Thị Mai typed with combining accents: she is stored composed (NFC)', async () => {
    const res = await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: 'mai@example.org', name: decomposedMai, roles: ['participant'] })
      .expect(201);
    expect(res.body.name).to.equal('Nguyễn Thị Mai'.normalize('NFC'));
    expect((await UserModel.findOne({ email: 'mai@example.org' }).lean())!.name).to.equal(
      'Nguyễn Thị Mai'.normalize('NFC'),
    );
  });

  it('Irish, Arabic, Chinese, Māori, apostrophe and one-word names are kept as typed', async () => {
    for (const [i, name] of [
      'Siobhán Ní Bhriain',
      'زينب الهاشمي',
      '王秀英',
      'Mere Ngāti-Pōrou',
      "Aoife O'Brien",
      'Suharti',
    ].entries()) {
      const res = await supertest(app)
        .post('/api/v1/users')
        .set(adminAuth)
        .send({ email: `p${i}@example.org`, name, roles: ['participant'] })
        .expect(201);
      expect(res.body.name).to.equal(name);
    }
  });

  it('the length limit counts characters, not UTF-16 units: 120 characters with some outside the BMP are accepted', async () => {
    const name = '𠮷'.repeat(5) + 'a'.repeat(115);
    const res = await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: 'long@example.org', name, roles: ['participant'] })
      .expect(201);
    expect(res.body.name).to.equal(name);
  });

  it('a name with a control character (a line break, a NUL) is a 422 at the name field, and nothing is written', async () => {
    for (const name of ['Ada\nObi', 'Ada\u0000Obi', 'Ada\u0007']) {
      const res = await supertest(app)
        .post('/api/v1/users')
        .set(adminAuth)
        .send({ email: 'ctl@example.org', name, roles: ['participant'] })
        .expect(422);
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['name']);
    }
    expect(await UserModel.exists({ email: 'ctl@example.org' })).to.equal(null);
  });

  it('a name nobody can see (zero-width space, Hangul filler, blank Braille) or with a direction override is a 422 at the name field; a right-to-left mark in an Arabic name is kept', async () => {
    for (const name of ['\u200b', '\u200f\u200b', '\u2800', '\u3164', '\u202eevil', 'Ada \u2066Obi\u2069']) {
      const res = await supertest(app)
        .post('/api/v1/users')
        .set(adminAuth)
        .send({ email: 'blank@example.org', name, roles: ['participant'] })
        .expect(422);
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['name']);
    }
    expect(await UserModel.exists({ email: 'blank@example.org' })).to.equal(null);
    // The Pledge takes a name by the same rule.
    const pledge = await supertest(app)
      .post('/api/v1/pledge/signatures')
      .send({ kind: 'individual', name: '\u202etnemmoc', email: 'rlo@example.org', region: 'London', country: 'GB' });
    expect(pledge.status).to.equal(422);
    expect(pledge.body.errors.map((e: { path: string }) => e.path)).to.include('name');
    const marked = 'زينب\u200f الهاشمي';
    await supertest(app)
      .post('/api/v1/users')
      .set(adminAuth)
      .send({ email: 'rlm@example.org', name: marked, roles: ['participant'] })
      .expect(201);
  });

  it('a name or a title of only invisible combining marks (U+034F, variation selectors, Khmer inherent vowels, Mongolian selectors, a Hangul filler before one) is a 422 at its field, in the API and on her account form; an accent on a letter is kept', async () => {
    const invisible = [
      '\u034f',
      '\ufe0f\u034f',
      '\u{E0100}',
      '\u17b4\u17b5',
      '\u180b\u180f',
      '\u3164\u034f',
      '\u115f\u1160\ufe00',
    ];
    for (const name of invisible) {
      const res = await supertest(app)
        .post('/api/v1/users')
        .set(adminAuth)
        .send({ email: 'marks@example.org', name, roles: ['participant'] })
        .expect(422);
      expect(res.body.errors, JSON.stringify(name)).to.deep.equal([
        { path: 'name', message: 'is required: it has only spaces or invisible characters' },
      ]);
    }
    expect(await UserModel.exists({ email: 'marks@example.org' })).to.equal(null);
    const board = await supertest(app)
      .post('/api/v1/boards')
      .set(adminAuth)
      .send({ name: '\ufe0f\u034f', organisation: '\u17b5' })
      .expect(422);
    expect(board.body.errors.map((e: { path: string }) => e.path)).to.have.members(['name', 'organisation']);
    const hana = await buildUser({ name: 'Hana Kim' });
    const agent = await signIn(app, hana.email, testPassword);
    const page = await agent.get('/account').expect(200);
    const form = await agent
      .post('/account')
      .type('form')
      .send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1], name: '\u3164\u034f', timezone: 'UTC' })
      .expect(422);
    expect(form.text).to.include('href="#field-name"').and.include('id="field-name-error"');
    expect(form.text).to.include('it has only spaces or invisible characters');
    expect((await UserModel.findById(hana.id).lean())!.name).to.equal('Hana Kim');
    // A mark on a letter is part of the letter: "Zoë" typed with a combining diaeresis is a name.
    await supertest(app)
      .patch('/api/v1/me')
      .set(bearer(await tokenFor(hana)))
      .send({ name: 'Zoe\u0308 Kim' })
      .expect(200);
  });

  it('a name or a title holding a character that is not text (U+FFFE, U+FFFF, another noncharacter, half a surrogate pair) is a 422 at its field, and nothing is written', async () => {
    const notText = ['Acme\uFFFE', 'Acme\uFFFF', 'Acme\uFDD0', 'Acme\u{10FFFF}', 'Acme\ud800'];
    for (const name of notText) {
      const res = await supertest(app)
        .post('/api/v1/users')
        .set(adminAuth)
        .send({ email: 'nonchar@example.org', name, roles: ['participant'] })
        .expect(422);
      expect(res.body.errors).to.deep.equal([
        {
          path: 'name',
          message:
            'must not contain a character that is not text (such as U+FFFE or U+FFFF, or half of a character): remove it',
        },
      ]);
      // The Pledge takes an organisation's name by the same rule (its badge is XML, which cannot hold U+FFFE).
      const pledge = await supertest(app)
        .post('/api/v1/pledge/signatures')
        .send({
          kind: 'organisation',
          organisationType: 'school',
          name,
          email: 'nonchar@example.org',
          region: 'London',
          country: 'GB',
        })
        .expect(422);
      expect(pledge.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['name']);
      const programme = await supertest(app)
        .post('/api/v1/programmes')
        .set(adminAuth)
        .send({ title: name, track: 'aspiring-leader', summary: 'A programme' })
        .expect(422);
      expect(programme.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['title']);
    }
    expect(await UserModel.exists({ email: 'nonchar@example.org' })).to.equal(null);
    expect(await PledgeSignatureModel.exists({ email: 'nonchar@example.org' })).to.equal(null);
  });

  it('a title with a direction override is refused at its field, and an email never carries one (a name stored before the rule)', async () => {
    const res = await supertest(app)
      .post('/api/v1/programmes')
      .set(adminAuth)
      .send({ title: 'Leading \u202eup', track: 'aspiring-leader', summary: 'A programme' })
      .expect(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['title']);
    await sendEmail({
      to: 'rlo-reader@example.org',
      subject: 'Mallory \u202eevil asks to join',
      text: 'Mallory \u202eevil asks to join. As a lead you decide.',
      html: '<p>Mallory \u202eevil asks to join.</p>',
    });
    const stored = await OutboxMessageModel.findOne({ to: 'rlo-reader@example.org' }).lean();
    expect(JSON.stringify([stored!.subject, stored!.text, stored!.html])).to.not.match(/\u202e|\\u202e/);
    expect(stored!.subject).to.equal('Mallory evil asks to join');
  });

  it('PATCH /me stores her name composed, refuses control characters, and counts characters', async () => {
    const mai = await buildUser({ name: 'Mai' });
    const token = await tokenFor(mai);
    const res = await supertest(app).patch('/api/v1/me').set(bearer(token)).send({ name: decomposedMai }).expect(200);
    expect(res.body.name).to.equal('Nguyễn Thị Mai'.normalize('NFC'));
    const refused = await supertest(app).patch('/api/v1/me').set(bearer(token)).send({ name: 'Mai\tN' }).expect(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['name']);
    const long = '𠮷'.repeat(5) + 'a'.repeat(115);
    expect(
      (await supertest(app).patch('/api/v1/me').set(bearer(token)).send({ name: long }).expect(200)).body.name,
    ).to.equal(long);
  });

  it('searching people forgives Vietnamese accents and case: "nguyen thi hoa" and "NGUYỄN THỊ H" find Nguyễn Thị Hoa, "dang" finds Đặng', async () => {
    await buildUser({ name: 'Nguyễn Thị Hoa', email: 'hoa@example.org' });
    await buildUser({ name: 'Ngaio Marsh', email: 'ngaio@example.org' });
    await buildUser({ name: 'Đặng Văn Lâm', email: 'lam@example.org' });
    for (const q of ['nguyen thi hoa', 'NGUYỄN THỊ H', 'Thị Hoa', 'nguyễn thị hoa'.normalize('NFD')]) {
      const found = await supertest(app).get('/api/v1/users').query({ q }).set(adminAuth).expect(200);
      expect(
        found.body.items.map((u: { email: string }) => u.email),
        q,
      ).to.deep.equal(['hoa@example.org']);
    }
    for (const q of ['dang van', 'Đang', 'đặng']) {
      const found = await supertest(app).get('/api/v1/users').query({ q }).set(adminAuth).expect(200);
      expect(
        found.body.items.map((u: { email: string }) => u.email),
        q,
      ).to.deep.equal(['lam@example.org']);
    }
  });

  it('searching people spells letters plainly as a keyboard without them does: "yilmaz" finds Yılmaz, "ipek" İpek, "grossmann" Großmann (and "großmann" Grossmann), "aero" Ærø, "thora" Þóra', async () => {
    await buildUser({ name: 'İpek Yılmaz', email: 'ipek@example.org' });
    await buildUser({ name: 'Anja Großmann', email: 'anja@example.org' });
    await buildUser({ name: 'Jonas Grossmann', email: 'jonas@example.org' });
    await buildUser({ name: 'Ærø Þóra Œuvre', email: 'thora@example.org' });
    const emailsFound = async (q: string) =>
      (
        (await supertest(app).get('/api/v1/users').query({ q }).set(adminAuth).expect(200)).body.items as {
          email: string;
        }[]
      )
        .map((u) => u.email)
        .sort();
    for (const q of ['yilmaz', 'YILMAZ', 'Yılmaz', 'ipek', 'İpek', 'ipek yilmaz'])
      expect(await emailsFound(q), q).to.deep.equal(['ipek@example.org']);
    for (const q of ['grossmann', 'Großmann', 'GROSSMANN', 'grOßmann'])
      expect(await emailsFound(q), q).to.deep.equal(['anja@example.org', 'jonas@example.org']);
    for (const q of ['aero', 'AERØ', 'thora', 'oeuvre', 'Œuvre'])
      expect(await emailsFound(q), q).to.deep.equal(['thora@example.org']);
    // A pattern character typed is matched as itself, not as a pattern.
    expect(await emailsFound('gro.smann')).to.deep.equal([]);
  });

  it('searching people finds a Cyrillic, Greek, Korean or Japanese name typed exactly as stored, and without its accents', async () => {
    await buildUser({ name: 'Сергей Алёшин', email: 'sergei@example.org' });
    await buildUser({ name: 'Νίκος Παπαδόπουλος', email: 'nikos@example.org' });
    await buildUser({ name: '김민지', email: 'minji@example.org' });
    await buildUser({ name: 'ガブリエラ', email: 'gabriela@example.org' });
    const cases: [string, string][] = [
      ['Сергей', 'sergei@example.org'],
      ['алешин', 'sergei@example.org'],
      ['Νίκος', 'nikos@example.org'],
      ['νικος', 'nikos@example.org'],
      ['김민', 'minji@example.org'],
      ['ガブ', 'gabriela@example.org'],
    ];
    for (const [q, email] of cases) {
      const found = await supertest(app).get('/api/v1/users').query({ q }).set(adminAuth).expect(200);
      expect(
        found.body.items.map((u: { email: string }) => u.email),
        q,
      ).to.deep.equal([email]);
    }
  });

  it('a right-to-left name is isolated where it sits in English text, and typed right to left in her name field', async () => {
    const zainab = await buildUser({ name: 'زينب الهاشمي' });
    const agent = await signIn(app, zainab.email, testPassword);
    const page = (await agent.get('/account').expect(200)).text;
    expect(page).to.include('Signed in as <bdi>زينب الهاشمي</bdi>');
    expect(page).to.match(/<input id="field-name" name="name" type="text" dir="auto" value="زينب الهاشمي"/);
  });
});
