import { expect } from 'chai';
import { AttendanceRecordModel } from '../../models/AttendanceRecord.ts';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel, type Cohort } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { CompletionModel } from '../../models/Completion.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { cohortAttendanceReport } from '../../server/services/cohorts/attendance.ts';
import { dueDatesOutsideDates } from '../../server/services/cohorts/moduleDueDates.ts';
import { sessionsOutsideDates } from '../../server/services/cohorts/sessions.ts';
import { signIn, testApp } from '../support/app.ts';
import { binaryBody, pdfText } from '../support/pdf.ts';

export function cohortsDemo(): void {
  describe('cohorts: demo data', () => {
    it('seeds a cohort per programme run by the demo facilitator, one full with a waitlist, past registers and coming sessions', async () => {
      const cohorts = await CohortModel.find().lean();
      expect(cohorts.length).to.be.at.least(3);
      const full = cohorts.find((c) => c.name.startsWith('Aspiring Leaders'))!;
      expect(await EnrolmentModel.countDocuments({ cohortId: full._id, status: 'active' })).to.equal(full.capacity);
      expect(await EnrolmentModel.countDocuments({ cohortId: full._id, status: 'waitlisted' })).to.be.greaterThan(0);
      const now = new Date();
      expect(await CohortSessionModel.countDocuments({ cohortId: full._id, startsAt: { $lt: now } })).to.be.at.least(5);
      expect(await CohortSessionModel.countDocuments({ cohortId: full._id, startsAt: { $gt: now } })).to.be.at.least(5);
      expect(await AttendanceRecordModel.countDocuments({ cohortId: full._id })).to.equal(5 * full.capacity);
      const report = await cohortAttendanceReport({ cohortId: String(full._id), now });
      expect(report.flagged.length).to.be.at.least(1);
    });

    it('every demo session and module due date lies within its cohort’s dates, so each cohort’s settings can be saved as they are', async () => {
      for (const cohort of await CohortModel.find().lean<Cohort[]>()) {
        expect(await sessionsOutsideDates({ cohortId: cohort._id, ...cohort }), cohort.name).to.deep.equal([]);
        expect(await dueDatesOutsideDates({ cohort, ...cohort }), cohort.name).to.deep.equal([]);
      }
    });

    it('the demo participant (Toronto) sees her sessions in her zone, and the facilitator sees her cohorts and flagged people', async () => {
      const app = testApp();
      const participant = await signIn(app, 'participant@pathways.test', demoPassword);
      const home = await participant.get('/').expect(200);
      expect(home.text).to.include('Your next sessions').and.to.include('(America/Toronto)');
      const facilitator = await signIn(app, 'facilitator@pathways.test', demoPassword);
      const dash = await facilitator.get('/').expect(200);
      expect(dash.text)
        .to.include('Your cohorts')
        .and.to.include('Flagged for attendance')
        .and.to.include('Missed the last two sessions');
      const full = await CohortModel.findOne({ name: /^Aspiring Leaders/ }).lean();
      const report = await facilitator.get(`/cohorts/${String(full!._id)}/attendance`).expect(200);
      expect(report.text).to.include('<svg').and.to.include('Attendance across sessions');
    });

    it('the aspiring leaders’ cohort has module due dates within its dates: the participant reads them, and nudges are planned or sent', async () => {
      const full = (await CohortModel.findOne({ name: /^Aspiring Leaders/ }).lean())!;
      expect(full.moduleDueDates.length).to.be.at.least(3);
      for (const due of full.moduleDueDates)
        expect(due.dueOn! >= full.startsOn && due.dueOn! <= full.endsOn, due.dueOn!).to.equal(true);
      const participant = await signIn(testApp(), 'participant@pathways.test', demoPassword);
      const page = await participant.get(`/cohorts/${String(full._id)}`).expect(200);
      expect(page.text).to.include('Module due dates').and.to.include('Your time (America/Toronto)');
      expect(
        await NotificationModel.countDocuments({
          kind: { $in: ['module-due', 'module-overdue'] },
          'data.cohortId': String(full._id),
        }),
      ).to.be.greaterThan(0);
    });

    it('the demo participant with an excused and an unmarked session reads a rate whose numbers agree on her cohort page', async () => {
      const app = testApp();
      const participant = await signIn(app, 'participant4@pathways.test', demoPassword);
      const full = await CohortModel.findOne({ name: /^Aspiring Leaders/ }).lean();
      const page = await participant.get(`/cohorts/${String(full!._id)}`).expect(200);
      expect(page.text.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')).to.include(
        'You attended 2 of 4 marked sessions (50%); 1 excused and 1 not yet marked left out of the rate.',
      );
    });

    it('no demo module completion or certificate is dated after the moment the demo was loaded', async () => {
      const now = new Date();
      expect(await CompletionModel.countDocuments({ completedAt: { $gt: now } })).to.equal(0);
      expect(await CertificateModel.countDocuments({ issuedAt: { $gt: now } })).to.equal(0);
      expect(await CertificateModel.countDocuments()).to.be.at.least(1);
    });

    it('a demo new head whose name has Vietnamese letters finished her programme, and her certificate PDF prints her name as spelt', async () => {
      const agent = await signIn(testApp(), 'participant14@pathways.test', demoPassword);
      const list = await agent.get('/certificates').expect(200);
      const href = /href="(\/certificates\/[0-9a-f]{24}\/download)"/.exec(list.text)?.[1];
      expect(href, 'a certificate to download').to.be.a('string');
      const pdf = await agent.get(href!).buffer(true).parse(binaryBody).expect(200);
      expect((await pdfText(pdf.body as Buffer)).split('\n')).to.include('Nguyễn Thu Hà');
    });
  });
}
