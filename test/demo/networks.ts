import { expect } from 'chai';
import { NetworkModel } from '../../models/Network.ts';
import { NetworkPostModel } from '../../models/NetworkPost.ts';
import { NetworkReplyModel } from '../../models/NetworkReply.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { signIn, testApp } from '../support/app.ts';

export function networksDemo(): void {
  describe('networks: demo data', () => {
    it('has at least ten networks across regions and interests, and the demo lead sees stories, a waiting request, a report and a hidden post, and a reported reply', async function () {
      const networks = await NetworkModel.find({}).lean();
      expect(networks.length).to.be.at.least(10);
      expect(networks.map((n) => n.country).filter(Boolean)).to.include.members(['GB', 'CA', 'MY', 'AU']);
      expect(networks.map((n) => n.name)).to.include.members(['Headship applications', 'Flexible working']);
      const returners = networks.find((n) => n.name === 'Returners after a career break')!;
      expect(returners.memberCount).to.equal(6);
      const agent = await signIn(testApp(), 'participant@pathways.test', demoPassword);
      const page = await agent.get(`/networks/${String(returners._id)}`).expect(200);
      expect(page.text).to.include('I felt really alone as a leader after my career break');
      expect(page.text).to.include('An advert, not a story.');
      expect(page.text).to.include('Hidden: Names a colleague who did not agree to it.');
      expect(page.text).to.include('An advert under my question.').and.include('A reply to “How did you keep in touch');
      const list = await agent.get('/networks').expect(200);
      expect(list.text).to.include('WomenEd Malaysia');
      const fiona = await signIn(testApp(), 'facilitator@pathways.test', demoPassword);
      const headship = networks.find((n) => n.name === 'Headship applications')!;
      expect((await fiona.get(`/networks/${String(headship._id)}`)).text).to.include('Priya Shah');
    });

    it('has a regional network for the Middle East, and stories that members have replied to', async function () {
      const middleEast = await NetworkModel.find({ kind: 'regional', name: /Middle East/ }).lean();
      expect(middleEast.map((n) => n.name)).to.deep.equal(['Middle East women leaders']);
      const answered = await NetworkPostModel.find({ kind: 'story', replyCount: { $gt: 0 } }).lean();
      expect(answered.length).to.be.at.least(2);
      const replies = await NetworkReplyModel.countDocuments({ postId: { $in: answered.map((p) => p._id) } });
      expect(replies).to.equal(answered.reduce((sum, p) => sum + p.replyCount, 0));
    });
  });
}
