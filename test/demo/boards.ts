import { expect } from 'chai';
import supertest from 'supertest';
import { CertificateModel } from '../../models/Certificate.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { signIn, testApp } from '../support/app.ts';

export function boardsDemo(): void {
  describe('boards: demo data', () => {
    it('gives the demo chair a round three weeks ahead with one ready, one in progress, one not started, one whose certificate lapses before the interview (renew by), warnings and reminders', async function () {
      // Its bias training is marked as the panels' training, and only it.
      expect((await ProgrammeModel.find({ panelTraining: true }).lean()).map((p) => p.title)).to.deep.equal([
        'Fair headteacher recruitment: unconscious bias training for governing boards',
      ]);
      const round = (await RecruitmentRoundModel.findOne({ title: 'Headteacher, September 2027' }).lean())!;
      expect(round.panel).to.have.length(4);
      const agent = await signIn(testApp(), 'governor@pathways.test', demoPassword);
      const page = await agent.get(`/rounds/${String(round._id)}`).expect(200);
      expect(page.text).to.include('Valid on the interview day');
      expect(page.text).to.include('In progress');
      expect(page.text).to.include('Not started');
      expect(page.text).to.include('Expires before the interview');
      expect(page.text).to.include('Renew by ');
      expect(page.text).to.include('safer-recruitment training valid on the interview day');
      expect(page.text).to.include('21 days left');
      expect(
        await NotificationModel.countDocuments({ 'about.id': String(round._id), status: 'scheduled' }),
      ).to.be.within(11, 14); // the 21-day one is past after 09:00 today
      const home = await agent.get('/').expect(200);
      expect(home.text).to.include('Governing boards');
      expect(home.text).to.include('Headteacher, September 2027');
    });

    it('the lapsing demo certificate can be checked on the public page by the code it prints: valid until its date', async () => {
      const lapsing = (await CertificateModel.findOne({ track: 'governing-board', expiresAt: { $ne: null } })
        .sort({ expiresAt: 1 })
        .lean())!;
      const checked = await supertest(testApp())
        .get(`/api/v1/certificates/verify/${lapsing.verificationCode}`)
        .expect(200);
      expect(checked.body).to.include({ status: 'valid' });
    });
  });
}
