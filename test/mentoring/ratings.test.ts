import { expect } from 'chai';
import supertest from 'supertest';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { closeMentorship, rateClosedMentorship } from '../../server/services/mentoring/mentorships.ts';
import { mentorshipRatings, medianOfCounts } from '../../server/services/mentoring/ratings.ts';
import { acceptMentoringRequest, createMentoringRequest } from '../../server/services/mentoring/requests.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { signIn, testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';

const actor = (u: TestUser) => ({ id: u.id, roles: u.roles });

/** A mentorship of `mentor` with a new mentee, closed by `closedBy` and rated by the mentee when `rating` is given. */
async function closedMentorship(
  mentor: TestUser,
  opts: { rating?: number; feedback?: string; closedBy?: 'mentee' | 'mentor'; menteeName?: string } = {},
) {
  const mentee = await buildMentee(opts.menteeName ? { name: opts.menteeName } : {});
  const request = await createMentoringRequest({ actor: actor(mentee), mentorId: mentor.id, message: 'Please.' });
  const m = await acceptMentoringRequest({ actor: actor(mentor), requestId: String(request._id) });
  const mentorshipId = String(m._id);
  if (opts.closedBy === 'mentor') {
    await closeMentorship({ actor: actor(mentor), mentorshipId, reason: 'Term ended', feedback: opts.feedback });
    if (opts.rating) await rateClosedMentorship({ actor: actor(mentee), mentorshipId, rating: opts.rating });
  } else
    await closeMentorship({
      actor: actor(mentee),
      mentorshipId,
      reason: 'Done',
      rating: opts.rating,
      feedback: opts.feedback,
    });
  return { mentee, mentorshipId };
}

describe('mentoring: how mentees rated their mentorships (admin overview)', () => {
  useTestDatabase();
  beforeEach(clearDatabase);

  it('the median of ratings counted by value is the middle one, or halfway between the middle two', () => {
    expect(medianOfCounts({ 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 })).to.equal(null);
    expect(medianOfCounts({ 1: 1, 2: 1, 3: 0, 4: 1, 5: 1 })).to.equal(3);
    expect(medianOfCounts({ 1: 0, 2: 1, 3: 0, 4: 1, 5: 1 })).to.equal(4);
    expect(medianOfCounts({ 1: 0, 2: 0, 3: 0, 4: 1, 5: 1 })).to.equal(4.5);
  });

  it('an admin reads how many closed mentorships were rated, the median, the spread 1–5, each month’s, and each mentor’s only from 3 ratings', async () => {
    const app = testApp();
    const often = await buildMentor({ capacity: 5, name: 'Often Rated' });
    const once = await buildMentor({ capacity: 5, name: 'Rated Once' });
    await closedMentorship(often, { rating: 2 });
    await closedMentorship(often, { rating: 4, closedBy: 'mentor' });
    await closedMentorship(often, { rating: 5 });
    await closedMentorship(once, { rating: 1 });
    await closedMentorship(once);
    const admin = await buildUser({ roles: ['admin'] });
    const res = await supertest(app)
      .get('/api/v1/mentoring/overview')
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .expect(200);
    expect(res.body.closedMentorships).to.equal(5);
    const { byMonth, ...ratings } = res.body.ratings;
    expect(ratings).to.deep.equal({
      rated: 4,
      median: 3,
      distribution: { 1: 1, 2: 1, 3: 0, 4: 1, 5: 1 },
      mentors: [{ mentorId: often.id, ratings: 3, median: 4 }],
      mentorsWithFewerRatings: 1,
    });
    expect(byMonth).to.have.length(12);
    expect(byMonth.at(-1)).to.include({ rated: 4, median: 3 });
    expect(byMonth[0]).to.include({ rated: 0, median: null });

    const page = await signIn(app, admin.email, testPassword);
    const html = (await page.get('/admin/mentoring').expect(200)).text;
    expect(html).to.include('4 of 5 closed mentorships rated by the mentee');
    expect(html).to.include('Median rating: 3.');
    expect(html).to.match(/<th scope="row">Often Rated<\/th><td>3<\/td><td>4<\/td>/);
    // One rating is that mentee's verdict: her mentor is counted, not named.
    expect(html).not.to.include('Rated Once');
    expect(html).to.include('1 mentor has fewer ratings and is not listed.');
  });

  it('the feedback for the programme team is the admin’s alone: listed on the overview and the mentorship page, never shown to the mentor or the mentee', async () => {
    const app = testApp();
    const mentor = await buildMentor({ name: 'Mentor Mary' });
    const { mentee, mentorshipId } = await closedMentorship(mentor, {
      rating: 2,
      feedback: 'We never found a time that suited us both.',
      menteeName: 'Mentee Meg',
    });
    const admin = await buildUser({ roles: ['admin'] });

    const adminPages = await signIn(app, admin.email, testPassword);
    const overview = (await adminPages.get('/admin/mentoring').expect(200)).text;
    expect(overview).to.include('We never found a time that suited us both.');
    expect(overview).to.include(`<a href="/mentorships/${mentorshipId}">Mentee Meg with Mentor Mary</a>`);
    expect(overview).to.include('written by the mentee; the mentee rated it 2 of 5');
    const asAdmin = (await adminPages.get(`/mentorships/${mentorshipId}`).expect(200)).text;
    expect(asAdmin).to.include('<dt>Mentee’s rating</dt><dd>2 of 5</dd>');
    expect(asAdmin).to.include('We never found a time that suited us both.');

    for (const member of [mentor, mentee]) {
      const pages = await signIn(app, member.email, testPassword);
      const page = (await pages.get(`/mentorships/${mentorshipId}`).expect(200)).text;
      expect(page).not.to.include('We never found a time');
      expect(page).not.to.include('Mentee’s rating');
      await pages.get('/admin/mentoring').expect(403);
      const bearer = { Authorization: `Bearer ${await tokenFor(member)}` };
      const api = await supertest(app).get(`/api/v1/mentorships/${mentorshipId}`).set(bearer).expect(200);
      expect(api.body).not.to.have.any.keys('rating', 'feedback');
      await supertest(app).get('/api/v1/mentoring/overview').set(bearer).expect(403);
    }
  });

  it('a researcher reads neither the ratings nor the feedback: the overview is refused and the export holds no feedback', async () => {
    const app = testApp();
    const mentor = await buildMentor();
    const { mentee } = await closedMentorship(mentor, {
      rating: 1,
      feedback: 'Please do not match me like this again.',
    });
    await setResearchConsent({ userId: mentee.id, consented: true });
    const researcher = await buildUser({ roles: ['researcher'] });
    const bearer = { Authorization: `Bearer ${await tokenFor(researcher)}` };
    await supertest(app).get('/api/v1/mentoring/overview').set(bearer).expect(403);
    const csv = await supertest(app).get('/api/v1/research/export.csv').set(bearer).expect(200);
    expect(csv.text).not.to.include('Please do not match me');
  });

  it('each month counts the mentorships closed in it on the reader’s calendar', async () => {
    const mentor = await buildMentor({ capacity: 3 });
    const { mentorshipId } = await closedMentorship(mentor, { rating: 5 });
    // 23:30 on 31 October in London is 1 November in Auckland.
    await MentorshipModel.updateOne({ _id: mentorshipId }, { $set: { closedAt: new Date('2026-10-31T23:30:00Z') } });
    const now = new Date('2026-12-02T12:00:00Z');
    const london = await mentorshipRatings({ now, zone: 'Europe/London' });
    const auckland = await mentorshipRatings({ now, zone: 'Pacific/Auckland' });
    expect(london.byMonth.find((m) => m.month === '2026-10')).to.include({ rated: 1, median: 5 });
    expect(auckland.byMonth.find((m) => m.month === '2026-11')).to.include({ rated: 1, median: 5 });
    expect(auckland.byMonth.find((m) => m.month === '2026-10')).to.include({ rated: 0 });
  });
});
