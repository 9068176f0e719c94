import { expect } from 'chai';
import supertest from 'supertest';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { acceptMentoringRequest, createMentoringRequest } from '../../server/services/mentoring/requests.ts';
import { closeMentorship } from '../../server/services/mentoring/mentorships.ts';
import { mentoringOverview, outcomesByMonth } from '../../server/services/mentoring/overview.ts';
import { previewAssignment } from '../../server/services/mentoring/assignmentPreview.ts';
import { UserModel } from '../../models/User.ts';
import { testApp } from '../support/app.ts';
import { clearDatabase, useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';
import { buildMentee, buildMentor } from '../support/mentorshipFactories.ts';

const actor = (u: TestUser) => ({ id: u.id, roles: u.roles });
const day = 86_400_000;

describe('mentoring: the admin overview', () => {
  useTestDatabase();

  it('counts mentors, free places, unmatched mentees, pending requests, mentorships, the median days to a match and outcomes', async () => {
    const app = testApp();
    const [full, open] = [await buildMentor({ capacity: 1 }), await buildMentor({ capacity: 2 })];
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => buildMentee()));
    const t0 = new Date(Date.now() - 30 * day);
    // a: matched after 2 days; b: matched after 6 days then closed; c: waiting; d: nothing yet.
    const ra = await createMentoringRequest({ actor: actor(a!), mentorId: full.id, message: 'a', now: t0 });
    await acceptMentoringRequest({
      actor: actor(full),
      requestId: String(ra._id),
      now: new Date(t0.getTime() + 2 * day),
    });
    const rb = await createMentoringRequest({ actor: actor(b!), mentorId: open.id, message: 'b', now: t0 });
    const mb = await acceptMentoringRequest({
      actor: actor(open),
      requestId: String(rb._id),
      now: new Date(t0.getTime() + 6 * day),
    });
    await closeMentorship({ actor: actor(b!), mentorshipId: String(mb._id), reason: 'Done' });
    await createMentoringRequest({ actor: actor(c!), mentorId: open.id, message: 'c' });
    void d;
    await CareerOutcomeModel.create([
      { userId: a!.id, kind: 'applied', on: '2026-10-01' },
      { userId: a!.id, kind: 'interviewed', on: '2026-11-01' },
      { userId: b!.id, kind: 'applied', on: '2026-11-02' },
    ]);
    const admin = await buildUser({ roles: ['admin'] });
    const res = await supertest(app)
      .get('/api/v1/mentoring/overview')
      .set({ Authorization: `Bearer ${await tokenFor(admin)}` })
      .expect(200);
    // The ratings have their own file (./ratings.test.ts).
    const { ratings, ...figures } = res.body;
    expect(ratings).to.include({ rated: 0, median: null });
    expect(figures).to.deep.equal({
      mentors: 2,
      mentorsWithFreePlaces: 1,
      mentees: 4,
      unmatchedMentees: 3,
      pendingRequests: 1,
      activeMentorships: 1,
      closedMentorships: 1,
      medianDaysToMatch: 4,
      outcomes: { applied: 2, interviewed: 1, appointed: 0, 'salary-negotiated': 0, promoted: 0 },
    });
    await supertest(app)
      .get('/api/v1/mentoring/overview')
      .set({ Authorization: `Bearer ${await tokenFor(a!)}` })
      .expect(403);
  });

  it('mentors and mentees whose account was disabled are not counted: "without a mentor" is the number the assignment then tries to match', async () => {
    await clearDatabase();
    const [gone, here] = [await buildMentor({ capacity: 2 }), await buildMentor({ capacity: 1 })];
    const [left, stays] = [await buildMentee(), await buildMentee()];
    await UserModel.updateMany({ _id: { $in: [gone.id, left.id] } }, { $set: { status: 'disabled' } });
    const overview = await mentoringOverview({});
    expect(overview).to.include({ mentors: 1, mentorsWithFreePlaces: 1, mentees: 1, unmatchedMentees: 1 });
    const preview = await previewAssignment({});
    expect(preview.items.length + preview.unassigned.length).to.equal(overview.unmatchedMentees);
    expect(preview.items).to.deep.equal([{ menteeId: stays.id, mentorId: here.id, score: preview.items[0]!.score }]);
  });

  it('the chart counts outcomes by the month she gave, over the last 12 months', () => {
    const chart = outcomesByMonth(
      [
        { kind: 'applied', on: '2026-11-30' },
        { kind: 'appointed', on: '2026-11-01' },
        { kind: 'promoted', on: '2025-11-30' },
      ],
      new Date('2026-12-02T00:00:00Z'),
    );
    expect(chart.months).to.have.length(12);
    expect(chart.months[0]!.month).to.equal('2026-01');
    expect(chart.months.at(-2)!.counts).to.include({ applied: 1, appointed: 1 });
    expect(chart.max).to.equal(2);
  });

  it('the last month is the reader’s: on New Year’s morning in Auckland (still 31 December in UTC) January is charted, with her outcome of that day', () => {
    const outcomes = [{ kind: 'appointed', on: '2027-01-01' }];
    const now = new Date('2026-12-31T20:00:00Z'); // 09:00 on 1 January 2027 in Auckland (NZDT)
    const chart = outcomesByMonth(outcomes, now, 12, 'Pacific/Auckland');
    expect(chart.months.at(-1)).to.deep.include({ month: '2027-01', label: 'Jan 2027' });
    expect(chart.months.at(-1)!.counts).to.include({ appointed: 1 });
    expect(chart.months[0]!.month).to.equal('2026-02');
  });
});
