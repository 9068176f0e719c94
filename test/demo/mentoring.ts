import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { expect } from 'chai';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { MentorshipMeetingModel } from '../../models/MentorshipMeeting.ts';
import { MentorshipModel } from '../../models/Mentorship.ts';
import { UserModel } from '../../models/User.ts';
import { endedOnAgreedDateReason } from '../../server/services/mentoring/mentorships.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { signIn, testApp } from '../support/app.ts';

export function mentoringDemo(): void {
  describe('mentoring: demo data', () => {
    it('has a dozen mentors across six places, suggestions with zone reasoning, active mentorships with meetings, outcomes and an overview chart', async function () {
      const profiles = await MentorProfileModel.find({}).lean();
      expect(profiles).to.have.length(12);
      expect(new Set(profiles.map((p) => p.timezone))).to.include.members([
        'Europe/London',
        'America/Toronto',
        'Asia/Dubai',
        'Asia/Kuala_Lumpur',
        'Australia/Sydney',
      ]);
      expect(profiles.map((p) => p.region)).to.include('Yorkshire and the Humber');
      expect(await MentorshipModel.countDocuments({ status: 'active' })).to.equal(2);
      expect(await MentorshipMeetingModel.countDocuments({})).to.be.greaterThan(4);

      const app = testApp();
      const priya = await signIn(app, 'participant@pathways.test', demoPassword);
      const suggestions = await priya.get('/api/v1/me/mentor-suggestions').expect(200);
      expect(suggestions.body.items.length).to.be.within(3, 5);
      const margaret = suggestions.body.items.find((s: { name: string }) => s.name === 'Margaret Osei');
      expect(margaret, JSON.stringify(suggestions.body.items.map((s: { name: string }) => s.name))).to.be.an('object');
      expect(margaret.reasons.join(' ')).to.match(/your time/);
      expect(JSON.stringify(suggestions.body)).not.to.match(/@/);

      const admin = await signIn(app, 'admin@pathways.test', demoPassword);
      const overview = await admin.get('/admin/mentoring').expect(200);
      expect(overview.text).to.include('role="img"');
      const figures = await admin.get('/api/v1/mentoring/overview').expect(200);
      expect(figures.body).to.include({ mentors: 12, activeMentorships: 2, closedMentorships: 5, pendingRequests: 1 });
      // Every closed mentorship is rated; Catherine, with three ratings, is the one mentor listed by name.
      expect(figures.body.ratings).to.deep.include({ rated: 5, median: 4, mentorsWithFewerRatings: 2 });
      expect(figures.body.ratings.mentors).to.have.length(1);
      expect(overview.text).to.match(/<th scope="row">Catherine Wright<\/th><td>3<\/td><td>4<\/td>/);
      expect(overview.text).to.include('Zara could mentor others herself');

      // Priya and Margaret's mentorship reached its agreed end date three days ago: the sweep closed it, nobody else.
      const priyasId = (await UserModel.findOne({ email: 'participant@pathways.test' }).lean())!._id;
      const ended = await MentorshipModel.findOne({ menteeId: priyasId, mentorId: margaret.mentorId }).lean();
      expect(ended).to.deep.include({ status: 'closed', closeReason: endedOnAgreedDateReason });
      const margaretsProfile = await MentorProfileModel.findOne({ userId: margaret.mentorId }).lean();
      expect(margaretsProfile!.freePlaces, 'her place came back').to.equal(margaretsProfile!.capacity);
      // Every recorded outcome counts (the research demo records some of its own beside the mentees').
      expect(figures.body.outcomes.appointed).to.be.at.least(1);
      expect(figures.body.outcomes.appointed).to.equal(await CareerOutcomeModel.countDocuments({ kind: 'appointed' }));
    });
  });
}
