import { expect } from 'chai';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { EventRsvpModel } from '../../models/EventRsvp.ts';
import { MenteeProfileModel } from '../../models/MenteeProfile.ts';
import { MentorProfileModel } from '../../models/MentorProfile.ts';
import { NetworkEventModel } from '../../models/NetworkEvent.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { signIn, testApp } from '../support/app.ts';

export function directoryDemo(): void {
  describe('directory: demo data', () => {
    it('has profiles of all three visibilities across zones and an upcoming event with RSVPs that the participant sees', async function () {
      expect(await DirectoryProfileModel.distinct('visibility')).to.have.members(['hidden', 'networks', 'everyone']);
      const event = (await NetworkEventModel.findOne({ title: 'Evening coffee: leading across time zones' }).lean())!;
      expect(event.startsAt.getTime()).to.be.greaterThan(Date.now());
      expect(await EventRsvpModel.countDocuments({ eventId: event._id, going: true })).to.be.at.least(3);
      const agent = await signIn(testApp(), 'participant@pathways.test', demoPassword);
      const directory = await agent.get('/directory').expect(200);
      expect(directory.text).to.include('Margaret Osei');
      expect(directory.text).to.not.include('Not ready to be found yet');
      expect(directory.text).to.not.include('@pathways.test');
      const page = await agent.get(`/events/${String(event._id)}`).expect(200);
      expect(page.text).to.include('(America/Toronto)');
      expect(page.text).to.include('You said you are going.');
    });

    it('a demo person’s directory profile tells the same story as her mentoring profile (school phase, years as a head)', async function () {
      const profiles = await DirectoryProfileModel.find({ phase: { $ne: null } }).lean();
      const mentoring = [
        ...(await MenteeProfileModel.find({ userId: { $in: profiles.map((p) => p._id) } }).lean()),
        ...(await MentorProfileModel.find({ userId: { $in: profiles.map((p) => p._id) } }).lean()),
      ];
      const mismatched = mentoring.flatMap((m) => {
        const entry = profiles.find((p) => String(p._id) === String(m.userId))!;
        return entry.phase === m.phase ? [] : [`${entry.name}: directory ${entry.phase}, mentoring ${m.phase}`];
      });
      expect(mismatched).to.deep.equal([]);
      const margaret = profiles.find((p) => p.name === 'Margaret Osei')!;
      const hers = (await MentorProfileModel.findOne({ userId: margaret._id }).lean())!;
      expect(hers.yearsAsHead).to.equal(12);
      expect(margaret.headline).to.include('for twelve years');
    });
  });
}
