import { expect } from 'chai';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { UserModel } from '../../models/User.ts';
import { demoPassword } from '../../server/demo/people.ts';
import { signIn, testApp } from '../support/app.ts';

export function ltiDemo(): void {
  describe('LTI: demo data', () => {
    it("the admin page lists Moodle (demo) and Pathways' values; the cohort's LMS page lists its Moodle course and who left it", async function () {
      this.timeout(60_000);
      const app = testApp();
      const admin = await signIn(app, 'admin@pathways.test', demoPassword);
      const page = await admin.get('/admin/lti').expect(200);
      expect(page.text).to.include('Moodle (demo)').and.to.include('http://pathways.test/lti/login');
      expect(page.text).to.include('http://pathways.test/lti/jwks').and.to.include('http://pathways.test/lti/launch');
      const participant = await UserModel.findOne({ email: 'participant@pathways.test' }).lean();
      const enrolment = await EnrolmentModel.findOne({ userId: participant!._id, status: 'active' }).lean();
      const lms = await admin.get(`/cohorts/${enrolment!.cohortId}/lms`).expect(200);
      expect(lms.text).to.include('No longer on the class list').and.to.include('Rosa Departed');
      expect(lms.text).to.include('Courses it is placed in').and.to.include('Aspiring Heads 2027 (Moodle course)');
    });
  });
}
