import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import supertest from 'supertest';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { saveMenteeProfile } from '../../server/services/mentoring/profiles.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildMentee, buildMentor, officeHours } from '../support/mentoringFactories.ts';

type Item = { mentorId: string; name: string; score: number; reasons: string[]; overlapMinutesPerWeek: number };

describe('mentoring: suggested mentors', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let mentee: TestUser;
  const excluded: Record<string, TestUser> = {};
  const eligible: TestUser[] = [];
  let bothRoles: TestUser;
  before(async () => {
    app = testApp();
    // Everyone in London, so the shared time is the same in every week the test may run.
    mentee = await buildMentee({ schoolName: "St Hilda's  School", goals: ['interviews', 'salary-negotiation'] });
    excluded.sameSchool = await buildMentor({ schoolName: "st hilda's school" }, { name: 'Same School' });
    excluded.paused = await buildMentor({ capacity: 0 }, { name: 'Paused Mentor' });
    excluded.tooLittleTime = await buildMentor(
      {
        availability: [
          { day: 'sat', from: '09:00', to: '17:00' },
          { day: 'mon', from: '16:00', to: '17:59' },
        ],
      },
      { name: 'Weekend Mentor' },
    );
    // A woman who is both a mentor and a participant is never suggested to herself.
    // (Free on Saturdays only, so she shares no time with the mentee above.)
    const saturdays = [{ day: 'sat' as const, from: '09:00', to: '17:00' }];
    bothRoles = await buildMentor(
      { availability: saturdays },
      { roles: ['mentor', 'participant'], name: 'Both Roles' },
    );
    await saveMenteeProfile({
      userId: bothRoles.id,
      profile: {
        goals: ['interviews'],
        phase: 'secondary',
        schoolName: 'Elsewhere',
        country: 'GB',
        region: 'Yorkshire',
        timezone: 'Europe/London',
        languages: ['English'],
        availability: saturdays,
        preferences: { sameRegion: false, language: '' },
      },
    });
    // Seven who fit, from a weak fit to a perfect one.
    eligible.push(
      await buildMentor(
        { expertise: [], phase: 'primary', country: 'AU', region: 'NSW', languages: ['Malay'] },
        { name: 'Fit 1' },
      ),
    );
    eligible.push(
      await buildMentor(
        { expertise: ['interviews'], phase: 'primary', country: 'AU', languages: ['Malay'] },
        { name: 'Fit 2' },
      ),
    );
    eligible.push(
      await buildMentor({ expertise: ['interviews'], country: 'AU', languages: ['Malay'] }, { name: 'Fit 3' }),
    );
    eligible.push(await buildMentor({ expertise: ['interviews'], country: 'AU' }, { name: 'Fit 4' }));
    eligible.push(await buildMentor({ region: 'London' }, { name: 'Fit 5' }));
    eligible.push(await buildMentor({ region: 'Yorkshire', expertise: ['interviews'] }, { name: 'Fit 6' }));
    eligible.push(await buildMentor({}, { name: 'Fit 7' }));
  });

  it('answers at most 5, best first, never a mentor a hard rule excludes, and never an email', async () => {
    const res = await supertest(app)
      .get('/api/v1/me/mentor-suggestions')
      .set('Authorization', `Bearer ${await tokenFor(mentee)}`)
      .expect(200);
    const items = res.body.items as Item[];
    expect(items.map((i) => i.name)).to.deep.equal(['Fit 7', 'Fit 5', 'Fit 6', 'Fit 4', 'Fit 3']);
    const scores = items.map((i) => i.score);
    expect(scores).to.deep.equal([...scores].sort((a, b) => b - a));
    expect(items[0]).to.include({ mentorId: eligible[6]!.id, score: 100, overlapMinutesPerWeek: 2400 });
    expect(items[0]!.reasons).to.include('you share 2 goals: interviews, salary negotiation');
    expect(items[0]!.reasons).to.include(
      '40 hours a week when you are both free: Mondays 09:00–17:00, Tuesdays 09:00–17:00, Wednesdays 09:00–17:00, Thursdays 09:00–17:00, Fridays 09:00–17:00 your time',
    );
    const ids = items.map((i) => i.mentorId);
    for (const [rule, mentor] of Object.entries(excluded)) expect(ids, rule).not.to.include(mentor.id);
    expect(JSON.stringify(res.body)).not.to.include('@');
  });

  it('does not suggest again a mentor she is already in an active mentorship with', async () => {
    const withMentor = await buildMentee();
    await mongoose.connection.collection('mentorships').insertOne({
      menteeId: new Types.ObjectId(withMentor.id),
      mentorId: new Types.ObjectId(eligible[6]!.id),
      status: 'active',
    });
    const res = await supertest(app)
      .get('/api/v1/me/mentor-suggestions')
      .set('Authorization', `Bearer ${await tokenFor(withMentor)}`)
      .expect(200);
    const ids = (res.body.items as Item[]).map((i) => i.mentorId);
    expect(ids).to.have.length(5);
    expect(ids).not.to.include(eligible[6]!.id);
  });

  it('never suggests a woman who is both mentor and mentee to herself', async () => {
    const res = await supertest(app)
      .get('/api/v1/me/mentor-suggestions')
      .set('Authorization', `Bearer ${await tokenFor(bothRoles)}`)
      .expect(200);
    const ids = (res.body.items as Item[]).map((i) => i.mentorId);
    expect(ids).to.include(excluded.tooLittleTime!.id); // free on Saturdays too
    expect(ids).not.to.include(bothRoles.id);
  });

  it('when the excluded mentors are the only ones, she is told there is no fit rather than shown them', async () => {
    const lonely = await buildMentee({ availability: [{ day: 'sun', from: '03:00', to: '04:00' }] });
    const res = await supertest(app)
      .get('/api/v1/me/mentor-suggestions')
      .set('Authorization', `Bearer ${await tokenFor(lonely)}`)
      .expect(200);
    expect(res.body.items).to.deep.equal([]);
  });

  it('the page lists each suggestion with its score, its reasons and a link to request her, and shows the weights', async () => {
    const agent = await signIn(app, mentee.email, testPassword);
    const page = await agent.get('/mentoring/suggestions').expect(200);
    expect(page.text).to.include('Fit 7');
    expect(page.text).to.include('Score 100 out of 100');
    expect(page.text).to.include('You share 2 goals: interviews, salary negotiation');
    expect(page.text).to.include(`href="/mentoring/requests/new?mentorId=${eligible[6]!.id}"`);
    expect(page.text).to.include('How the score is made');
    expect(page.text).to.include('40 points');
    expect(page.text).not.to.include('Same School');
    expect(page.text).not.to.include('@example.org');
  });

  it('a mentor she has already asked shows her request waiting instead of a link that would only be refused; with 3 waiting, the page says so instead of links', async () => {
    const asker = await buildMentee({ goals: ['interviews', 'salary-negotiation'] });
    const token = await tokenFor(asker);
    const listed = await supertest(app)
      .get('/api/v1/me/mentor-suggestions')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    const ids = (listed.body.items as Item[]).map((i) => i.mentorId);
    expect(ids).to.have.length(5);
    const ask = (mentorId: string) =>
      supertest(app)
        .post('/api/v1/mentoring/requests')
        .set('Authorization', `Bearer ${token}`)
        .send({ mentorId, message: 'Interviews in May.' })
        .expect(201);
    await ask(ids[0]!);
    const agent = await signIn(app, asker.email, testPassword);
    const one = await agent.get('/mentoring/suggestions').expect(200);
    expect(one.text).not.to.include(`href="/mentoring/requests/new?mentorId=${ids[0]}"`);
    expect(one.text).to.include('You asked her: your request is waiting for her answer');
    expect(one.text).to.include(`href="/mentoring/requests/new?mentorId=${ids[1]}"`);
    await ask(ids[1]!);
    await ask(ids[2]!);
    const three = await agent.get('/mentoring/suggestions').expect(200);
    for (const id of ids) expect(three.text).not.to.include(`href="/mentoring/requests/new?mentorId=${id}"`);
    expect(three.text).to.include('You have 3 requests waiting for an answer');
  });

  it('before she has a profile, the API answers no items and the page sends her to create one', async () => {
    const newcomer = await buildUser();
    const res = await supertest(app)
      .get('/api/v1/me/mentor-suggestions')
      .set('Authorization', `Bearer ${await tokenFor(newcomer)}`)
      .expect(200);
    expect(res.body.items).to.deep.equal([]);
    const agent = await signIn(app, newcomer.email, testPassword);
    const page = await agent.get('/mentoring/suggestions').expect(200);
    expect(page.text).to.include('href="/mentoring/profile/mentee"');
  });

  it('a school name typed with combining accents (a Mac, an iPhone) or pasted with a zero-width space is her own school: the mentor there is not suggested and a request to her is refused (422), in the API and the web form; the name is stored composed', async () => {
    const school = 'École Sainte-Thérèse';
    const margaret = await buildMentor({ schoolName: school }, { name: 'Margaret Osei' });
    const profile = {
      goals: ['interviews'],
      phase: 'secondary',
      country: 'GB',
      region: 'Yorkshire',
      timezone: 'Europe/London',
      languages: ['English'],
      availability: officeHours,
    };
    for (const typed of [school.normalize('NFD'), `${school}\u200b`, ` ÉCOLE  sainte-thérèse\u2060`]) {
      const participant = await buildUser({ roles: ['participant'] });
      const auth = { Authorization: `Bearer ${await tokenFor(participant)}` };
      const saved = await supertest(app)
        .put('/api/v1/me/mentee-profile')
        .set(auth)
        .send({ ...profile, schoolName: typed })
        .expect(200);
      expect(saved.body.schoolName).to.equal(typed.trim().normalize('NFC'));
      const suggested = await supertest(app).get('/api/v1/me/mentor-suggestions').set(auth).expect(200);
      expect(suggested.body.items.length, JSON.stringify(typed)).to.be.above(0);
      expect(
        suggested.body.items.map((i: Item) => i.mentorId),
        JSON.stringify(typed),
      ).to.not.include(margaret.id);
      const request = await supertest(app)
        .post('/api/v1/mentoring/requests')
        .set(auth)
        .send({ mentorId: margaret.id, message: 'Hello' })
        .expect(422);
      expect(request.body.detail ?? request.body.title, JSON.stringify(typed)).to.include(
        'This mentor works at your own school.',
      );
    }
    const participant = await buildUser({ roles: ['participant'] });
    const agent = await signIn(app, participant.email, testPassword);
    await agent
      .post('/mentoring/profile/mentee')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/mentoring/profile/mentee'),
        goals: ['interviews'],
        phase: 'secondary',
        schoolName: school.normalize('NFD'),
        country: 'GB',
        region: 'Yorkshire',
        timezone: 'Europe/London',
        languages: 'English',
        avail_mon_0_from: '09:00',
        avail_mon_0_to: '17:00',
      })
      .expect(303);
    expect((await MenteeProfileModel.findOne({ userId: participant.id }).lean())!.schoolName).to.equal(school);
    const page = await agent.get('/mentoring/suggestions').expect(200);
    expect(page.text).to.not.include('Margaret Osei');
  });

  it('when someone who is not a participant asks for suggestions, it answers 403', async () => {
    const governor = await buildUser({ roles: ['governor'] });
    await supertest(app)
      .get('/api/v1/me/mentor-suggestions')
      .set('Authorization', `Bearer ${await tokenFor(governor)}`)
      .expect(403);
  });
});
