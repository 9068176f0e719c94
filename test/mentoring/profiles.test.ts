import { expect } from 'chai';
import supertest from 'supertest';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';
import { officeHours } from '../support/mentoringFactories.ts';

const mentorBody = {
  phase: 'primary',
  yearsAsHead: 6,
  schoolName: 'Hillside Primary',
  country: 'GB',
  region: 'Yorkshire',
  timezone: 'Europe/London',
  languages: ['English'],
  expertise: ['interviews'],
  capacity: 3,
  availability: officeHours,
  bio: 'Head of a village school for six years.',
};
const menteeBody = {
  goals: ['interviews', 'salary-negotiation'],
  phase: 'primary',
  country: 'CA',
  region: 'Ontario',
  timezone: 'America/Toronto',
  languages: ['English', 'French'],
  availability: [{ day: 'mon', from: '08:00', to: '10:00' }],
  preferences: { language: 'French' },
};

describe('mentoring: mentor and mentee profiles', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('when a mentor saves her profile, it answers 200 with an id, her free places, and no email', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    const res = await supertest(app)
      .put('/api/v1/me/mentor-profile')
      .set('Authorization', `Bearer ${await tokenFor(mentor)}`)
      .send(mentorBody)
      .expect(200);
    expect(res.body).to.include({ userId: mentor.id, capacity: 3, freePlaces: 3, schoolName: 'Hillside Primary' });
    expect(res.body.id).to.match(/^[0-9a-f]{24}$/);
    expect(JSON.stringify(res.body)).not.to.include(mentor.email);
    expect(res.body).not.to.have.property('_id');
    const again = await supertest(app)
      .get('/api/v1/me/mentor-profile')
      .set('Authorization', `Bearer ${await tokenFor(mentor)}`)
      .expect(200);
    expect(JSON.stringify(again.body)).not.to.include('@');
  });

  it('a legacy or lower-case zone name on a profile (asia/calcutta, US/Eastern) is stored under its current IANA name', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    const mentee = await buildUser({ roles: ['participant'] });
    const saved = await supertest(app)
      .put('/api/v1/me/mentor-profile')
      .set('Authorization', `Bearer ${await tokenFor(mentor)}`)
      .send({ ...mentorBody, timezone: 'asia/calcutta' })
      .expect(200);
    expect(saved.body.timezone).to.equal('Asia/Kolkata');
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.timezone).to.equal('Asia/Kolkata');
    await supertest(app)
      .put('/api/v1/me/mentee-profile')
      .set('Authorization', `Bearer ${await tokenFor(mentee)}`)
      .send({ ...menteeBody, timezone: 'US/Eastern' })
      .expect(200);
    expect((await MenteeProfileModel.findOne({ userId: mentee.id }).lean())!.timezone).to.equal('America/New_York');
  });

  it('when a capacity changes, the free places move by the difference, keeping places already taken', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    const auth = { Authorization: `Bearer ${await tokenFor(mentor)}` };
    await supertest(app).put('/api/v1/me/mentor-profile').set(auth).send(mentorBody).expect(200);
    // An accept takes a place the way the requests service does: one conditional $inc.
    await MentorProfileModel.updateOne({ userId: mentor.id, freePlaces: { $gt: 0 } }, { $inc: { freePlaces: -1 } });
    const raised = await supertest(app)
      .put('/api/v1/me/mentor-profile')
      .set(auth)
      .send({ ...mentorBody, capacity: 5 });
    expect(raised.body).to.include({ capacity: 5, freePlaces: 4 });
    // Pausing (capacity 0) keeps her mentee: nobody new gets a place.
    const paused = await supertest(app)
      .put('/api/v1/me/mentor-profile')
      .set(auth)
      .send({ ...mentorBody, capacity: 0 });
    // Shown, no place is free; stored, the count stays one below (her mentee holds a place she no longer offers), so
    // that raising the capacity again gives back the right number.
    expect(paused.body).to.include({ capacity: 0, freePlaces: 0 });
    expect((await MentorProfileModel.findOne({ userId: mentor.id }).lean())!.freePlaces).to.equal(-1);
    const back = await supertest(app)
      .put('/api/v1/me/mentor-profile')
      .set(auth)
      .send({ ...mentorBody, capacity: 2 });
    expect(back.body).to.include({ capacity: 2, freePlaces: 1 });
  });

  it('when two capacity changes race, the free places still equal the capacity', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    const auth = { Authorization: `Bearer ${await tokenFor(mentor)}` };
    await supertest(app).put('/api/v1/me/mentor-profile').set(auth).send(mentorBody).expect(200);
    const results = await Promise.all(
      [4, 7, 1, 9].map((capacity) =>
        supertest(app)
          .put('/api/v1/me/mentor-profile')
          .set(auth)
          .send({ ...mentorBody, capacity }),
      ),
    );
    expect(results.map((r) => r.status).every((s) => s === 200 || s === 409)).to.equal(true);
    const stored = await MentorProfileModel.findOne({ userId: mentor.id }).lean();
    expect(stored!.freePlaces).to.equal(stored!.capacity);
  });

  it('when the body breaks a rule, it answers 422 naming each field and stores nothing', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    const res = await supertest(app)
      .put('/api/v1/me/mentor-profile')
      .set('Authorization', `Bearer ${await tokenFor(mentor)}`)
      .send({
        ...mentorBody,
        timezone: 'Europe/Atlantis',
        expertise: ['interviews', 'knitting'],
        capacity: 11,
        availability: [
          { day: 'mon', from: '09:00', to: '12:00' },
          { day: 'tue', from: '15:00', to: '13:00' },
          { day: 'mon', from: '11:00', to: '13:00' },
        ],
      })
      .expect(422);
    expect(res.type).to.equal('application/problem+json');
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).to.have.members(['timezone', 'expertise.1', 'capacity', 'availability.1.to', 'availability.2']);
    const capacity = res.body.errors.find((e: { path: string }) => e.path === 'capacity');
    expect(capacity.message).to.equal('must be at most 10');
    expect(await MentorProfileModel.countDocuments({ userId: mentor.id })).to.equal(0);
  });

  it('when a participant who is not a mentor saves a mentor profile, it answers 403 and stores nothing', async () => {
    const participant = await buildUser();
    await supertest(app)
      .put('/api/v1/me/mentor-profile')
      .set('Authorization', `Bearer ${await tokenFor(participant)}`)
      .send(mentorBody)
      .expect(403);
    expect(await MentorProfileModel.countDocuments({ userId: participant.id })).to.equal(0);
  });

  it('when a participant saves her mentee profile, it answers 200 without an email; an unknown field is a 422', async () => {
    const mentee = await buildUser();
    const auth = { Authorization: `Bearer ${await tokenFor(mentee)}` };
    const res = await supertest(app).put('/api/v1/me/mentee-profile').set(auth).send(menteeBody).expect(200);
    expect(res.body).to.deep.include({ preferences: { sameRegion: false, language: 'French' }, schoolName: '' });
    expect(JSON.stringify(res.body)).not.to.include(mentee.email);
    const bad = await supertest(app)
      .put('/api/v1/me/mentee-profile')
      .set(auth)
      .send({ ...menteeBody, goals: { $ne: null }, favouriteColour: 'green' })
      .expect(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).to.include.members(['goals', '(body)']);
    expect(await MenteeProfileModel.countDocuments({ userId: mentee.id })).to.equal(1);
  });

  it('a topic or language listed twice is kept once (first spelling), so it never counts twice in her suggestions', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    const mentee = await buildUser();
    const mentorAuth = { Authorization: `Bearer ${await tokenFor(mentor)}` };
    const menteeAuth = { Authorization: `Bearer ${await tokenFor(mentee)}` };
    await supertest(app)
      .put('/api/v1/me/mentor-profile')
      .set(mentorAuth)
      .send({ ...mentorBody, expertise: ['interviews', 'interviews'], languages: ['English', ' english '] })
      .expect(200);
    const mentorSaved = await supertest(app).get('/api/v1/me/mentor-profile').set(mentorAuth).expect(200);
    expect(mentorSaved.body).to.deep.include({ expertise: ['interviews'], languages: ['English'] });
    const suggestionFor = async (goals: string[], languages: string[]) => {
      const saved = await supertest(app)
        .put('/api/v1/me/mentee-profile')
        .set(menteeAuth)
        .send({ ...menteeBody, goals, languages })
        .expect(200);
      const res = await supertest(app).get('/api/v1/me/mentor-suggestions').set(menteeAuth).expect(200);
      return {
        saved: saved.body,
        suggestion: res.body.items.find((i: { mentorId: string }) => i.mentorId === mentor.id),
      };
    };
    const once = await suggestionFor(['interviews', 'salary-negotiation'], ['English']);
    const twice = await suggestionFor(['interviews', 'interviews', 'salary-negotiation'], ['English', 'ENGLISH']);
    expect(twice.saved).to.deep.include({ goals: ['interviews', 'salary-negotiation'], languages: ['English'] });
    expect(once.suggestion, 'suggested').to.not.equal(undefined);
    expect(twice.suggestion).to.deep.equal(once.suggestion);
    expect(twice.suggestion.sharedTopics).to.deep.equal(['interviews']);
  });

  it('the mentor form shows the same field errors, keeps what she typed, and saves when corrected', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    const agent = await signIn(app, mentor.email, testPassword);
    const form = await agent.get('/mentoring/profile/mentor').expect(200);
    expect(form.text).to.include('for="field-avail_mon_0_from"');
    const fields = {
      phase: 'secondary',
      yearsAsHead: '4',
      schoolName: 'Northgate High',
      country: 'GB',
      region: 'Yorkshire',
      timezone: 'Mars/Olympus',
      languages: 'English, Welsh',
      expertise: ['interviews', 'leading-change'],
      capacity: '12',
      avail_mon_0_from: '09:00',
      avail_mon_0_to: '12:00',
      avail_mon_1_from: '11:00',
      avail_mon_1_to: '13:00',
      avail_wed_0_from: '15:00',
      avail_wed_0_to: '14:00',
      bio: '',
      _csrf: await csrfOf(agent, '/mentoring/profile/mentor'),
    };
    const bad = await agent.post('/mentoring/profile/mentor').type('form').send(fields).expect(422);
    expect(bad.text).to.include('must be an IANA time zone such as Europe/London');
    expect(bad.text).to.include('href="#field-capacity">How many mentees you take at once: must be at most 10');
    expect(bad.text).to.include('the Monday window 11:00–13:00 overlaps the Monday window 09:00–12:00');
    expect(bad.text).to.include('the Wednesday window 15:00–14:00 ends before or when it starts');
    // The summary names each window's field by its label, not "Availability" for every one.
    expect(bad.text).to.match(/href="#field-avail_wed_0_to">Wednesday, to: /);
    expect(bad.text).not.to.include('>Availability: ');
    const wednesdayTo = inputTag(bad.text, 'avail_wed_0_to');
    expect(wednesdayTo).to.include('value="14:00"').and.to.include('aria-invalid="true"');
    expect(wednesdayTo).to.include('aria-describedby="availability-format field-avail_wed_0_to-error"');
    expect(bad.text).to.include('value="Northgate High"');
    expect(await MentorProfileModel.countDocuments({ userId: mentor.id })).to.equal(0);
    await agent
      .post('/mentoring/profile/mentor')
      .type('form')
      .send({
        ...fields,
        timezone: 'Europe/London',
        capacity: '2',
        avail_mon_1_from: '13:00',
        avail_mon_1_to: '15:00',
        avail_wed_0_to: '17:00',
      })
      .expect(303);
    const saved = await MentorProfileModel.findOne({ userId: mentor.id }).lean();
    expect(saved!.availability).to.deep.equal([
      { day: 'mon', from: '09:00', to: '12:00' },
      { day: 'mon', from: '13:00', to: '15:00' },
      { day: 'wed', from: '15:00', to: '17:00' },
    ]);
    expect(saved!.languages).to.deep.equal(['English', 'Welsh']);
    const page = await agent.get('/mentoring/profile/mentor').expect(200);
    expect(page.text).to.include('value="13:00"');
  });

  /** The four mistakes the mentee form and API must name, each as the form posts it and as the API body carries it. */
  const menteeMistakes = [
    {
      what: 'a window that ends before it starts',
      form: { avail_wed_0_from: '15:00', avail_wed_0_to: '14:00' },
      body: { availability: [{ day: 'wed', from: '15:00', to: '14:00' }] },
      field: 'avail_wed_0_to',
      label: 'Wednesday, to',
      path: 'availability.0.to',
      message: 'the Wednesday window 15:00–14:00 ends before or when it starts',
    },
    {
      what: 'overlapping windows',
      form: { avail_mon_1_from: '09:00', avail_mon_1_to: '11:00' },
      body: { availability: [...menteeBody.availability, { day: 'mon', from: '09:00', to: '11:00' }] },
      field: 'avail_mon_1_from',
      label: 'Monday (window 2), from',
      path: 'availability.1',
      message: 'the Monday window 09:00–11:00 overlaps the Monday window 08:00–10:00',
    },
    {
      what: 'an unknown time zone',
      form: { timezone: 'Mars/Olympus' },
      body: { timezone: 'Mars/Olympus' },
      field: 'timezone',
      label: 'Time zone',
      path: 'timezone',
      message: 'must be an IANA time zone such as Europe/London',
    },
    {
      what: 'an unknown topic',
      form: { goals: ['interviews', 'knitting'] },
      body: { goals: ['interviews', 'knitting'] },
      field: 'goals',
      label: 'Your goals',
      path: 'goals.1',
      message: 'is not one of the topics',
    },
  ];

  it('the mentee form names the field for a window ending before it starts, overlapping windows, an unknown zone or topic, and saves nothing', async () => {
    const mentee = await buildUser();
    const agent = await signIn(app, mentee.email, testPassword);
    const fields = {
      goals: ['interviews'],
      phase: 'primary',
      schoolName: 'Maple Public School',
      country: 'CA',
      region: 'Ontario',
      timezone: 'America/Toronto',
      languages: 'English, French',
      avail_mon_0_from: '08:00',
      avail_mon_0_to: '10:00',
      _csrf: await csrfOf(agent, '/mentoring/profile/mentee'),
    };
    for (const mistake of menteeMistakes) {
      const bad = await agent
        .post('/mentoring/profile/mentee')
        .type('form')
        .send({ ...fields, ...mistake.form });
      expect(bad.status, mistake.what).to.equal(422);
      expect(bad.text, mistake.what).to.include('There is a problem');
      // A group of boxes is linked at its first box (a fieldset takes no focus).
      const target = mistake.field === 'goals' ? 'goals-first' : mistake.field;
      expect(bad.text, mistake.what).to.include(`href="#field-${target}">${mistake.label}: ${mistake.message}`);
      expect(bad.text, mistake.what).to.include(`id="field-${mistake.field}-error"`);
      expect(bad.text, mistake.what).to.include('value="Maple Public School"');
      expect(await MenteeProfileModel.countDocuments({ userId: mentee.id }), mistake.what).to.equal(0);
    }
    // A preference too long is introduced by the label she reads too.
    const language = await agent
      .post('/mentoring/profile/mentee')
      .type('form')
      .send({ ...fields, preferences_language: 'x'.repeat(41) })
      .expect(422);
    expect(language.text).to.include('href="#field-preferences_language">A language I would like to be mentored in: ');
    // The same form without the mistake saves.
    await agent.post('/mentoring/profile/mentee').type('form').send(fields).expect(303);
    expect(await MenteeProfileModel.countDocuments({ userId: mentee.id })).to.equal(1);
  });

  it('the mentee API answers 422 naming the field for the same four mistakes, and her saved profile stays as it was', async () => {
    const mentee = await buildUser();
    const auth = { Authorization: `Bearer ${await tokenFor(mentee)}` };
    const saved = (await supertest(app).put('/api/v1/me/mentee-profile').set(auth).send(menteeBody).expect(200)).body;
    for (const mistake of menteeMistakes) {
      const res = await supertest(app)
        .put('/api/v1/me/mentee-profile')
        .set(auth)
        .send({ ...menteeBody, ...mistake.body });
      expect(res.status, mistake.what).to.equal(422);
      expect(res.type, mistake.what).to.equal('application/problem+json');
      expect(res.body.errors, mistake.what).to.have.length(1);
      expect(res.body.errors[0].path, mistake.what).to.equal(mistake.path);
      expect(res.body.errors[0].message, mistake.what).to.include(mistake.message);
    }
    const now = await supertest(app).get('/api/v1/me/mentee-profile').set(auth).expect(200);
    expect(now.body).to.deep.equal(saved);
  });

  it('a window ending at 24:00 saved through the API comes back in a field that holds 24:00, and the form saves it again unchanged', async () => {
    const mentee = await buildUser();
    const auth = { Authorization: `Bearer ${await tokenFor(mentee)}` };
    const evening = { ...menteeBody, availability: [{ day: 'mon', from: '19:00', to: '24:00' }] };
    const saved = (await supertest(app).put('/api/v1/me/mentee-profile').set(auth).send(evening).expect(200)).body;
    const agent = await signIn(app, mentee.email, testPassword);
    const form = await agent.get('/mentoring/profile/mentee').expect(200);
    // Posted back as a browser sends it, without a change: saved as it was.
    const unchanged = fieldsAsABrowserSends(form.text, '/mentoring/profile/mentee');
    const resaved = await agent.post('/mentoring/profile/mentee').type('form').send(unchanged);
    expect(resaved.status, /There is a problem[\s\S]*?<\/ul>/.exec(resaved.text)?.[0]).to.equal(303);
    expect((await supertest(app).get('/api/v1/me/mentee-profile').set(auth).expect(200)).body).to.deep.equal(saved);
    const to = inputTag(form.text, 'avail_mon_0_to');
    expect(to).to.include('type="text"').and.to.include('value="24:00"');
    expect(to).to.include('aria-describedby="availability-format"');
    expect(form.text).to.match(/id="availability-format">[^<]*HH:MM[^<]*24:00/);
  });

  it('she can type a window ending at 24:00 into the form; it is saved as 24:00 and shown again as 24:00', async () => {
    const mentor = await buildUser({ roles: ['mentor'] });
    const agent = await signIn(app, mentor.email, testPassword);
    const fields = {
      phase: 'primary',
      yearsAsHead: '6',
      schoolName: 'Hillside Primary',
      country: 'GB',
      timezone: 'Europe/London',
      capacity: '2',
      avail_fri_0_from: '20:30',
      avail_fri_0_to: '24:00',
      _csrf: await csrfOf(agent, '/mentoring/profile/mentor'),
    };
    await agent.post('/mentoring/profile/mentor').type('form').send(fields).expect(303);
    const saved = await MentorProfileModel.findOne({ userId: mentor.id }).lean();
    expect(saved!.availability).to.deep.equal([{ day: 'fri', from: '20:30', to: '24:00' }]);
    const again = (await agent.get('/mentoring/profile/mentor').expect(200)).text;
    expect(fieldsAsABrowserSends(again, '/mentoring/profile/mentor')).to.include({
      avail_fri_0_from: '20:30',
      avail_fri_0_to: '24:00',
    });
  });

  it('when the form is posted without a CSRF token, it answers 403 and stores nothing', async () => {
    const mentee = await buildUser();
    const agent = await signIn(app, mentee.email, testPassword);
    await agent
      .post('/mentoring/profile/mentee')
      .type('form')
      .send({ phase: 'primary', country: 'GB', timezone: 'Europe/London' })
      .expect(403);
    expect(await MenteeProfileModel.countDocuments({ userId: mentee.id })).to.equal(0);
  });
});

/** The `<input>` tag named `name` on a page. */
function inputTag(html: string, name: string): string {
  const tag = new RegExp(`<input[^>]*\\sname="${name}"[^>]*>`).exec(html)?.[0];
  if (!tag) throw new Error(`no input named ${name}`);
  return tag;
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&#39;/g, "'")
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

/**
 * The fields a browser sends for the page's form posting to `action` as rendered, untouched: text inputs, checked boxes, selected options
 * and textareas. A browser empties a `type="time"` input whose value is not a valid time of day (HTML's value
 * sanitization: 24:00 is not one), and so does this.
 */
function fieldsAsABrowserSends(page: string, action: string): Record<string, string | string[]> {
  const html = new RegExp(`<form[^>]*\\saction="${action}"[\\s\\S]*?</form>`).exec(page)?.[0];
  if (!html) throw new Error(`no form posting to ${action}`);
  const fields: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const had = fields[name];
    fields[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  };
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    const type = attr(tag, 'type') ?? 'text';
    if (!name || ((type === 'checkbox' || type === 'radio') && !/\schecked\b/.test(tag))) continue;
    const value = unescapeHtml(attr(tag, 'value') ?? '');
    add(name, type === 'time' && !/^([01]\d|2[0-3]):[0-5]\d$/.test(value) ? '' : value);
  }
  for (const [, open, body] of html.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const options = [...body!.matchAll(/<option\b([^>]*)>/g)].map((m) => m[1]!);
    const chosen = options.find((o) => /\sselected\b/.test(o)) ?? options[0] ?? '';
    add(attr(open!, 'name')!, unescapeHtml(attr(chosen, 'value') ?? ''));
  }
  for (const [, open, text] of html.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
    add(attr(open!, 'name')!, unescapeHtml(text!));
  }
  return fields;
}
