import { expect } from 'chai';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { EventRsvpModel } from '../../models/EventRsvp.ts';
import { NetworkEventModel } from '../../models/NetworkEvent.ts';
import { seedDemoDataIfEmpty } from '../../server/demo/index.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';

describe('directory: demo data', () => {
  useTestDatabase();

  it('has profiles of all three visibilities across zones and an upcoming event with RSVPs that the participant sees', async function () {
    this.timeout(180_000);
    await seedDemoDataIfEmpty();
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
});
