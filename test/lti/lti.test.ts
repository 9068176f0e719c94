import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { AuditEventModel } from '../../models/AuditEvent.ts';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { LtiAccountModel } from '../../models/LtiAccount.ts';
import { LtiCoursePlacementModel } from '../../models/LtiCoursePlacement.ts';
import { LtiLaunchModel } from '../../models/LtiLaunch.ts';
import { LtiLoginStateModel } from '../../models/LtiLoginState.ts';
import { LtiPlatformModel } from '../../models/LtiPlatform.ts';
import { LtiScoreModel } from '../../models/LtiScore.ts';
import { RateLimitHitModel } from '../../models/RateLimitHit.ts';
import { UserModel } from '../../models/User.ts';
import { BoardModel } from '../../models/Board.ts';
import { configureMailer } from '../../server/mailer.ts';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { PledgeProgressUpdateModel } from '../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { workAfterAnswersDone } from '../../server/http/afterAnswering.ts';
import { findOrInvitePanelMember, setBoardMemberByEmail } from '../../server/services/boards/index.ts';
import { linkSignatureToBoard } from '../../server/services/pledge/index.ts';
import { buildBoard } from '../support/boardsFactories.ts';
import { buildCommitmentOption, buildSignature } from '../support/pledgeFactories.ts';
import {
  markLmsAssertedAddresses,
  placeCohortsInCourse,
  purgeExpiredLaunchRecords,
  rotateToolKey,
  sendDueScores,
  toolJwks,
} from '../../server/services/lti/index.ts';
import { loginAllowance } from '../../server/services/lti/launch.ts';
import { scope } from '../../server/services/lti/claims.ts';
import { serviceToken } from '../../server/services/lti/serviceToken.ts';
import { ltiPersonalData } from '../../server/services/lti/personalData.ts';
import { enrolParticipant, withdrawParticipant } from '../../server/services/cohorts/enrolment.ts';
import { joinCohortFromLms } from '../../server/services/lti/people.ts';
import { updateCohort } from '../../server/services/cohorts/settings.ts';
import { completeModule } from '../../server/services/learning/completion.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { currentUserOf } from '../../server/services/users.ts';
import { LtiToolKeysModel } from '../../models/LtiToolKeys.ts';
import { createApp } from '../../server/app.ts';
import { applySettings } from '../../server/settings.ts';
import { csrfFrom, signIn, testConfig } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { buildCohort, buildModule, buildProgramme, enrol } from '../support/learningFactories.ts';
import { listeningTool, SimulatedPlatform } from '../support/ltiPlatform.ts';

type Agent = ReturnType<typeof supertest.agent>;
const learnerRole = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'];
const instructorRole = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'];
const custom = 'https://purl.imsglobal.org/spec/lti/claim/custom';
const rolesClaim = 'https://purl.imsglobal.org/spec/lti/claim/roles';

describe('LTI 1.3: Pathways as a tool of a simulated platform', function () {
  this.timeout(60_000);
  useTestDatabase();
  let tool: Awaited<ReturnType<typeof listeningTool>>;
  const platform = new SimulatedPlatform();
  let adminAuth: { Authorization: string };
  let programme: { id: string };
  let modules: { id: string }[];
  let cohort: { id: string };
  let subCounter = 0;
  const nextSub = () => `sub-${Date.now()}-${(subCounter += 1)}`;

  before(async () => {
    tool = await listeningTool();
    await platform.start(tool.base);
    const admin = await buildUser({ roles: ['admin'] });
    adminAuth = { Authorization: `Bearer ${await tokenFor(admin)}` };
    await supertest(tool.server).post('/api/v1/lti/platforms').set(adminAuth).send(platform.registration).expect(201);
    programme = await buildProgramme();
    modules = [await buildModule(programme.id), await buildModule(programme.id)];
    cohort = await placedInCourse(await buildCohort(programme.id));
  });
  after(async () => {
    await platform.stop();
    await tool.stop();
  });

  /** Places the cohort in the simulated platform's course, as picking it in that course's deep-linking picker does. */
  async function placedInCourse<C extends { id: string }>(c: C, contextId = 'course-1'): Promise<C> {
    const registered = (await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!;
    const placer = await buildUser({ roles: ['facilitator'] });
    await placeCohortsInCourse({
      course: { platformId: registered._id, deploymentId: platform.deploymentId, contextId },
      cohortIds: [c.id],
      placedBy: placer.id,
    });
    return c;
  }

  async function startLogin(agent: Agent) {
    const res = await agent
      .get('/lti/login')
      .query({
        iss: platform.issuer,
        login_hint: 'hint-1',
        target_link_uri: `${tool.base}/lti/launch`,
        client_id: platform.clientId,
        lti_deployment_id: platform.deploymentId,
        lti_message_hint: 'msg-1',
      })
      .expect(302);
    const location = new URL(res.headers.location as string);
    return { location, state: location.searchParams.get('state')!, nonce: location.searchParams.get('nonce')! };
  }

  async function launch(
    agent: Agent,
    options: Parameters<SimulatedPlatform['idToken']>[0] extends infer O ? Omit<O & object, 'nonce'> : never = {},
  ) {
    const { state, nonce } = await startLogin(agent);
    const idToken = await platform.idToken({ nonce, ...options });
    const res = await agent.post('/lti/launch').type('form').send({ id_token: idToken, state });
    return { res, idToken, state };
  }

  const sessionCookieOf = (res: supertest.Response) =>
    ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pathways.sid='));

  describe('keys', () => {
    it('publishes one RS256 key with a kid at /lti/jwks, the same one to processes asking at once', async () => {
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => toolJwks()));
      const res = await supertest(tool.server).get('/lti/jwks').expect(200);
      expect(res.body.keys).to.have.length(1);
      expect(res.body.keys[0]).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(res.body.keys[0]).to.not.have.property('d');
      for (const a of answers) expect(a.keys[0]!.kid).to.equal(res.body.keys[0].kid);
      expect(await LtiToolKeysModel.countDocuments()).to.equal(1);
    });
  });

  describe('login', () => {
    it('redirects to the platform with state, nonce and the OIDC parameters, and binds the state to the browser', async () => {
      const agent = supertest.agent(tool.server);
      const res = await agent
        .post('/lti/login')
        .type('form')
        .send({ iss: platform.issuer, login_hint: 'h', client_id: platform.clientId, lti_message_hint: 'm' })
        .expect(302);
      const url = new URL(res.headers.location as string);
      expect(`${url.origin}${url.pathname}`).to.equal(`${platform.base}/auth`);
      const p = Object.fromEntries(url.searchParams);
      expect(p).to.include({
        response_type: 'id_token',
        response_mode: 'form_post',
        scope: 'openid',
        prompt: 'none',
        client_id: platform.clientId,
        redirect_uri: `${tool.base}/lti/launch`,
        login_hint: 'h',
        lti_message_hint: 'm',
      });
      expect(p.state).to.have.length.above(20);
      expect(p.nonce).to.have.length.above(20);
      expect(String(res.headers['set-cookie'])).to.include(`lti_state_${p.state}=${p.state}`);
    });

    it('in production the state cookie is SameSite=None; Secure, so it comes back with the cross-site form post', async () => {
      const production = createApp(
        testConfig({
          NODE_ENV: 'production',
          BASE_URL: tool.base,
          SESSION_SECRET: 'x'.repeat(40),
          SMTP_URL: 'smtp://127.0.0.1:1',
        }),
      );
      let cookie: string;
      try {
        const res = await supertest(production)
          .get('/lti/login')
          .query({ iss: platform.issuer, login_hint: 'h', client_id: platform.clientId })
          .expect(302);
        cookie = String(res.headers['set-cookie']);
      } finally {
        // createApp applies its settings and mailer process-wide: give them back to the test app.
        const own = testConfig({ BASE_URL: tool.base });
        applySettings(own);
        configureMailer({ smtpUrl: own.smtpUrl, from: own.mailFrom });
      }
      expect(cookie).to.match(
        /^lti_state_([^=;]+)=\1; Max-Age=600; Path=\/lti; Expires=[^;]+; HttpOnly; Secure; SameSite=None$/,
      );
    });

    it('when the issuer is not registered, it answers 404 naming the platform check', async () => {
      const res = await supertest(tool.server)
        .get('/lti/login')
        .query({ iss: 'https://other.example', login_hint: 'h' });
      expect(res.status).to.equal(404);
      expect(res.text).to.include('not registered');
      // What the LMS sent, so its administrator can compare it with the registration (a trailing slash, a typo).
      expect(res.text).to.include('https://other.example');
      const wrongClient = await supertest(tool.server)
        .get('/lti/login')
        .query({ iss: platform.issuer, login_hint: 'h', client_id: 'client-typo' });
      expect(wrongClient.status).to.equal(404);
      expect(wrongClient.text).to.include('client-typo');
    });

    it('a deployment the registration does not list, or an aud not ours, is named on the refusal, for the administrators to compare', async () => {
      const res = await supertest(tool.server).get('/lti/login').query({
        iss: platform.issuer,
        login_hint: 'h',
        client_id: platform.clientId,
        lti_deployment_id: '42:abcdef',
      });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('42:abcdef');
      const { res: launched } = await launch(supertest.agent(tool.server), {
        claims: { 'https://purl.imsglobal.org/spec/lti/claim/deployment_id': '43:fedcba' },
      });
      expect(launched.status).to.equal(403);
      expect(launched.text).to.include('43:fedcba');
      const { res: otherTool } = await launch(supertest.agent(tool.server), { aud: 'client-of-another-tool' });
      expect(otherTool.status).to.equal(401);
      expect(otherTool.text).to.include('client-of-another-tool');
    });
  });

  describe('launch', () => {
    it('a valid learner launch signs her in (new session), enrols her in the custom cohort and lands on its programme', async () => {
      const agent = supertest.agent(tool.server);
      const sub = nextSub();
      const { res } = await launch(agent, { sub, claims: { [custom]: { cohort: cohort.id } } });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/programmes/${programme.id}`);
      expect(sessionCookieOf(res)).to.be.a('string');
      const link = await LtiAccountModel.findOne({ sub }).lean();
      expect(link).to.not.equal(null);
      expect(
        await EnrolmentModel.countDocuments({ cohortId: cohort.id, userId: link!.userId, status: 'active' }),
      ).to.equal(1);
      const me = await agent.get('/api/v1/me').expect(200);
      expect(me.body.id).to.equal(String(link!.userId));
      // Her pages may be framed by this platform only.
      const page = await agent.get(`/programmes/${programme.id}`).expect(200);
      expect(page.headers['content-security-policy']).to.include(`frame-ancestors 'self' ${platform.base}`);
      expect(page.headers['x-frame-options']).to.equal(undefined);
      const elsewhere = await supertest(tool.server).get('/login').expect(200);
      expect(elsewhere.headers['content-security-policy']).to.include("frame-ancestors 'none'");
      // The same person again: the same account, one link.
      await launch(supertest.agent(tool.server), { sub, claims: { [custom]: { cohort: cohort.id } } });
      expect(await LtiAccountModel.countDocuments({ sub })).to.equal(1);
    });

    it("inside a Canvas course (issuer canvas.instructure.com, pages on the school's own domain) her pages may be framed by that domain", async () => {
      const agent = supertest.agent(tool.server);
      const school = 'https://school.instructure.example';
      const { res } = await launch(agent, {
        sub: nextSub(),
        claims: {
          [custom]: { cohort: cohort.id },
          'https://purl.imsglobal.org/spec/lti/claim/launch_presentation': {
            document_target: 'iframe',
            return_url: `${school}/courses/1/external_content/success/external_tool_redirect`,
          },
        },
      });
      expect(res.status).to.equal(303);
      expect(res.headers['content-security-policy']).to.match(
        /frame-ancestors [^;]*https:\/\/school\.instructure\.example/,
      );
      const page = await agent.get(res.headers.location as string).expect(200);
      expect(page.headers['content-security-policy']).to.match(
        /frame-ancestors 'self'[^;]* https:\/\/school\.instructure\.example/,
      );
    });

    it('first launches of one new person at once (two processes) make one link and one account, and all sign her in', async () => {
      const sub = nextSub();
      const email = `first-${Date.now()}@example.org`;
      const agents = [1, 2, 3, 4].map(() => supertest.agent(tool.server));
      const answers = await Promise.all(agents.map((agent) => launch(agent, { sub, claims: { email } })));
      for (const { res } of answers) expect(res.status).to.equal(303);
      const links = await LtiAccountModel.find({ sub }).lean();
      expect(links).to.have.length(1);
      expect(await UserModel.countDocuments({ email })).to.equal(1);
      expect((await UserModel.findOne({ email }).lean())!._id.toString()).to.equal(String(links[0]!.userId));
      for (const agent of agents)
        expect((await agent.get('/api/v1/me').expect(200)).body.id).to.equal(String(links[0]!.userId));
    });

    it('a launch that died after writing her link but before her account: the next launch creates that account', async () => {
      const sub = nextSub();
      const email = `orphan-${Date.now()}@example.org`;
      const userId = new Types.ObjectId();
      const registered = (await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!;
      await LtiAccountModel.create({ platformId: registered._id, issuer: platform.issuer, sub, userId });
      const agent = supertest.agent(tool.server);
      const { res } = await launch(agent, { sub, claims: { email, name: 'Orla Orphan' } });
      expect(res.status).to.equal(303);
      expect((await agent.get('/api/v1/me').expect(200)).body).to.include({ id: String(userId), email });
      expect(await LtiAccountModel.countDocuments({ sub })).to.equal(1);
    });

    it('her name from the LMS is stored composed (NFC), without control characters or non-text (U+FFFE), or from given and family names', async () => {
      const nameAfter = async (claims: Record<string, unknown>) => {
        const agent = supertest.agent(tool.server);
        expect((await launch(agent, { sub: nextSub(), claims })).res.status).to.equal(303);
        return (await agent.get('/api/v1/me').expect(200)).body.name as string;
      };
      expect(await nameAfter({ name: 'Nguyễn Thị Mai'.normalize('NFD') })).to.equal('Nguyễn Thị Mai'.normalize('NFC'));
      expect(await nameAfter({ name: 'زينب\u0000 الهاشمي\n' })).to.equal('زينب الهاشمي');
      // A name she could not save herself would stop her, or an admin, saving her account unless it is renamed.
      expect(await nameAfter({ name: 'Ada\uFFFE Obi\uFFFF' })).to.equal('Ada Obi');
      expect(await nameAfter({ name: undefined, given_name: 'Siobhán', family_name: 'Ní Bhriain' })).to.equal(
        'Siobhán Ní Bhriain',
      );
      expect(await nameAfter({ name: ' ', given_name: '王秀英' })).to.equal('王秀英');
    });

    it('a custom module lands on that module; an instructor becomes a facilitator of the cohort', async () => {
      const sub = nextSub();
      const { res } = await launch(supertest.agent(tool.server), {
        sub,
        claims: { [rolesClaim]: instructorRole, [custom]: { cohort: cohort.id, module: modules[1]!.id } },
      });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/modules/${modules[1]!.id}`);
      const link = await LtiAccountModel.findOne({ sub }).lean();
      const c = await CohortModel.findById(cohort.id).lean();
      expect(c!.facilitatorIds.map(String)).to.include(String(link!.userId));
      expect(await EnrolmentModel.countDocuments({ cohortId: cohort.id, userId: link!.userId })).to.equal(0);
    });

    it('an LMS teacher is a facilitator of the cohort placed in her course only: launched where none is placed she is a participant, who cannot list people; every launch is audited', async () => {
      const agent = supertest.agent(tool.server);
      const sub = nextSub();
      // A course where no cohort is placed.
      const unplaced = {
        'https://purl.imsglobal.org/spec/lti/claim/context': { id: 'course-unplaced', title: 'Other' },
      };
      const { res } = await launch(agent, { sub, claims: { [rolesClaim]: instructorRole, ...unplaced } });
      expect(res.status).to.equal(303);
      const link = (await LtiAccountModel.findOne({ sub }).lean())!;
      expect((await UserModel.findById(link.userId).lean())!.roles).to.deep.equal(['participant']);
      await agent.get('/api/v1/users?q=pathways&limit=200').expect(403);
      const events = await AuditEventModel.find({ targetId: String(link.userId) })
        .sort({ at: 1 })
        .lean();
      expect(events.map((e) => e.action)).to.deep.equal(['user-created', 'sign-in']);
      expect(events[1]!.detail).to.match(/^a launch from /);
      // Her LMS name leaves the trail when she is erased, even after she changed it.
      const lmsName = (await UserModel.findById(link.userId).lean())!.name;
      expect(events[0]!.detail).to.equal(`${lmsName} (participant, from an LMS launch)`);
      await UserModel.updateOne({ _id: link.userId }, { $set: { name: 'Renamed Since' } });
      const admin = await buildUser({ roles: ['admin'] });
      await eraseAccount({
        actor: { id: admin.id, name: admin.name },
        userId: String(link.userId),
        bySelf: false,
      });
      const after = await AuditEventModel.find({ targetId: String(link.userId) }).lean();
      expect(after.map((e) => e.detail).join('\n')).not.to.include(lmsName);
    });

    it('a teacher whose facilitator role an admin took away does not get it back from her next launch into the cohort she was named on', async () => {
      const c = await placedInCourse(await buildCohort(programme.id));
      const sub = nextSub();
      await launch(supertest.agent(tool.server), {
        sub,
        claims: { [rolesClaim]: instructorRole, [custom]: { cohort: c.id } },
      });
      const link = (await LtiAccountModel.findOne({ sub }).lean())!;
      expect((await UserModel.findById(link.userId).lean())!.roles).to.have.members(['participant', 'facilitator']);
      const granted = await AuditEventModel.findOne({ targetId: String(link.userId), action: 'user-updated' }).lean();
      expect(granted!.detail).to.include('roles: + facilitator');
      await UserModel.updateOne({ _id: link.userId }, { $set: { roles: ['participant'] } });
      await launch(supertest.agent(tool.server), {
        sub,
        claims: { [rolesClaim]: instructorRole, [custom]: { cohort: c.id } },
      });
      expect((await UserModel.findById(link.userId).lean())!.roles).to.deep.equal(['participant']);
    });

    it("a course's teaching assistant (Canvas' Instructor#TeachingAssistant, LIS TeachingAssistant) runs the cohort as a facilitator: its attendance and class list, not the LTI registration", async () => {
      const lis = 'http://purl.imsglobal.org/vocab/lis/v2/membership';
      const c = await placedInCourse(await buildCohort(programme.id));
      for (const roles of [
        [`${lis}/Instructor#TeachingAssistant`],
        [`${lis}#TeachingAssistant`],
        ['TeachingAssistant'],
        // A student who is also a TA of the course helps run it: she takes no seat.
        [`${lis}/Instructor#TeachingAssistant`, ...learnerRole],
      ]) {
        const agent = supertest.agent(tool.server);
        const sub = nextSub();
        const { res } = await launch(agent, { sub, claims: { [rolesClaim]: roles, [custom]: { cohort: c.id } } });
        expect(res.status, roles.join()).to.equal(303);
        const link = (await LtiAccountModel.findOne({ sub }).lean())!;
        expect((await CohortModel.findById(c.id).lean())!.facilitatorIds.map(String), roles.join()).to.include(
          String(link.userId),
        );
        expect(await EnrolmentModel.countDocuments({ cohortId: c.id, userId: link.userId })).to.equal(0);
        expect((await UserModel.findById(link.userId).lean())!.roles).to.have.members(['participant', 'facilitator']);
        await agent.get(`/cohorts/${c.id}/attendance`).expect(200);
        await agent.get(`/cohorts/${c.id}/lms`).expect(200);
        await agent.get('/admin/lti').expect(403);
      }
    });

    it('an administrator of the institution with no role in the course is told which course role she needs, and takes no account or session; with a course role she is what that role makes her', async () => {
      const admin = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator';
      const c = await placedInCourse(await buildCohort(programme.id));
      const sub = nextSub();
      const { res } = await launch(supertest.agent(tool.server), {
        sub,
        claims: {
          [rolesClaim]: [admin, 'http://purl.imsglobal.org/vocab/lis/v2/system/person#User'],
          [custom]: { cohort: c.id },
        },
      });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('teacher or teaching assistant');
      expect(res.text).to.include('roles');
      expect(sessionCookieOf(res)).to.equal(undefined);
      expect(await LtiAccountModel.countDocuments({ sub })).to.equal(0);
      const { res: asTeacher } = await launch(supertest.agent(tool.server), {
        sub,
        claims: { [rolesClaim]: [admin, ...instructorRole], [custom]: { cohort: c.id } },
      });
      expect(asTeacher.status).to.equal(303);
      const link = (await LtiAccountModel.findOne({ sub }).lean())!;
      expect((await CohortModel.findById(c.id).lean())!.facilitatorIds.map(String)).to.include(String(link.userId));
    });

    it('a researcher account launched as Instructor or Learner is made neither facilitator nor participant (its role stands alone)', async () => {
      const registered = (await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!;
      const researcher = await buildUser({ roles: ['researcher'] });
      const sub = nextSub();
      await LtiAccountModel.create({ platformId: registered._id, issuer: platform.issuer, sub, userId: researcher.id });
      for (const roles of [instructorRole, learnerRole]) {
        const { res } = await launch(supertest.agent(tool.server), {
          sub,
          claims: { [rolesClaim]: roles, [custom]: { cohort: cohort.id } },
        });
        expect(res.status).to.equal(303);
      }
      expect((await UserModel.findById(researcher.id).lean())!.roles).to.deep.equal(['researcher']);
      expect((await CohortModel.findById(cohort.id).lean())!.facilitatorIds.map(String)).to.not.include(researcher.id);
      expect(await EnrolmentModel.countDocuments({ cohortId: cohort.id, userId: researcher.id })).to.equal(0);
    });

    it("a platform's test student (Canvas Student View: Learner and TestUser) previews the programme but takes no place in the cohort", async () => {
      const sub = nextSub();
      const { res } = await launch(supertest.agent(tool.server), {
        sub,
        claims: {
          [rolesClaim]: [...learnerRole, 'http://purl.imsglobal.org/vocab/lti/system/person#TestUser'],
          [custom]: { cohort: cohort.id },
        },
      });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/programmes/${programme.id}`);
      const link = (await LtiAccountModel.findOne({ sub }).lean())!;
      expect(await EnrolmentModel.countDocuments({ cohortId: cohort.id, userId: link.userId })).to.equal(0);
    });

    it('a cohort named from a course it was not placed in: the instructor does not run it and the learner is not enrolled', async () => {
      const contextClaim = 'https://purl.imsglobal.org/spec/lti/claim/context';
      const target = await buildCohort(programme.id);
      const elsewhere = {
        [contextClaim]: { id: 'course-2', title: 'Another course' },
        [custom]: { cohort: target.id },
      };
      const instructorSub = nextSub();
      const learnerSub = nextSub();
      const asInstructor = await launch(supertest.agent(tool.server), {
        sub: instructorSub,
        claims: { [rolesClaim]: instructorRole, ...elsewhere },
      });
      const asLearner = await launch(supertest.agent(tool.server), { sub: learnerSub, claims: elsewhere });
      // Both are signed in and land on their dashboard; nothing is granted in the cohort.
      expect(asInstructor.res.status).to.equal(303);
      expect(asLearner.res.status).to.equal(303);
      expect(asLearner.res.headers.location).to.equal('/');
      const instructor = (await LtiAccountModel.findOne({ sub: instructorSub }).lean())!;
      const learner = (await LtiAccountModel.findOne({ sub: learnerSub }).lean())!;
      expect((await CohortModel.findById(target.id).lean())!.facilitatorIds.map(String)).to.not.include(
        String(instructor.userId),
      );
      expect(await EnrolmentModel.countDocuments({ cohortId: target.id })).to.equal(0);

      // Placed in course-2 (by someone who runs it, through the picker), the same launches are honoured.
      await placedInCourse(target, 'course-2');
      await launch(supertest.agent(tool.server), {
        sub: instructorSub,
        claims: { [rolesClaim]: instructorRole, ...elsewhere },
      });
      await launch(supertest.agent(tool.server), { sub: learnerSub, claims: elsewhere });
      expect((await CohortModel.findById(target.id).lean())!.facilitatorIds.map(String)).to.include(
        String(instructor.userId),
      );
      expect(await EnrolmentModel.countDocuments({ cohortId: target.id, userId: learner.userId })).to.equal(1);
    });

    it('a launch naming no cohort joins the one cohort placed in its course; with several placed there it joins none and says why', async () => {
      const contextClaim = 'https://purl.imsglobal.org/spec/lti/claim/context';
      const solo = await placedInCourse(await buildCohort(programme.id), 'course-solo');
      const inSolo = { [contextClaim]: { id: 'course-solo', title: 'Solo' } };
      const learnerSub = nextSub();
      const asLearner = await launch(supertest.agent(tool.server), { sub: learnerSub, claims: inSolo });
      expect(asLearner.res.status).to.equal(303);
      expect(asLearner.res.headers.location).to.equal(`/programmes/${programme.id}`);
      const learner = (await LtiAccountModel.findOne({ sub: learnerSub }).lean())!;
      expect(
        await EnrolmentModel.countDocuments({ cohortId: solo.id, userId: learner.userId, status: 'active' }),
      ).to.equal(1);
      const instructorSub = nextSub();
      await launch(supertest.agent(tool.server), {
        sub: instructorSub,
        claims: { ...inSolo, [rolesClaim]: instructorRole },
      });
      const instructor = (await LtiAccountModel.findOne({ sub: instructorSub }).lean())!;
      expect((await CohortModel.findById(solo.id).lean())!.facilitatorIds.map(String)).to.include(
        String(instructor.userId),
      );
      // An institution's administrator with no role in the course launches into that cohort too: refused, as named.
      const byAdmin = await launch(supertest.agent(tool.server), {
        sub: nextSub(),
        claims: {
          ...inSolo,
          [rolesClaim]: ['http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator'],
        },
      });
      expect(byAdmin.res.status).to.equal(403);
      expect(byAdmin.res.text).to.include('<code>roles</code>');
      // A module link (deep linking gives it the module's programme) of another programme joins nothing.
      const other = await buildProgramme();
      const otherModule = await buildModule(other.id);
      const moduleSub = nextSub();
      const viaModule = await launch(supertest.agent(tool.server), {
        sub: moduleSub,
        claims: { ...inSolo, [custom]: { module: otherModule.id, programme: other.id } },
      });
      expect(viaModule.res.headers.location).to.equal(`/modules/${otherModule.id}`);
      const moduleLearner = (await LtiAccountModel.findOne({ sub: moduleSub }).lean())!;
      expect(await EnrolmentModel.countDocuments({ userId: moduleLearner.userId })).to.equal(0);
      // Typed by hand, the module alone: its programme is still the module's.
      const handSub = nextSub();
      await launch(supertest.agent(tool.server), {
        sub: handSub,
        claims: { ...inSolo, [custom]: { module: otherModule.id } },
      });
      const handLearner = (await LtiAccountModel.findOne({ sub: handSub }).lean())!;
      expect(await EnrolmentModel.countDocuments({ userId: handLearner.userId })).to.equal(0);

      // Two cohorts in one course: which is hers cannot be told.
      const first = await placedInCourse(await buildCohort(programme.id), 'course-two');
      const second = await placedInCourse(await buildCohort(programme.id), 'course-two');
      const agent = supertest.agent(tool.server);
      const twoSub = nextSub();
      const { res } = await launch(agent, { sub: twoSub, claims: { [contextClaim]: { id: 'course-two' } } });
      expect(res.status).to.equal(303);
      const twoLearner = (await LtiAccountModel.findOne({ sub: twoSub }).lean())!;
      expect(
        await EnrolmentModel.countDocuments({ cohortId: { $in: [first.id, second.id] }, userId: twoLearner.userId }),
      ).to.equal(0);
      const landing = await agent.get(res.headers.location as string).expect(200);
      expect(landing.text).to.include('several Pathways cohorts');
    });

    type Case = [string, number, string, (agent: Agent) => Promise<supertest.Response>];
    const refusals: Case[] = [
      [
        'a forged signature',
        401,
        'signature',
        async (agent) => {
          const { state, nonce } = await startLogin(agent);
          // Signed by another key under the platform's kid.
          const forged = await platform.idToken({ nonce, key: { ...platform.unpublishedKey, kid: platform.key.kid } });
          return agent.post('/lti/launch').type('form').send({ id_token: forged, state });
        },
      ],
      ['an unknown kid', 401, 'kid', async (agent) => (await launch(agent, { key: platform.unpublishedKey })).res],
      ['a wrong aud', 401, 'aud', async (agent) => (await launch(agent, { aud: 'someone-else' })).res],
      [
        'an aud array whose azp is another client',
        401,
        'azp',
        async (agent) => (await launch(agent, { aud: [platform.clientId, 'x'], claims: { azp: 'x' } })).res,
      ],
      [
        'an unknown deployment',
        403,
        'deployment_id',
        async (agent) =>
          (await launch(agent, { claims: { 'https://purl.imsglobal.org/spec/lti/claim/deployment_id': 'other' } })).res,
      ],
      [
        'an expired token',
        401,
        'exp',
        async (agent) => (await launch(agent, { issuedAt: Math.floor(Date.now() / 1000) - 900, expiresIn: 300 })).res,
      ],
      [
        'a wrong message type',
        400,
        'message_type',
        async (agent) =>
          (
            await launch(agent, {
              claims: { 'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiStartProctoring' },
            })
          ).res,
      ],
      [
        'a wrong version',
        400,
        'version',
        async (agent) =>
          (await launch(agent, { claims: { 'https://purl.imsglobal.org/spec/lti/claim/version': '1.1' } })).res,
      ],
      [
        'a replayed nonce',
        401,
        'nonce',
        async (agent) => {
          const first = await launch(supertest.agent(tool.server), { sub: 'replayed' });
          expect(first.res.status).to.equal(303);
          const { state } = await startLogin(agent);
          return agent.post('/lti/launch').type('form').send({ id_token: first.idToken, state });
        },
      ],
      [
        'a missing state',
        400,
        'state',
        async (agent) => {
          const { nonce } = await startLogin(agent);
          return agent
            .post('/lti/launch')
            .type('form')
            .send({ id_token: await platform.idToken({ nonce }) });
        },
      ],
      [
        'a state issued to another browser',
        403,
        'state',
        async (agent) => {
          // This browser keeps cookies (it holds the state of its own login), but posts another browser's state.
          await startLogin(agent);
          const { state, nonce } = await startLogin(supertest.agent(tool.server));
          return agent
            .post('/lti/launch')
            .type('form')
            .send({ id_token: await platform.idToken({ nonce }), state });
        },
      ],
      [
        'a target_link_uri other than the one its login named',
        400,
        'target_link_uri',
        async (agent) =>
          (
            await launch(agent, {
              claims: { 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri': `${tool.base}/lti/launch?x=1` },
            })
          ).res,
      ],
      [
        'no target_link_uri though its login named one',
        400,
        'target_link_uri',
        async (agent) =>
          (await launch(agent, { claims: { 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri': undefined } }))
            .res,
      ],
      [
        'a state used already',
        403,
        'state',
        async (agent) => {
          // A refused launch uses its state up too.
          const { state, nonce } = await startLogin(agent);
          const wrong = await platform.idToken({ nonce, aud: 'someone-else' });
          expect((await agent.post('/lti/launch').type('form').send({ id_token: wrong, state })).status).to.equal(401);
          return agent
            .post('/lti/launch')
            .type('form')
            .send({ id_token: await platform.idToken({ nonce }), state });
        },
      ],
    ];
    for (const [name, status, check, attempt] of refusals) {
      it(`with ${name}, it answers ${status} naming the "${check}" check, with no session and no account`, async () => {
        const agent = supertest.agent(tool.server);
        const accountsBefore = await LtiAccountModel.countDocuments();
        const res = await attempt(agent);
        expect(res.status).to.equal(status);
        expect(res.text).to.include('This launch from your course was refused');
        expect(res.text).to.include(`<code>${check}</code>`);
        expect(res.text).to.not.match(/at .*\.ts:\d+/);
        expect(sessionCookieOf(res)).to.equal(undefined);
        await agent.get('/api/v1/me').expect(401);
        const replayCase = name.includes('replayed');
        expect(await LtiAccountModel.countDocuments()).to.equal(accountsBefore + (replayCase ? 1 : 0));
      });
    }

    it('a browser that blocked the state cookie (inside the LMS frame) is told why and offered a new window that starts the login again', async () => {
      // The login's cookie was never stored: the form post comes back with no cookie at all.
      const { state, nonce } = await startLogin(supertest.agent(tool.server));
      // Posted by the platform's page on the course's domain (on Canvas the school's, not the issuer's).
      const school = 'https://school.instructure.example';
      const res = await supertest(tool.server)
        .post('/lti/launch')
        .set('Origin', school)
        .type('form')
        .send({ id_token: await platform.idToken({ nonce, sub: nextSub() }), state });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('<code>cookie</code>');
      // The page shows inside the course's frame, where it is needed.
      expect(res.headers['content-security-policy']).to.match(
        /frame-ancestors 'self'[^;]* https:\/\/school\.instructure\.example/,
      );
      expect(res.text).to.include('blocked');
      const href = /<a href="([^"]+)" target="_blank"[^>]*>Open Pathways in a new window<\/a>/.exec(res.text)?.[1];
      expect(href, 'a link that opens a new window').to.be.a('string');
      const again = new URL(href!.replaceAll('&amp;', '&'));
      expect(`${again.origin}${again.pathname}`).to.equal(`${tool.base}/lti/login`);
      expect(Object.fromEntries(again.searchParams)).to.deep.equal({
        iss: platform.issuer,
        login_hint: 'hint-1',
        target_link_uri: `${tool.base}/lti/launch`,
        client_id: platform.clientId,
        lti_deployment_id: platform.deploymentId,
        lti_message_hint: 'msg-1',
      });
      // In the new window (a first-party page, where the cookie is kept) the login and launch go through.
      const window = supertest.agent(tool.server);
      const login = await window.get(`${again.pathname}${again.search}`).expect(302);
      const next = new URL(login.headers.location as string).searchParams;
      const launched = await window
        .post('/lti/launch')
        .type('form')
        .send({
          id_token: await platform.idToken({ nonce: next.get('nonce')!, sub: nextSub() }),
          state: next.get('state'),
        });
      expect(launched.status).to.equal(303);
    });

    it('a class of 30 opening Pathways at once behind one school address all get through; past the limit that address gets a 429 page and stores nothing', async () => {
      const school = '198.51.100.7';
      const login = (address: string) =>
        supertest(tool.server)
          .get('/lti/login')
          .set('X-Forwarded-For', address)
          .query({ iss: platform.issuer, login_hint: 'h', client_id: platform.clientId });
      const statuses = await Promise.all(Array.from({ length: 30 }, () => login(school).then((r) => r.status)));
      expect(statuses).to.deep.equal(Array.from({ length: 30 }, () => 302));
      // The rest of the school's allowance used up (as 570 more logins would).
      const counter = { _id: { $regex: `^lti-login:${school.replaceAll('.', '\\.')}@` } };
      expect(await RateLimitHitModel.countDocuments(counter)).to.be.at.least(1);
      await RateLimitHitModel.updateMany(counter, { $set: { hits: loginAllowance.limit } });
      const states = await LtiLoginStateModel.countDocuments();
      const refused = await login(school);
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers['retry-after'])).to.be.within(1, 600);
      expect(refused.text).to.include('too many times');
      expect(refused.headers['set-cookie']).to.equal(undefined);
      expect(await LtiLoginStateModel.countDocuments()).to.equal(states);
      // Another network is not held back by that school's.
      expect((await login('203.0.113.9')).status).to.equal(302);
    });

    it('a login carrying an oversized hint is kept small (anyone may post logins): no new window is offered for it', async () => {
      const agent = supertest.agent(tool.server);
      const res = await agent
        .post('/lti/login')
        .type('form')
        .send({ iss: platform.issuer, login_hint: 'h'.repeat(10_000), client_id: platform.clientId })
        .expect(302);
      const state = new URL(res.headers.location as string).searchParams.get('state')!;
      const row = (await LtiLoginStateModel.findById(state).lean())!;
      expect(JSON.stringify(row).length).to.be.below(1000);
    });

    it('a login whose target_link_uri is oversized is refused and stores nothing (anyone may post logins)', async () => {
      const statesBefore = await LtiLoginStateModel.countDocuments();
      const res = await supertest(tool.server)
        .post('/lti/login')
        .type('form')
        .send({
          iss: platform.issuer,
          login_hint: 'hint-1',
          client_id: platform.clientId,
          target_link_uri: `${tool.base}/lti/launch?${'t'.repeat(100_000)}`,
        });
      expect(res.status).to.equal(400);
      expect(res.text).to.include('<code>target_link_uri</code>');
      expect(await LtiLoginStateModel.countDocuments()).to.equal(statesBefore);
    });

    it("a token whose exp is absurdly far (a platform's clock unit bug) is still judged by its age, not a 500", async () => {
      const agent = supertest.agent(tool.server);
      const now = Math.floor(Date.now() / 1000);
      const { res } = await launch(agent, { sub: nextSub(), issuedAt: now, expiresIn: 1e13 });
      expect(res.status).to.equal(303);
    });

    it('claims of the wrong shape beside the required ones (a role that is not a string) are ignored, not a 500', async () => {
      const { res } = await launch(supertest.agent(tool.server), {
        sub: nextSub(),
        claims: {
          [rolesClaim]: [...learnerRole, { role: 'Mentor' }, 7],
          'https://purl.imsglobal.org/spec/lti/claim/context': { id: 'course-1', title: { en: 'Course 1' } },
          [custom]: { cohort: cohort.id },
        },
      });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/programmes/${programme.id}`);
    });

    it("when the LMS answers the login with an OIDC error instead of an id_token, the page gives the LMS's reason", async () => {
      const agent = supertest.agent(tool.server);
      const { state } = await startLogin(agent);
      const res = await agent
        .post('/lti/launch')
        .type('form')
        .send({ state, error: 'login_required', error_description: 'The user is not logged in to the platform' });
      expect(res.status).to.equal(400);
      expect(res.text).to.include('<code>platform_error</code>');
      expect(res.text).to.include('login_required');
      expect(res.text).to.include('The user is not logged in to the platform');
    });

    it('when one state is posted twice at once, exactly one launch is accepted', async () => {
      const agent = supertest.agent(tool.server);
      const { state, nonce } = await startLogin(agent);
      const idToken = await platform.idToken({ nonce, sub: nextSub() });
      const answers = await Promise.all(
        [1, 2, 3].map(() => agent.post('/lti/launch').type('form').send({ id_token: idToken, state })),
      );
      expect(answers.map((a) => a.status).sort()).to.deep.equal([303, 403, 403]);
    });

    it('after the platform rotates its key, the new kid is fetched and the launch accepted', async () => {
      await platform.rotate();
      // Our last fetch of its keys is older than the refetch cooldown (jose's guard against kid-probing floods).
      await LtiPlatformModel.updateOne(
        { clientId: platform.clientId },
        { $set: { 'jwksCache.uat': Date.now() - 60_000 } },
      );
      const { res } = await launch(supertest.agent(tool.server), { sub: nextSub() });
      expect(res.status).to.equal(303);
    });
  });

  describe('people', () => {
    it('an email claim that is not one address (a list, a display name) is not taken as hers: her emails cannot go to someone else', async () => {
      for (const email of [
        'ada@example.org, boss@example.org',
        'Ada <ada@example.org>',
        'ada@example.org\r\nBcc: x@example.org',
      ]) {
        const sub = nextSub();
        const { res } = await launch(supertest.agent(tool.server), { sub, claims: { email } });
        expect(res.status).to.equal(303);
        const link = await LtiAccountModel.findOne({ sub }).lean();
        const user = await UserModel.findById(link!.userId).lean();
        expect(user!.email, email).to.match(/^lti-[0-9a-f]{24}@users\.invalid$/);
      }
    });

    it('someone first launched while the LMS withheld her name and email gets them once it sends them; a name she chose is kept', async () => {
      const sub = nextSub();
      const email = `revealed-${Date.now()}@example.org`;
      const taken = await buildUser({ email: `taken-later-${Date.now()}@example.org` });
      const anonymous = { name: undefined };
      expect((await launch(supertest.agent(tool.server), { sub, claims: anonymous })).res.status).to.equal(303);
      const userId = (await LtiAccountModel.findOne({ sub }).lean())!.userId;
      expect((await UserModel.findById(userId).lean())!).to.include({ name: 'LMS learner' });
      // Another account's email is still not hers to take.
      await launch(supertest.agent(tool.server), { sub, claims: { name: 'Ngozi Adeyemi', email: taken.email } });
      let user = (await UserModel.findById(userId).lean())!;
      expect(user.name).to.equal('Ngozi Adeyemi');
      expect(user.email).to.match(/@users\.invalid$/);
      await launch(supertest.agent(tool.server), { sub, claims: { name: 'Ngozi Adeyemi', email } });
      expect((await UserModel.findById(userId).lean())!.email).to.equal(email);
      await UserModel.updateOne({ _id: userId }, { $set: { name: 'Ngozi A.' } });
      await launch(supertest.agent(tool.server), { sub, claims: { name: 'N. Adeyemi', email: 'other@example.org' } });
      user = (await UserModel.findById(userId).lean())!;
      expect(user).to.include({ name: 'Ngozi A.', email });
    });

    it("a platform's email never takes over an existing account: she links it by signing in once", async () => {
      const existing = await buildUser({ email: `taken-${Date.now()}@example.org` });
      const sub = nextSub();
      const agent = supertest.agent(tool.server);
      const { res } = await launch(agent, { sub, claims: { email: existing.email, [custom]: { cohort: cohort.id } } });
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Link your Pathways account');
      expect(await LtiAccountModel.countDocuments({ sub })).to.equal(0);
      await agent.get('/api/v1/me').expect(401);
      const linkPath = /href="(\/lti\/link\/[^"]+)"/.exec(res.text)![1]!;
      // Signing in from the link page returns her to it; confirming links her account and places her.
      await agent.get(linkPath).expect(303).expect('location', '/login');
      const loginPage = await agent.get('/login').expect(200);
      await agent
        .post('/login')
        .type('form')
        .send({ email: existing.email, password: testPassword, _csrf: csrfFrom(loginPage.text) })
        .expect(303)
        .expect('location', linkPath);
      // Another LMS is registered too: her confirming page may be framed by the one she launched from, not by it.
      const other = `https://other-lms-${Date.now()}.example`;
      await supertest(tool.server)
        .post('/api/v1/lti/platforms')
        .set(adminAuth)
        .send({
          ...platform.registration,
          name: 'Another LMS',
          issuer: other,
          authLoginUrl: `${other}/auth`,
          authTokenUrl: `${other}/token`,
          jwksUrl: `${other}/jwks`,
        })
        .expect(201);
      const confirm = await agent.get(linkPath).expect(200);
      const framing = /frame-ancestors ([^;]*)/.exec(String(confirm.headers['content-security-policy']))![1]!;
      expect(framing.split(' ')).to.include(platform.base).and.not.to.include(other);
      // The page names the LMS and warns what a link gives (a page passed to her by someone else is the risk).
      expect(confirm.text).to.include('Link only if you opened Pathways from your course yourself');
      expect(confirm.text).to.include('without your password or two-step code');
      const linked = await agent
        .post(linkPath)
        .type('form')
        .send({ _csrf: csrfFrom(confirm.text) })
        .expect(303);
      expect(linked.headers.location).to.equal(`/programmes/${programme.id}`);
      const link = await LtiAccountModel.findOne({ sub }).lean();
      expect(String(link!.userId)).to.equal(existing.id);
      expect(
        await EnrolmentModel.countDocuments({ cohortId: cohort.id, userId: existing.id, status: 'active' }),
      ).to.equal(1);
      // Next launch: straight in.
      const again = await launch(supertest.agent(tool.server), { sub, claims: { email: existing.email } });
      expect(again.res.status).to.equal(303);
    });
  });

  describe('linking an administrator', () => {
    it('an admin’s account is never linked to a course account (a course that asserts her email gets her nothing)', async () => {
      const admin = await buildUser({ email: `admin-${Date.now()}@example.org`, roles: ['admin'] });
      const sub = nextSub();
      const attacker = supertest.agent(tool.server);
      const { res } = await launch(attacker, { sub, claims: { name: 'Pathways Support', email: admin.email } });
      const linkPath = /href="(\/lti\/link\/[^"]+)"/.exec(res.text)![1]!;
      // The link page sent to her: signed in, she is told why, and nothing is linked.
      const her = await signIn(tool.server, admin.email, testPassword);
      const page = await her.get(linkPath).expect(403);
      expect(page.text).to.include('An administrator’s account is not linked');
      const csrf = csrfFrom((await her.get('/account')).text);
      await her.post(linkPath).type('form').send({ _csrf: csrf }).expect(403);
      expect(await LtiAccountModel.countDocuments({ sub })).to.equal(0);
      const again = await launch(supertest.agent(tool.server), { sub, claims: { email: admin.email } });
      expect(again.res.status).to.equal(200);
      expect(again.res.text).to.include('Link your Pathways account');
    });

    it('a course account whose Pathways account was made an administrator after it was linked no longer opens it: the launch is refused, naming the role, with no session; taken off the role, she launches again', async () => {
      const sub = nextSub();
      const lms = supertest.agent(tool.server);
      expect((await launch(lms, { sub, roles: instructorRole })).res.status).to.equal(303);
      const userId = String((await LtiAccountModel.findOne({ sub }).lean())!.userId);
      const setRoles = (roles: string[]) =>
        supertest(tool.server).patch(`/api/v1/users/${userId}`).set(adminAuth).send({ roles }).expect(200);
      await setRoles(['participant', 'admin']);
      // The session her LMS opened before is no administrator's: it is signed out.
      await lms.get('/api/v1/me').expect(401);
      await lms.get('/admin/lti').expect(303).expect('location', '/login');

      const fresh = supertest.agent(tool.server);
      const launchesBefore = await LtiLaunchModel.countDocuments({ sub });
      const { res } = await launch(fresh, { sub, roles: instructorRole });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('Launch refused');
      expect(res.text).to.include('Sign in to Pathways directly');
      expect(sessionCookieOf(res)).to.equal(undefined);
      await fresh.get('/api/v1/me').expect(401);
      expect(await LtiLaunchModel.countDocuments({ sub })).to.equal(launchesBefore);
      // Her link stays (README: her grades and class lists still find her): the role alone keeps the LMS out.
      expect(await LtiAccountModel.countDocuments({ sub })).to.equal(1);

      await setRoles(['participant']);
      const after = supertest.agent(tool.server);
      expect((await launch(after, { sub })).res.status).to.equal(303);
      expect((await after.get('/api/v1/me').expect(200)).body.id).to.equal(userId);
    });
  });

  describe('the time zone of an account a launch creates', () => {
    const zoneOf = async (sub: string) => {
      const link = (await LtiAccountModel.findOne({ sub }).lean())!;
      return (await UserModel.findById(link.userId).lean())!.timezone;
    };

    it("a launch into a cohort makes her account in the cohort's zone, whatever zone the platform sends", async () => {
      const c = await placedInCourse(await buildCohort(programme.id));
      await CohortModel.updateOne({ _id: c.id }, { $set: { timezone: 'America/Toronto' } });
      const sub = nextSub();
      const { res } = await launch(supertest.agent(tool.server), {
        sub,
        claims: { [custom]: { cohort: c.id }, zoneinfo: 'Asia/Tokyo' },
      });
      expect(res.status).to.equal(303);
      expect(await zoneOf(sub)).to.equal('America/Toronto');
    });

    it("with no cohort, her account takes the platform's zoneinfo claim, under its current name; anything else is not a zone", async () => {
      const cases: [unknown, string][] = [
        ['Asia/Tokyo', 'Asia/Tokyo'],
        ['asia/calcutta', 'Asia/Kolkata'],
        ['Europe/Kiev', 'Europe/Kyiv'],
        ['EST', 'Europe/London'],
        ['Mars/Olympus_Mons', 'Europe/London'],
        [42, 'Europe/London'],
        [undefined, 'Europe/London'],
      ];
      for (const [zoneinfo, expected] of cases) {
        const sub = nextSub();
        const { res } = await launch(supertest.agent(tool.server), { sub, claims: { zoneinfo } });
        expect(res.status, String(zoneinfo)).to.equal(303);
        expect(await zoneOf(sub), String(zoneinfo)).to.equal(expected);
      }
    });

    it('a cohort named by a course it was not placed in gives no zone: the zoneinfo claim does', async () => {
      const elsewhere = await buildCohort(programme.id);
      await CohortModel.updateOne({ _id: elsewhere.id }, { $set: { timezone: 'America/Toronto' } });
      const sub = nextSub();
      await launch(supertest.agent(tool.server), {
        sub,
        claims: { [custom]: { cohort: elsewhere.id }, zoneinfo: 'Africa/Lagos' },
      });
      expect(await zoneOf(sub)).to.equal('Africa/Lagos');
    });

    it('never changes the zone of an account that exists (she may have chosen it)', async () => {
      const sub = nextSub();
      await launch(supertest.agent(tool.server), { sub, claims: { zoneinfo: 'Asia/Tokyo' } });
      const userId = (await LtiAccountModel.findOne({ sub }).lean())!.userId;
      await UserModel.updateOne({ _id: userId }, { $set: { timezone: 'Pacific/Auckland' } });
      const c = await placedInCourse(await buildCohort(programme.id));
      await CohortModel.updateOne({ _id: c.id }, { $set: { timezone: 'America/Toronto' } });
      await launch(supertest.agent(tool.server), { sub, claims: { zoneinfo: 'Africa/Lagos' } });
      await launch(supertest.agent(tool.server), { sub, claims: { [custom]: { cohort: c.id } } });
      expect((await UserModel.findById(userId).lean())!.timezone).to.equal('Pacific/Auckland');
    });

    it("a class-list sync makes the accounts it creates in the cohort's zone", async () => {
      const p = await buildProgramme();
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await placedInCourse(await buildCohort(p.id, { facilitatorIds: [facilitator.id] }));
      await CohortModel.updateOne({ _id: c.id }, { $set: { timezone: 'Australia/Sydney' } });
      await launch(supertest.agent(tool.server), {
        sub: nextSub(),
        claims: {
          [custom]: { cohort: c.id },
          'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': {
            context_memberships_url: platform.membershipsUrl(),
            service_versions: ['2.0'],
          },
        },
      });
      const newcomer = nextSub();
      platform.members = [{ user_id: newcomer, roles: learnerRole, name: 'Nora Newcomer' }];
      await supertest(tool.server)
        .post(`/api/v1/cohorts/${c.id}/lti-sync`)
        .set({ Authorization: `Bearer ${await tokenFor(facilitator)}` })
        .expect(200);
      expect(await zoneOf(newcomer)).to.equal('Australia/Sydney');
    });
  });

  describe('people at internationalised domains', () => {
    it('a platform giving her address with the domain in punycode finds her account made in Unicode: one account, linked by signing in with either form', async () => {
      const local = `ana-${Date.now()}`;
      const existing = await buildUser({ email: `${local}@café.fr` });
      const sub = nextSub();
      const agent = supertest.agent(tool.server);
      const { res } = await launch(agent, { sub, claims: { email: `${local.toUpperCase()}@XN--CAF-DMA.FR` } });
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Link your Pathways account');
      expect(await UserModel.countDocuments({ email: { $regex: local } })).to.equal(1);
      const linkPath = /href="(\/lti\/link\/[^"]+)"/.exec(res.text)![1]!;
      await agent.get(linkPath).expect(303).expect('location', '/login');
      const loginPage = await agent.get('/login').expect(200);
      await agent
        .post('/login')
        .type('form')
        .send({ email: `${local}@xn--caf-dma.fr`, password: testPassword, _csrf: csrfFrom(loginPage.text) })
        .expect(303)
        .expect('location', linkPath);
      const confirm = await agent.get(linkPath).expect(200);
      await agent
        .post(linkPath)
        .type('form')
        .send({ _csrf: csrfFrom(confirm.text) })
        .expect(303);
      expect(String((await LtiAccountModel.findOne({ sub }).lean())!.userId)).to.equal(existing.id);
    });

    it('a new person whose platform gives a Unicode domain gets that address (not a placeholder), in the form a form would store', async () => {
      const sub = nextSub();
      const { res } = await launch(supertest.agent(tool.server), { sub, claims: { email: `Mei-${sub}@例子.广告` } });
      expect(res.status).to.equal(303);
      const link = await LtiAccountModel.findOne({ sub }).lean();
      expect((await UserModel.findById(link!.userId).lean())!.email).to.equal(`mei-${sub}@例子.广告`);
    });
  });

  describe('people: a link passed on', () => {
    it('the account-link page works only for the account whose email the course gave: anyone else signed in gets 403 and nothing is linked', async () => {
      const named = await buildUser({ email: `named-${Date.now()}@example.org` });
      const other = await buildUser({ email: `other-${Date.now()}@example.org` });
      const sub = nextSub();
      const { res } = await launch(supertest.agent(tool.server), { sub, claims: { email: named.email } });
      const linkPath = /href="(\/lti\/link\/[^"]+)"/.exec(res.text)![1]!;
      // Someone else, signed in to her own account, opens the link she was sent.
      const agent = await signIn(tool.server, other.email, testPassword);
      const page = await agent.get(linkPath).expect(403);
      expect(page.text).to.include(named.email);
      const csrf = csrfFrom((await agent.get('/account').expect(200)).text);
      await agent.post(linkPath).type('form').send({ _csrf: csrf }).expect(403);
      expect(await LtiAccountModel.countDocuments({ sub })).to.equal(0);
      // The course account stays unlinked: its next launch still asks for the named account's sign-in.
      const again = await launch(supertest.agent(tool.server), { sub, claims: { email: named.email } });
      expect(again.res.status).to.equal(200);
      expect(again.res.text).to.include('Link your Pathways account');
      await supertest(tool.server)
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${await tokenFor(other)}`)
        .expect(200);
    });
  });

  describe('people: an address the LMS asserts', () => {
    /** Asks for a reset link on the tool as she would and chooses a password through it: her browser, signed in. */
    async function passwordChosenByEmailedLink(email: string): Promise<Agent> {
      const agent = supertest.agent(tool.server);
      const form = await agent.get('/password-reset').expect(200);
      await agent
        .post('/password-reset')
        .type('form')
        .send({ email, _csrf: csrfFrom(form.text) })
        .expect(303);
      await workAfterAnswersDone();
      // Read from the email (the development outbox): the notification's copy of the link is emptied once it is sent.
      const sent = await OutboxMessageModel.findOne({ to: email, subject: /Reset your Pathways password/ })
        .sort({ _id: -1 })
        .lean();
      expect(sent, `no reset email in the outbox for ${email}`).to.not.equal(null);
      const link = /https?:\/\/[^/\s]+(\/password-reset\/[A-Za-z0-9_-]+)/.exec(sent!.text)![1]!;
      const page = await agent.get(link).expect(200);
      const password = 'a long and fresh passphrase 2027';
      await agent
        .post(link)
        .type('form')
        .send({ password, confirm: password, _csrf: csrfFrom(page.text) })
        .expect(303);
      return agent;
    }

    it('an account a launch made under a Pledge contact’s address is not the signature’s contact (403, nothing written) until a link emailed there proves it', async () => {
      const option = await buildCommitmentOption();
      const email = `pledge-contact-${Date.now()}@example.org`;
      const signature = await buildSignature({ kind: 'organisation', email, name: 'Castle Federation Board' });
      const sub = nextSub();
      const lms = supertest.agent(tool.server);
      expect((await launch(lms, { sub, claims: { email } })).res.status).to.equal(303);
      const made = (await UserModel.findById((await LtiAccountModel.findOne({ sub }).lean())!.userId).lean())!;
      expect(made).to.include({ email, emailUnverified: true });

      const manage = `/pledge/signatures/${signature.id}/manage`;
      const refused = await lms.get(manage).expect(403);
      expect(refused.text).to.include('LMS and has not been confirmed, so it does not make you the contact');
      const start = await lms.get('/pledge/manage').expect(200);
      expect(start.text).to.not.include('Castle Federation Board');
      expect(start.text).to.include('has not been confirmed');
      const csrf = csrfFrom(start.text);
      await lms
        .post(`/pledge/signatures/${signature.id}/commitments`)
        .type('form')
        .send({ optionIds: [option.id], _csrf: csrf })
        .expect(403);
      await lms
        .post(`/pledge/signatures/${signature.id}/updates`)
        .type('form')
        .send({ optionId: option.id, body: 'Impostor', _csrf: csrf })
        .expect(403);
      await lms
        .post(`/pledge/signatures/${signature.id}/delete`)
        .type('form')
        .send({ confirm: 'yes', _csrf: csrf })
        .expect(403);
      let refusedLink: unknown;
      await linkSignatureToBoard({
        signatureId: signature.id,
        boardId: String(new Types.ObjectId()),
        actor: currentUserOf(made),
      }).catch((e) => (refusedLink = e));
      expect((refusedLink as { status: number }).status).to.equal(403);
      const stored = (await PledgeSignatureModel.findById(signature.id).lean())!;
      expect(stored.commitments).to.have.length(0);
      expect(stored.boardId ?? null).to.equal(null);
      expect(await PledgeProgressUpdateModel.countDocuments({ signatureId: signature.id })).to.equal(0);

      // She holds the address: a password chosen through the link mailed to it proves so, and she is the contact.
      const proved = await passwordChosenByEmailedLink(email);
      expect((await UserModel.findById(made._id).lean())!.emailUnverified).to.equal(undefined);
      expect((await proved.get('/pledge/manage').expect(200)).text).to.include('Castle Federation Board');
      expect((await proved.get(manage).expect(200)).text).to.include(
        'You manage this signature as its confirmed contact',
      );
      // The link was made on the LMS's word for her address: her next launch asks her to link once, by signing in,
      // and does not take the proof back.
      const next = await launch(supertest.agent(tool.server), { sub, claims: { email } });
      expect(next.res.text).to.include('Link your Pathways account');
      const linkPath = /href="(\/lti\/link\/[^"]+)"/.exec(next.res.text)![1]!;
      const confirm = await proved.get(linkPath).expect(200);
      await proved
        .post(linkPath)
        .type('form')
        .send({ _csrf: csrfFrom(confirm.text) })
        .expect(303);
      expect((await launch(supertest.agent(tool.server), { sub, claims: { email } })).res.status).to.equal(303);
      expect((await UserModel.findById(made._id).lean())!.emailUnverified).to.equal(undefined);
    });

    it('an LMS account that asserted her address first, before she had an account, loses it when she proves the address: its session ends and its next launch does not open her account', async () => {
      const email = `claimed-first-${Date.now()}@example.org`;
      const [attackerSub, herSub] = [nextSub(), nextSub()];
      const attacker = supertest.agent(tool.server);
      const first = await launch(attacker, {
        sub: attackerSub,
        claims: { name: 'Attacker', email, [custom]: { cohort: cohort.id } },
      });
      expect(first.res.status).to.equal(303);
      const account = (await UserModel.findOne({ email }).lean())!;
      expect(account).to.include({ name: 'Attacker', emailUnverified: true });
      // The real owner of the address launches from her own course: the account exists, so she is asked to link it.
      const hers = await launch(supertest.agent(tool.server), { sub: herSub, claims: { name: 'Victim', email } });
      expect(hers.res.text).to.include('Link your Pathways account');
      const linkPath = /href="(\/lti\/link\/[^"]+)"/.exec(hers.res.text)![1]!;
      // She has no password: "Forgotten your password?" mails a link to her address, which proves she holds it.
      const her = await passwordChosenByEmailedLink(email);
      await attacker.get('/api/v1/me').expect(401);
      expect(await LtiAccountModel.countDocuments({ sub: attackerSub })).to.equal(0);
      expect(await LtiLaunchModel.countDocuments({ sub: attackerSub, userId: account._id })).to.equal(0);
      const audit = await AuditEventModel.findOne({ action: 'lti-account-unlinked', targetId: String(account._id) });
      expect(audit, 'the unlinking is audited').to.not.equal(null);
      const confirm = await her.get(linkPath).expect(200);
      await her
        .post(linkPath)
        .type('form')
        .send({ _csrf: csrfFrom(confirm.text) })
        .expect(303);

      // The attacker launches again: with her address he is asked to sign in as her; with another he is someone else.
      const withHerAddress = supertest.agent(tool.server);
      const again = await launch(withHerAddress, { sub: attackerSub, claims: { email } });
      expect(again.res.status).to.equal(200);
      expect(again.res.text).to.include('Link your Pathways account');
      await withHerAddress.get('/api/v1/me').expect(401);
      const withAnother = supertest.agent(tool.server);
      const other = `whatever-${Date.now()}@example.org`;
      expect((await launch(withAnother, { sub: attackerSub, claims: { email: other } })).res.status).to.equal(303);
      const me = (await withAnother.get('/api/v1/me').expect(200)).body;
      expect(me.id).to.not.equal(String(account._id));
      expect(me.email).to.equal(other);
      // Her own course account opens her account.
      const mine = supertest.agent(tool.server);
      expect((await launch(mine, { sub: herSub, claims: { email } })).res.status).to.equal(303);
      expect((await mine.get('/api/v1/me').expect(200)).body).to.include({ id: String(account._id), email });
    });

    it('an address the LMS sends later, over the placeholder, is not proved either', async () => {
      const sub = nextSub();
      await launch(supertest.agent(tool.server), { sub, claims: { email: undefined } });
      const userId = (await LtiAccountModel.findOne({ sub }).lean())!.userId;
      const email = `sent-later-${Date.now()}@example.org`;
      await launch(supertest.agent(tool.server), { sub, claims: { email } });
      expect((await UserModel.findById(userId).lean())!).to.include({ email, emailUnverified: true });
    });

    it('accounts an LMS made before the mark are marked at start-up: linked and without a password; once, and no other', async () => {
      const registered = (await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!;
      const linkTo = (userId: Types.ObjectId) =>
        LtiAccountModel.create({ platformId: registered._id, issuer: platform.issuer, sub: nextSub(), userId });
      const older = await UserModel.create({ email: `older-lms-${Date.now()}@example.org`, name: 'Older LMS person' });
      await linkTo(older._id);
      const linkedBySigningIn = await buildUser();
      await linkTo(new Types.ObjectId(linkedBySigningIn.id));
      const noLink = await UserModel.create({
        email: `invited-${Date.now()}@example.org`,
        name: 'Invited',
        status: 'invited',
      });
      expect(await markLmsAssertedAddresses()).to.be.at.least(1);
      expect((await UserModel.findById(older._id).lean())!.emailUnverified).to.equal(true);
      expect((await UserModel.findById(linkedBySigningIn.id).lean())!.emailUnverified).to.equal(undefined);
      expect((await UserModel.findById(noLink._id).lean())!.emailUnverified).to.equal(undefined);
      expect(await markLmsAssertedAddresses()).to.equal(0);
    });

    it('a board seat or panel place given by email does not go to an account whose address only the LMS vouched for', async () => {
      const chair = await buildUser({ roles: ['governor'] });
      const board = await buildBoard([{ user: chair, role: 'chair' }]);
      const sub = nextSub();
      const email = `adviser-${Date.now()}@example.org`;
      await launch(supertest.agent(tool.server), { sub, claims: { email } });
      const actor = currentUserOf((await UserModel.findById(chair.id).lean())!);
      for (const add of [
        () => setBoardMemberByEmail({ actor, boardId: board.id, email, role: 'governor' }),
        () => findOrInvitePanelMember({ actor, boardId: board.id, email, name: 'Adviser' }),
      ]) {
        let refused: unknown;
        await add().catch((e) => (refused = e));
        expect((refused as Error).message).to.include('nobody has confirmed the address');
      }
      const made = (await UserModel.findOne({ email }).lean())!;
      expect(made.roles).to.deep.equal(['participant']);
      expect((await BoardModel.findById(board.id).lean())!.members.map((m) => String(m.userId))).to.not.include(
        String(made._id),
      );
    });
  });

  describe('personal data', () => {
    it('her export lists her LMS identity and launches; erasure removes the link and what the LMS said about her', async () => {
      const sub = nextSub();
      await launch(supertest.agent(tool.server), { sub, claims: { email: `erase-${sub}@example.org` } });
      const link = await LtiAccountModel.findOne({ sub }).lean();
      const exported = (await ltiPersonalData.exportFor(link!.userId)) as {
        accounts: { sub: string }[];
        launches: { email: string }[];
      };
      expect(exported.accounts).to.deep.equal([{ platform: 'Simulated LMS', sub, classListCourses: [] }]);
      expect(exported.launches[0]!.email).to.equal(`erase-${sub}@example.org`);
      await ltiPersonalData.eraseFor(link!.userId);
      expect(await LtiAccountModel.countDocuments({ sub })).to.equal(0);
      const after = (await ltiPersonalData.exportFor(link!.userId)) as { launches: { email: string | null }[] };
      expect(after.launches[0]!.email).to.equal(null);
    });
    it('an erasure cut short after it stopped her sign-in (her LMS link not yet removed): a launch signs her in nowhere and enrols her nowhere, as for a disabled account', async () => {
      const registered = (await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!;
      for (const status of ['erased', 'disabled'] as const) {
        const her = await buildUser();
        await UserModel.updateOne({ _id: her.id }, { $set: { status } });
        const sub = nextSub();
        await LtiAccountModel.create({ platformId: registered._id, issuer: platform.issuer, sub, userId: her.id });
        const agent = supertest.agent(tool.server);
        const { res } = await launch(agent, { sub, claims: { [custom]: { cohort: cohort.id } } });
        expect(res.status, status).to.equal(404);
        expect(res.text).to.include('Your Pathways account is disabled');
        await agent.get('/api/v1/me').expect(401);
        expect(await EnrolmentModel.countDocuments({ userId: her.id }), status).to.equal(0);
      }
    });
  });

  describe('what is not kept (the clean-up job)', () => {
    it('a launch never linked to an account is deleted a month after it came, with the name and email the LMS sent; linked launches and recent ones stay', async () => {
      const day = 24 * 60 * 60 * 1000;
      const now = new Date();
      const existing = await buildUser({ email: `unlinked-${Date.now()}@example.org` });
      const [abandoned, recent, linked] = [nextSub(), nextSub(), nextSub()];
      const asked = await launch(supertest.agent(tool.server), {
        sub: abandoned,
        claims: { name: 'Never Linked', email: existing.email },
      });
      expect(asked.res.text).to.include('Link your Pathways account');
      await launch(supertest.agent(tool.server), { sub: recent, claims: { email: existing.email } });
      await launch(supertest.agent(tool.server), { sub: linked, claims: { email: `linked-${linked}@example.org` } });
      const launchedDaysAgo = (sub: string, days: number) =>
        LtiLaunchModel.collection.updateMany({ sub }, { $set: { launchedAt: new Date(now.getTime() - days * day) } });
      await launchedDaysAgo(abandoned, 31);
      await launchedDaysAgo(recent, 29);
      await launchedDaysAgo(linked, 400);

      await purgeExpiredLaunchRecords(now);

      expect(await LtiLaunchModel.countDocuments({ sub: abandoned })).to.equal(0);
      expect(await LtiLaunchModel.countDocuments({ sub: recent, email: existing.email })).to.equal(1);
      expect(await LtiLaunchModel.countDocuments({ sub: linked, userId: { $ne: null } })).to.equal(1);
    });

    it('a login whose launch never came leaves its state only until it expires (10 minutes)', async () => {
      const { state } = await startLogin(supertest.agent(tool.server));
      await purgeExpiredLaunchRecords(new Date());
      expect(await LtiLoginStateModel.exists({ _id: state })).to.not.equal(null);
      await purgeExpiredLaunchRecords(new Date(Date.now() + 11 * 60 * 1000));
      expect(await LtiLoginStateModel.exists({ _id: state })).to.equal(null);
    });
  });

  describe('grades (AGS)', () => {
    const agsClaim = (lineitem: string) => ({
      'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint': {
        scope: ['https://purl.imsglobal.org/spec/lti-ags/scope/score'],
        lineitem,
      },
    });

    async function learnerWithLineItem(lineItemId: string) {
      const p = await buildProgramme();
      const ms = [await buildModule(p.id), await buildModule(p.id)];
      const c = await placedInCourse(await buildCohort(p.id));
      const agent = supertest.agent(tool.server);
      const sub = nextSub();
      const { res } = await launch(agent, {
        sub,
        claims: { [custom]: { cohort: c.id }, ...agsClaim(platform.lineItem(lineItemId)) },
      });
      expect(res.status).to.equal(303);
      const page = await agent.get(`/modules/${ms[0]!.id}`).expect(200);
      const complete = (moduleId: string) =>
        agent
          .post(`/api/v1/modules/${moduleId}/completion`)
          .set('x-csrf-token', csrfFrom(page.text))
          .send({})
          .expect(200);
      return { sub, modules: ms, complete };
    }

    it('posts her score after each completion (FullyGraded at each step, as API.md fixes: the gradebook shows her progress as it grows), with a token got by a client assertion signed with our key', async () => {
      const { sub, modules: ms, complete } = await learnerWithLineItem('grades-1');
      const before = platform.scores.length;
      await complete(ms[0]!.id);
      await sendDueScores();
      await complete(ms[1]!.id);
      await sendDueScores();
      const mine = platform.scores.slice(before).filter((s) => s.lineItem === 'grades-1');
      expect(mine.map((s) => s.body)).to.have.length(2);
      expect(mine[0]!.contentType).to.equal('application/vnd.ims.lis.v1.score+json');
      expect(mine[0]!.body).to.include({
        userId: sub,
        scoreGiven: 1,
        scoreMaximum: 2,
        activityProgress: 'InProgress',
        gradingProgress: 'FullyGraded',
      });
      expect(mine[1]!.body).to.include({
        userId: sub,
        scoreGiven: 2,
        scoreMaximum: 2,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
      });
      expect(Date.parse(String(mine[1]!.body.timestamp))).to.be.above(0);
      // The platform verified each assertion against /lti/jwks.
      const assertion = platform.assertions.at(-1)!;
      expect(assertion).to.include({ iss: platform.clientId, sub: platform.clientId, aud: `${platform.base}/token` });
      expect(assertion.jti).to.be.a('string');
    });

    it('while the platform is down scores wait; when it is back the latest is delivered once', async () => {
      const { complete, modules: ms } = await learnerWithLineItem('grades-2');
      const before = platform.scores.length;
      platform.down = true;
      try {
        await complete(ms[0]!.id);
        expect(await sendDueScores()).to.deep.include({ sent: 0, retried: 1 });
        await complete(ms[1]!.id);
        expect((await sendDueScores()).sent).to.equal(0);
        expect((await sendDueScores({ now: new Date(Date.now() + 10 * 60_000) })).sent).to.equal(0);
      } finally {
        platform.down = false;
      }
      const later = new Date(Date.now() + 60 * 60_000);
      expect((await sendDueScores({ now: later })).sent).to.equal(1);
      expect((await sendDueScores({ now: new Date(later.getTime() + 60 * 60_000) })).sent).to.equal(0);
      const mine = platform.scores.slice(before).filter((s) => s.lineItem === 'grades-2');
      expect(mine).to.have.length(1);
      expect(mine[0]!.body).to.include({ scoreGiven: 2, activityProgress: 'Completed' });
      expect(
        await LtiScoreModel.countDocuments({ lineItemUrl: platform.lineItem('grades-2'), state: 'sent' }),
      ).to.equal(1);
    });

    it('a slow LMS: each score is leased from when it is taken, and a run stops taking scores when its time is up (the rest go next run)', async () => {
      const lineItems = ['slow-1', 'slow-2', 'slow-3'];
      for (const lineItem of lineItems) {
        const learner = await learnerWithLineItem(lineItem);
        await learner.complete(learner.modules[0]!.id);
      }
      const mine = { lineItemUrl: { $in: lineItems.map((l) => platform.lineItem(l)) } };
      platform.scoreDelayMs = 1200;
      // Every claim's lease, as it is asked for, beside the time it is asked for (a spy: nothing is held).
      const claims: { leaseUntil: Date; at: number }[] = [];
      const spy = holdNextCall(LtiScoreModel, 'findOneAndUpdate', {
        when: (args) => {
          const leaseUntil = (args[1] as { $set?: { leaseUntil?: Date } }).$set?.leaseUntil;
          if (leaseUntil) claims.push({ leaseUntil, at: Date.now() });
          return false;
        },
      });
      try {
        // Time for two (the second taken 1.2 s in), not three: the third waits for the next run, untaken.
        expect((await sendDueScores({ budgetMs: 1500 })).sent).to.equal(2);
        const waiting = await LtiScoreModel.find({ ...mine, state: 'pending' }).lean();
        expect(waiting).to.have.length(1);
        expect(waiting[0]!.leaseUntil ?? null).to.equal(null);
        await sendDueScores();
      } finally {
        spy.restore();
        platform.scoreDelayMs = 0;
      }
      expect(await LtiScoreModel.countDocuments({ ...mine, state: 'sent' })).to.equal(3);
      expect(claims.length).to.be.greaterThan(2);
      // A score taken after another's 1.2-second post still holds its full 2-minute lease.
      for (const claim of claims) expect(claim.leaseUntil.getTime() - claim.at).to.be.greaterThan(2 * 60_000 - 500);
    });

    it('a completion whose score is written late (a slow process) never replaces the newer score of a later one', async () => {
      const p = await buildProgramme();
      const ms = [await buildModule(p.id), await buildModule(p.id), await buildModule(p.id)];
      const c = await placedInCourse(await buildCohort(p.id));
      const agent = supertest.agent(tool.server);
      const sub = nextSub();
      await launch(supertest.agent(tool.server), {
        sub,
        claims: { [rolesClaim]: instructorRole, [custom]: { cohort: cohort.id } },
      });
      const { res } = await launch(agent, {
        sub,
        claims: { [custom]: { cohort: c.id }, ...agsClaim(platform.lineItem('grades-late')) },
      });
      expect(res.status).to.equal(303);
      const page = await agent.get(`/modules/${ms[0]!.id}`).expect(200);
      const complete = (moduleId: string) =>
        agent.post(`/api/v1/modules/${moduleId}/completion`).set('x-csrf-token', csrfFrom(page.text)).send({});
      await complete(ms[0]!.id).expect(200);
      // The next score write stalls after its progress was read, as on a slow process, until `release`.
      const held = holdNextCall(LtiScoreModel, 'updateOne', {
        before: true,
        when: (args) => (args[1] as { $set?: { scoreGiven?: number } } | undefined)?.$set?.scoreGiven !== undefined,
      });
      try {
        const slow = complete(ms[1]!.id).then((r) => r);
        await held.reached;
        await complete(ms[2]!.id).expect(200);
        held.release();
        expect((await slow).status).to.equal(200);
      } finally {
        held.release();
        held.restore();
      }
      const row = await LtiScoreModel.findOne({ lineItemUrl: platform.lineItem('grades-late') }).lean();
      await LtiScoreModel.deleteMany({ lineItemUrl: platform.lineItem('grades-late') }); // not sent by later tests
      expect(row).to.include({ scoreGiven: 3, scoreMaximum: 3, activityProgress: 'Completed', state: 'pending' });
    });

    it("a score the LMS refuses is shown to the cohort's facilitators with the LMS's reason", async () => {
      const p = await buildProgramme();
      const ms = [await buildModule(p.id), await buildModule(p.id)];
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await placedInCourse(await buildCohort(p.id, { facilitatorIds: [facilitator.id] }));
      const agent = supertest.agent(tool.server);
      await launch(agent, {
        sub: nextSub(),
        claims: { [custom]: { cohort: c.id }, name: 'Rita Refused', ...agsClaim(platform.lineItem('refused-1')) },
      });
      const page = await agent.get(`/modules/${ms[0]!.id}`).expect(200);
      await agent
        .post(`/api/v1/modules/${ms[0]!.id}/completion`)
        .set('x-csrf-token', csrfFrom(page.text))
        .send({})
        .expect(200);
      platform.scoreRefusal = {
        status: 400,
        error: 'invalid_request',
        error_description: 'User is not in this course',
      };
      try {
        expect(await sendDueScores()).to.deep.include({ failed: 1 });
      } finally {
        platform.scoreRefusal = undefined;
      }
      const facilitatorAgent = await signIn(tool.server, facilitator.email, testPassword);
      const lms = await facilitatorAgent.get(`/cohorts/${c.id}/lms`).expect(200);
      expect(lms.text).to.match(/Grades the LMS did not take.*Rita Refused.*User is not in this course/s);
    });

    it('a learner enrolled by a class-list sync who never launched gets her grade, under her LMS sub, in the course whose list named her', async () => {
      const p = await buildProgramme();
      const ms = [await buildModule(p.id), await buildModule(p.id)];
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await buildCohort(p.id, { facilitatorIds: [facilitator.id] });
      const courses = ['course-synced-a', 'course-synced-b'];
      for (const course of courses) {
        await placedInCourse(c, course);
        // Each course's link to the cohort has its own grade column; its teacher's launch tells us both URLs.
        const { res } = await launch(supertest.agent(tool.server), {
          sub: nextSub(),
          claims: {
            [rolesClaim]: instructorRole,
            'https://purl.imsglobal.org/spec/lti/claim/context': { id: course },
            [custom]: { cohort: c.id },
            ...agsClaim(platform.lineItem(`${course}-li`)),
            'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': {
              context_memberships_url: platform.courseMembershipsUrl(course),
              service_versions: ['2.0'],
            },
          },
        });
        expect(res.status).to.equal(303);
      }
      const sub = nextSub();
      platform.courseMembers['course-synced-a'] = [{ user_id: sub, roles: learnerRole, name: 'Sami Synced' }];
      platform.courseMembers['course-synced-b'] = [];
      const auth = { Authorization: `Bearer ${await tokenFor(facilitator)}` };
      const synced = await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(200);
      expect(synced.body).to.include({ added: 1 });
      const link = (await LtiAccountModel.findOne({ sub }).lean())!;
      const learner = currentUserOf((await UserModel.findById(link.userId).lean())!);
      const before = platform.scores.length;
      await completeModule({ actor: learner, moduleId: ms[0]!.id, input: {}, now: new Date() });
      await sendDueScores();
      const sent = platform.scores.slice(before).filter((s) => s.lineItem.startsWith('course-synced'));
      expect(sent.map((s) => s.lineItem)).to.deep.equal(['course-synced-a-li']);
      expect(sent[0]!.body).to.include({ userId: sub, scoreGiven: 1, scoreMaximum: 2, activityProgress: 'InProgress' });
      // Gone from that course's list: no more grades are sent there.
      platform.courseMembers['course-synced-a'] = [];
      await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(200);
      await completeModule({ actor: learner, moduleId: ms[1]!.id, input: {}, now: new Date() });
      await sendDueScores();
      expect(platform.scores.slice(before).filter((s) => s.lineItem.startsWith('course-synced'))).to.have.length(1);
    });

    it('the LMS gets her new score when the programme changes under her: archiving what she had left finishes her (Completed, with her certificate); a module added or restored after that puts her back in progress', async () => {
      const p = await buildProgramme();
      const ms = [await buildModule(p.id), await buildModule(p.id), await buildModule(p.id), await buildModule(p.id)];
      const c = await placedInCourse(await buildCohort(p.id));
      const agent = supertest.agent(tool.server);
      const sub = nextSub();
      const { res } = await launch(agent, {
        sub,
        claims: { [custom]: { cohort: c.id }, ...agsClaim(platform.lineItem('grades-outline')) },
      });
      expect(res.status).to.equal(303);
      const learnerId = String((await LtiAccountModel.findOne({ sub }).lean())!.userId);
      // A classmate enrolled in Pathways, with no LMS link: her progress moves too, but no LMS grades her.
      const classmate = await buildUser();
      await enrol(classmate.id, c.id, p.id);
      const page = await agent.get(`/modules/${ms[0]!.id}`).expect(200);
      for (const m of ms.slice(0, 2))
        await agent
          .post(`/api/v1/modules/${m.id}/completion`)
          .set('x-csrf-token', csrfFrom(page.text))
          .send({})
          .expect(200);
      await sendDueScores();
      const score = () => LtiScoreModel.findOne({ lineItemUrl: platform.lineItem('grades-outline') }).lean();
      expect(await score()).to.include({
        scoreGiven: 2,
        scoreMaximum: 4,
        activityProgress: 'InProgress',
        state: 'sent',
      });
      const archive = (moduleId: string, archived: boolean) =>
        supertest(tool.server).patch(`/api/v1/modules/${moduleId}`).set(adminAuth).send({ archived }).expect(200);

      await archive(ms[2]!.id, true);
      expect(await score()).to.include({ scoreGiven: 2, scoreMaximum: 3, activityProgress: 'InProgress' });
      await archive(ms[3]!.id, true);
      expect(await CertificateModel.exists({ userId: learnerId, programmeId: p.id })).to.not.equal(null);
      const before = platform.scores.length;
      await sendDueScores();
      const sent = () =>
        platform.scores
          .slice(before)
          .filter((s) => s.lineItem === 'grades-outline')
          .map((s) => s.body);
      expect(sent()).to.have.length(1);
      expect(sent()[0]).to.include({
        userId: sub,
        scoreGiven: 2,
        scoreMaximum: 2,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
      });

      // A module added after she finished: Pathways says 2 of 3, and so does the LMS.
      await supertest(tool.server)
        .post(`/api/v1/programmes/${p.id}/modules`)
        .set(adminAuth)
        .send({ title: 'Added later', body: 'More to read.', estimatedMinutes: 10, completion: { type: 'view' } })
        .expect(201);
      expect(await score()).to.include({ scoreGiven: 2, scoreMaximum: 3, activityProgress: 'InProgress' });
      await archive(ms[3]!.id, false);
      await sendDueScores();
      expect(sent()).to.have.length(2);
      expect(sent()[1]).to.include({ scoreGiven: 2, scoreMaximum: 4, activityProgress: 'InProgress' });
      expect(await LtiScoreModel.countDocuments({ userId: classmate.id })).to.equal(0);
    });

    it('a cohort moved to another programme: the LMS gets her progress in the new one; a programme no LMS grades queues nothing', async () => {
      const { modules: ms, complete } = await learnerWithLineItem('grades-moved');
      await complete(ms[0]!.id);
      await complete(ms[1]!.id);
      const score = () => LtiScoreModel.findOne({ lineItemUrl: platform.lineItem('grades-moved') }).lean();
      expect(await score()).to.include({ scoreGiven: 2, scoreMaximum: 2, activityProgress: 'Completed' });
      const moved = (await LtiLaunchModel.findOne({ lineItemUrl: platform.lineItem('grades-moved') }).lean())!;
      const cohortRow = (await CohortModel.findById(moved.cohortId).lean())!;
      const next = await buildProgramme();
      await buildModule(next.id);
      await buildModule(next.id);
      await buildModule(next.id);
      const admin = await buildUser({ roles: ['admin'] });
      await updateCohort({
        actor: currentUserOf((await UserModel.findById(admin.id).lean())!),
        cohortId: String(cohortRow._id),
        input: {
          programmeId: next.id,
          name: cohortRow.name,
          capacity: cohortRow.capacity,
          timezone: cohortRow.timezone,
          startsOn: cohortRow.startsOn,
          endsOn: cohortRow.endsOn,
          facilitatorIds: [],
        },
      });
      expect(await score()).to.include({ scoreGiven: 0, scoreMaximum: 3, activityProgress: 'InProgress' });
      const before = platform.scores.length;
      await sendDueScores();
      const sent = platform.scores.slice(before).filter((s) => s.lineItem === 'grades-moved');
      expect(sent.map((s) => s.body)).to.have.length(1);
      expect(sent[0]!.body).to.include({ scoreGiven: 0, scoreMaximum: 3, activityProgress: 'InProgress' });

      // Nobody in the cohorts of a programme no LMS grades gets a score when its modules change.
      const ungraded = await buildProgramme();
      const [first] = [await buildModule(ungraded.id), await buildModule(ungraded.id)];
      const elsewhere = await buildCohort(ungraded.id);
      const learner = await buildUser();
      await enrol(learner.id, elsewhere.id, ungraded.id);
      await completeModule({
        actor: currentUserOf((await UserModel.findById(learner.id).lean())!),
        moduleId: first!.id,
        input: {},
        now: new Date(),
      });
      await supertest(tool.server)
        .patch(`/api/v1/modules/${first!.id}`)
        .set(adminAuth)
        .send({ archived: true })
        .expect(200);
      expect(await LtiScoreModel.countDocuments({ userId: learner.id })).to.equal(0);
    });

    it('two senders at once post a due score once', async () => {
      const { complete, modules: ms } = await learnerWithLineItem('grades-3');
      const before = platform.scores.length;
      await complete(ms[0]!.id);
      const reports = await Promise.all([sendDueScores(), sendDueScores(), sendDueScores()]);
      expect(reports.reduce((n, r) => n + r.sent, 0)).to.equal(1);
      expect(platform.scores.slice(before).filter((s) => s.lineItem === 'grades-3')).to.have.length(1);
    });
  });

  describe('rosters (NRPS)', () => {
    /** The launch claim that gives the tool the course's class list (Names and Role Provisioning Services 2.0). */
    const classListClaim = (url: string) => ({
      'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': {
        context_memberships_url: url,
        service_versions: ['2.0'],
      },
    });

    it('a class-list address that answers a refusal is named by host and status only: its words are not read out to the facilitator', async () => {
      const inside = createServer((_req, res) => {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'internal_admin_api', message: 'db-password=hunter2 (internal only)' }));
      });
      await new Promise<void>((resolve) => inside.listen(0, '127.0.0.1', resolve));
      try {
        const port = (inside.address() as AddressInfo).port;
        const p = await buildProgramme();
        const facilitator = await buildUser({ roles: ['facilitator'] });
        const c = await placedInCourse(await buildCohort(p.id, { facilitatorIds: [facilitator.id] }));
        await launch(supertest.agent(tool.server), {
          sub: nextSub(),
          claims: { [custom]: { cohort: c.id }, ...classListClaim(`http://127.0.0.1:${port}/internal/admin`) },
        });
        const synced = await supertest(tool.server)
          .post(`/api/v1/cohorts/${c.id}/lti-sync`)
          .set({ Authorization: `Bearer ${await tokenFor(facilitator)}` });
        expect(synced.status).to.equal(409);
        expect(synced.body.detail).to.include('403');
        expect(JSON.stringify(synced.body)).to.not.include('hunter2').and.not.include('internal_admin_api');
      } finally {
        inside.close();
      }
    });

    it('a facilitator syncs the class list: learners enrolled once (waitlist when full), people who left listed', async () => {
      const p = await buildProgramme();
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await placedInCourse(await buildCohort(p.id, { facilitatorIds: [facilitator.id] }));
      await CohortModel.updateOne({ _id: c.id }, { $set: { capacity: 3 } });
      const nrps = classListClaim(platform.membershipsUrl());
      const stayer = nextSub();
      const leaver = nextSub();
      for (const sub of [stayer, leaver])
        expect(
          (await launch(supertest.agent(tool.server), { sub, claims: { [custom]: { cohort: c.id }, ...nrps } })).res
            .status,
        ).to.equal(303);
      const teacher = nextSub();
      const assistant = nextSub();
      platform.members = [
        { user_id: stayer, roles: learnerRole, name: 'Stayer' },
        { user_id: 'new-1', roles: learnerRole, name: 'New One' },
        { user_id: 'new-2', roles: learnerRole, name: 'New Two' },
        { user_id: 'gone', roles: learnerRole, status: 'Inactive' },
        { user_id: teacher, roles: instructorRole, name: 'Teacher' },
        {
          user_id: assistant,
          roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant'],
          name: 'Assistant',
        },
      ];
      const outsider = await buildUser({ roles: ['facilitator'] });
      await supertest(tool.server)
        .post(`/api/v1/cohorts/${c.id}/lti-sync`)
        .set({ Authorization: `Bearer ${await tokenFor(outsider)}` })
        .expect(404);
      expect(await EnrolmentModel.countDocuments({ cohortId: c.id })).to.equal(2);
      const auth = { Authorization: `Bearer ${await tokenFor(facilitator)}` };
      const res = await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(200);
      expect(res.body).to.deep.equal({ added: 1, kept: 1, waitlisted: 1 });
      const again = await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(200);
      expect(again.body).to.deep.equal({ added: 0, kept: 3, waitlisted: 0 });
      const teacherLink = await LtiAccountModel.findOne({ sub: teacher }).lean();
      const assistantLink = await LtiAccountModel.findOne({ sub: assistant }).lean();
      expect((await CohortModel.findById(c.id).lean())!.facilitatorIds.map(String)).to.include.members([
        String(teacherLink!.userId),
        String(assistantLink!.userId),
      ]);
      const leaverLink = await LtiAccountModel.findOne({ sub: leaver }).lean();
      expect(
        await EnrolmentModel.countDocuments({ cohortId: c.id, userId: leaverLink!.userId, status: 'active' }),
      ).to.equal(1);
      const agent = supertest.agent(tool.server);
      const login = await agent.get('/login');
      await agent
        .post('/login')
        .type('form')
        .send({ email: facilitator.email, password: testPassword, _csrf: csrfFrom(login.text) });
      const page = await agent.get(`/cohorts/${c.id}/lms`).expect(200);
      const leaverName = (await UserModel.findById(leaverLink!.userId).lean())!.name;
      expect(page.text).to.include('No longer on the class list');
      expect(page.text).to.include(leaverName);
    });

    it('someone withdrawn from the cohort is not put back by her next launch or by a class-list sync (she is still in the course)', async () => {
      const p = await buildProgramme();
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await placedInCourse(await buildCohort(p.id, { facilitatorIds: [facilitator.id] }));
      const nrps = classListClaim(platform.membershipsUrl());
      const sub = nextSub();
      const opened = () =>
        launch(supertest.agent(tool.server), { sub, claims: { [custom]: { cohort: c.id }, ...nrps } });
      expect((await opened()).res.status).to.equal(303);
      const userId = String((await LtiAccountModel.findOne({ sub }).lean())!.userId);
      await withdrawParticipant({ actor: 'system', cohortId: c.id, userId });
      const { res } = await opened();
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/programmes/${p.id}`);
      platform.members = [{ user_id: sub, roles: learnerRole, name: 'Withdrawn' }];
      const sync = await supertest(tool.server)
        .post(`/api/v1/cohorts/${c.id}/lti-sync`)
        .set({ Authorization: `Bearer ${await tokenFor(facilitator)}` })
        .expect(200);
      expect(sync.body).to.deep.equal({ added: 0, kept: 0, waitlisted: 0 });
      const enrolment = (await EnrolmentModel.findOne({ cohortId: c.id, userId }).lean())!;
      expect(enrolment.status).to.equal('withdrawn');
    });

    it('a withdrawal landing while her launch or a sync enrols her (another process) stands: she is not put back', async () => {
      const p = await buildProgramme();
      const c = await buildCohort(p.id);
      const learner = await buildUser();
      await enrolParticipant({ actor: 'system', cohortId: c.id, userId: learner.id });
      // The launch's enrolment reads her row after the withdrawal; anything it looked at before saw her active.
      const held = holdNextCall(EnrolmentModel, 'findOne', {
        lean: true,
        before: true,
        when: (args) => JSON.stringify(args[0]).includes(learner.id) && !('status' in (args[0] as object)),
      });
      try {
        const joining = joinCohortFromLms({ cohortId: c.id, userId: learner.id, instructor: false });
        await held.reached;
        held.restore();
        await withdrawParticipant({ actor: 'system', cohortId: c.id, userId: learner.id });
        held.release();
        expect(await joining).to.equal('withdrawn');
      } finally {
        held.release();
        held.restore();
      }
      expect((await EnrolmentModel.findOne({ cohortId: c.id, userId: learner.id }).lean())!.status).to.equal(
        'withdrawn',
      );
    });

    it('a cohort placed in two courses is synced from both class lists: nobody in the other course is enrolled late or listed as gone', async () => {
      const p = await buildProgramme();
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await buildCohort(p.id, { facilitatorIds: [facilitator.id] });
      await placedInCourse(c, 'course-a');
      await placedInCourse(c, 'course-b');
      const contextClaim = 'https://purl.imsglobal.org/spec/lti/claim/context';
      const fromCourse = (contextId: string) => ({
        [custom]: { cohort: c.id },
        [contextClaim]: { id: contextId, title: contextId },
        ...classListClaim(platform.courseMembershipsUrl(contextId)),
      });
      const [ana, bea, newInA] = [nextSub(), nextSub(), nextSub()];
      expect(
        (await launch(supertest.agent(tool.server), { sub: ana, claims: fromCourse('course-a') })).res.status,
      ).to.equal(303);
      expect(
        (await launch(supertest.agent(tool.server), { sub: bea, claims: fromCourse('course-b') })).res.status,
      ).to.equal(303);
      platform.courseMembers = {
        'course-a': [
          { user_id: ana, roles: learnerRole, name: 'Ana' },
          { user_id: newInA, roles: learnerRole, name: 'New in A' },
        ],
        'course-b': [{ user_id: bea, roles: learnerRole, name: 'Bea' }],
      };
      // The last launch was from course B; course A's new learner is enrolled all the same.
      const res = await supertest(tool.server)
        .post(`/api/v1/cohorts/${c.id}/lti-sync`)
        .set({ Authorization: `Bearer ${await tokenFor(facilitator)}` })
        .expect(200);
      expect(res.body).to.deep.equal({ added: 1, kept: 2, waitlisted: 0 });
      const agent = await signIn(tool.server, facilitator.email, testPassword);
      const page = await agent.get(`/cohorts/${c.id}/lms`).expect(200);
      expect(page.text).to.include('Everyone enrolled through the LMS is still on its class list.');
      // The page tells her what pressing "Sync" reads: both courses, not the one it was last opened from.
      expect(page.text).to.include('Enrol the learners of every LMS course this cohort is placed in');
      expect(page.text).to.not.include('last opened from');
    });

    it('a disabled account on the class list is left out; the others are enrolled and the sync answers', async () => {
      const p = await buildProgramme();
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await placedInCourse(await buildCohort(p.id, { facilitatorIds: [facilitator.id] }), 'course-d');
      const registered = (await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!;
      const disabled = await buildUser({ status: 'disabled' });
      const [launcher, disabledSub, other] = [nextSub(), nextSub(), nextSub()];
      await LtiAccountModel.create({
        platformId: registered._id,
        issuer: platform.issuer,
        sub: disabledSub,
        userId: disabled.id,
      });
      const claims = {
        [custom]: { cohort: c.id },
        'https://purl.imsglobal.org/spec/lti/claim/context': { id: 'course-d' },
        ...classListClaim(platform.courseMembershipsUrl('course-d')),
      };
      expect((await launch(supertest.agent(tool.server), { sub: launcher, claims })).res.status).to.equal(303);
      platform.courseMembers = {
        'course-d': [
          { user_id: launcher, roles: learnerRole },
          { user_id: disabledSub, roles: learnerRole },
          { user_id: other, roles: learnerRole, name: 'Other' },
        ],
      };
      const res = await supertest(tool.server)
        .post(`/api/v1/cohorts/${c.id}/lti-sync`)
        .set({ Authorization: `Bearer ${await tokenFor(facilitator)}` });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ added: 1, kept: 1, waitlisted: 0 });
      expect(await EnrolmentModel.countDocuments({ cohortId: c.id, userId: disabled.id })).to.equal(0);
    });

    it('a class list over several pages is read whole; an answer that is not a class list is reported, not taken for an empty course', async () => {
      const p = await buildProgramme();
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await placedInCourse(await buildCohort(p.id, { facilitatorIds: [facilitator.id] }));
      const nrps = classListClaim(platform.membershipsUrl());
      const launched = nextSub();
      await launch(supertest.agent(tool.server), { sub: launched, claims: { [custom]: { cohort: c.id }, ...nrps } });
      const auth = { Authorization: `Bearer ${await tokenFor(facilitator)}` };
      try {
        platform.members = [
          { user_id: launched, roles: learnerRole, name: 'Launched' },
          ...[1, 2, 3, 4].map((n) => ({ user_id: `paged-${launched}-${n}`, roles: learnerRole, name: `Paged ${n}` })),
          // A member the platform describes wrongly (roles not a list, a name not a string) is skipped, not a 500.
          { user_id: `odd-${launched}`, roles: 'Learner' as unknown as string[], name: 5 as unknown as string },
        ];
        platform.membersPageSize = 2;
        platform.membershipRequests = [];
        const res = await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(200);
        expect(res.body).to.deep.equal({ added: 4, kept: 1, waitlisted: 0 });
        // Pages as large as the platform allows are asked for (NRPS `limit`; Canvas gives 10 a page otherwise).
        expect(new URL(platform.membershipRequests[0]!).searchParams.get('limit')).to.equal('100');
        expect(platform.membershipRequests).to.have.length(3);
        expect(await LtiAccountModel.countDocuments({ sub: `odd-${launched}` })).to.equal(0);
        // Link headers may give relative URLs (RFC 8288): the same pages are read.
        platform.relativeLinks = true;
        const relative = await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(200);
        expect(relative.body).to.deep.equal({ added: 0, kept: 5, waitlisted: 0 });
        platform.relativeLinks = false;

        // Longer than the sync reads (50 pages): refused whole rather than read in part, with everyone past the
        // last page read taken for gone and never enrolled.
        platform.membersPageSize = 1;
        platform.members = [...Array(51).keys()].map((n) => ({
          user_id: `long-${launched}-${n}`,
          roles: learnerRole,
          name: `Long ${n}`,
        }));
        const long = await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(409);
        expect(long.body.detail).to.include('more than 50 pages');
        expect(await EnrolmentModel.countDocuments({ cohortId: c.id })).to.equal(5);

        // A class-list URL that is not a URL (a platform's bug) is the LMS's error, not a 500.
        await launch(supertest.agent(tool.server), {
          sub: launched,
          claims: {
            [custom]: { cohort: c.id },
            'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': {
              context_memberships_url: 'memberships',
            },
          },
        });
        await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(409);
        await launch(supertest.agent(tool.server), { sub: launched, claims: { [custom]: { cohort: c.id }, ...nrps } });

        platform.membershipsHtml = '<html><body>Please sign in</body></html>';
        const broken = await supertest(tool.server).post(`/api/v1/cohorts/${c.id}/lti-sync`).set(auth).expect(409);
        expect(broken.body.detail).to.include('not a class list');
        // The last good sync stands: nobody is listed as gone from the course.
        const agent = supertest.agent(tool.server);
        const login = await agent.get('/login');
        await agent
          .post('/login')
          .type('form')
          .send({ email: facilitator.email, password: testPassword, _csrf: csrfFrom(login.text) });
        const page = await agent.get(`/cohorts/${c.id}/lms`).expect(200);
        expect(page.text).to.include('Everyone enrolled through the LMS is still on its class list.');
        expect(page.text).to.include('0 enrolled, 5 already here');
      } finally {
        platform.membersPageSize = undefined;
        platform.membershipsHtml = undefined;
        platform.relativeLinks = false;
      }
    });

    it('someone who cannot see a cohort is answered as for an unknown id (404) by its class list page and its sync, web and API; someone who sees it but does not run it gets 403; nothing changes', async () => {
      const p = await buildProgramme();
      const facilitator = await buildUser({ roles: ['facilitator'] });
      const c = await placedInCourse(await buildCohort(p.id, { facilitatorIds: [facilitator.id] }));
      const participant = await buildUser();
      await enrol(participant.id, c.id, p.id);
      const outsider = await buildUser({ roles: ['facilitator'] });
      const unknownId = String(new Types.ObjectId());
      const withoutTokens = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, '');
      const syncViaApi = async (user: TestUser, cohortId: string) =>
        supertest(tool.server)
          .post(`/api/v1/cohorts/${cohortId}/lti-sync`)
          .set({ Authorization: `Bearer ${await tokenFor(user)}` });
      const signedIn = async (user: { email: string }) => {
        const agent = supertest.agent(tool.server);
        const login = await agent.get('/login');
        await agent
          .post('/login')
          .type('form')
          .send({ email: user.email, password: testPassword, _csrf: csrfFrom(login.text) })
          .expect(303);
        return { agent, csrf: csrfFrom((await agent.get('/')).text) };
      };

      const unknown = await syncViaApi(outsider, unknownId);
      const hidden = await syncViaApi(outsider, c.id);
      expect([unknown.status, hidden.status]).to.deep.equal([404, 404]);
      expect(hidden.body).to.deep.equal(unknown.body);
      expect((await syncViaApi(participant, c.id)).status).to.equal(403);

      const asOutsider = await signedIn(outsider);
      const unknownPage = await asOutsider.agent.get(`/cohorts/${unknownId}/lms`).expect(404);
      const hiddenPage = await asOutsider.agent.get(`/cohorts/${c.id}/lms`).expect(404);
      expect(withoutTokens(hiddenPage.text)).to.equal(withoutTokens(unknownPage.text));
      const syncForm = (cohortId: string) =>
        asOutsider.agent.post(`/cohorts/${cohortId}/lti-sync`).type('form').send({ _csrf: asOutsider.csrf });
      const unknownSync = await syncForm(unknownId).expect(404);
      const hiddenSync = await syncForm(c.id).expect(404);
      expect(withoutTokens(hiddenSync.text)).to.equal(withoutTokens(unknownSync.text));

      const asParticipant = await signedIn(participant);
      await asParticipant.agent.get(`/cohorts/${c.id}/lms`).expect(403);
      await asParticipant.agent
        .post(`/cohorts/${c.id}/lti-sync`)
        .type('form')
        .send({ _csrf: asParticipant.csrf })
        .expect(403);

      expect(await EnrolmentModel.countDocuments({ cohortId: c.id })).to.equal(1);
      expect((await CohortModel.findById(c.id).lean())!.facilitatorIds.map(String)).to.deep.equal([facilitator.id]);
    });
  });

  describe('deep linking', () => {
    /**
     * An instructor's deep-linking request from her course, made after an instructor launch of the cohort (so she
     * runs it and its modules are hers to add). `context` replaces the course (`undefined`: none named).
     */
    async function openPicker(settings: Record<string, unknown>, course?: { context: unknown }) {
      const agent = supertest.agent(tool.server);
      const sub = nextSub();
      await launch(supertest.agent(tool.server), {
        sub,
        claims: { [rolesClaim]: instructorRole, [custom]: { cohort: cohort.id } },
      });
      const { res } = await launch(agent, {
        sub,
        claims: {
          [rolesClaim]: instructorRole,
          ...(course ? { 'https://purl.imsglobal.org/spec/lti/claim/context': course.context } : {}),
          'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiDeepLinkingRequest',
          'https://purl.imsglobal.org/spec/lti/claim/resource_link': undefined,
          'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': {
            deep_link_return_url: `${platform.base}/deep-link-return`,
            ...settings,
          },
        },
      });
      return { agent, res };
    }

    it('an instructor picks a cohort and it goes back to the platform as a signed ltiResourceLink with its custom parameters', async () => {
      // Another course of hers, where the cohort is not placed yet: picking it places it there.
      const { agent, res } = await openPicker(
        { accept_types: ['ltiResourceLink'], data: 'opaque-42' },
        { context: { id: 'course-3', title: 'Course 3' } },
      );
      expect(res.status).to.equal(303);
      const picker = await agent.get(res.headers.location as string).expect(200);
      expect(picker.text).to.include(`value="cohort:${cohort.id}"`);
      const empty = await agent
        .post(res.headers.location as string)
        .type('form')
        .send({ _csrf: csrfFrom(picker.text) });
      expect(empty.status).to.equal(422);
      const back = await agent
        .post(res.headers.location as string)
        .type('form')
        .send({ _csrf: csrfFrom(picker.text), items: [`cohort:${cohort.id}`, `module:${modules[0]!.id}`] })
        .expect(200);
      expect(back.text).to.include(`action="${platform.base}/deep-link-return"`);
      expect(back.text).to.include('type="submit"');
      expect(back.headers['content-security-policy']).to.match(new RegExp(`form-action 'self' ${platform.base}`));
      const jwt = /name="JWT" value="([^"]+)"/.exec(back.text)![1]!;
      const { payload, protectedHeader } = await jwtVerify(jwt, createRemoteJWKSet(new URL(`${tool.base}/lti/jwks`)), {
        issuer: platform.clientId,
        audience: platform.issuer,
      });
      expect(protectedHeader.alg).to.equal('RS256');
      expect(payload['https://purl.imsglobal.org/spec/lti/claim/message_type']).to.equal('LtiDeepLinkingResponse');
      expect(payload['https://purl.imsglobal.org/spec/lti/claim/version']).to.equal('1.3.0');
      expect(payload['https://purl.imsglobal.org/spec/lti/claim/deployment_id']).to.equal(platform.deploymentId);
      expect(payload['https://purl.imsglobal.org/spec/lti-dl/claim/data']).to.equal('opaque-42');
      const items = payload['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as Record<string, unknown>[];
      expect(items.map((i) => i.type)).to.deep.equal(['ltiResourceLink', 'ltiResourceLink']);
      expect(items[0]!.custom).to.deep.equal({ cohort: cohort.id });
      expect(items[1]!.custom).to.deep.include({ module: modules[0]!.id, programme: programme.id });
      expect(items[0]!.url).to.equal(`${tool.base}/lti/launch`);
      // The choice is used up.
      await agent.get(res.headers.location as string).expect(404);
      // The link it made launches a learner of that course into the cohort.
      const learnerSub = nextSub();
      const learner = await launch(supertest.agent(tool.server), {
        sub: learnerSub,
        claims: {
          'https://purl.imsglobal.org/spec/lti/claim/context': { id: 'course-3', title: 'Course 3' },
          [custom]: items[0]!.custom,
        },
      });
      expect(learner.res.headers.location).to.equal(`/programmes/${programme.id}`);
      const learnerLink = (await LtiAccountModel.findOne({ sub: learnerSub }).lean())!;
      expect(await EnrolmentModel.countDocuments({ cohortId: cohort.id, userId: learnerLink.userId })).to.equal(1);
      // The cohort's LMS page names the courses it is placed in.
      const lms = await agent.get(`/cohorts/${cohort.id}/lms`).expect(200);
      expect(lms.text).to.include('Course 3');
      expect(decodeJwt(jwt).nonce).to.be.a('string');
    });

    it('when the picker refuses a choice, it says why beside the choices and keeps what she ticked', async () => {
      // A deep-linking request that names no course: a cohort cannot be placed in it.
      const { agent, res } = await openPicker({ accept_types: ['ltiResourceLink'] }, { context: undefined });
      const picker = await agent.get(res.headers.location as string).expect(200);
      const refused = await agent
        .post(res.headers.location as string)
        .type('form')
        .send({ _csrf: csrfFrom(picker.text), items: [`cohort:${cohort.id}`, `module:${modules[0]!.id}`] })
        .expect(422);
      expect(refused.text).to.include('<a href="#field-items-first">');
      expect(refused.text).to.match(/id="field-items-error">.*a cohort cannot be placed in it/s);
      expect(refused.text).to.include('id="field-items" aria-describedby="field-items-error"');
      expect(refused.text).to.include(`value="cohort:${cohort.id}" checked`);
      expect(refused.text).to.include(`value="module:${modules[0]!.id}" checked`);
      expect(refused.text).to.not.include(`value="module:${modules[1]!.id}" checked`);
    });

    it('when the course takes one item only (accept_multiple false, as Canvas assignment selection), two are refused at the choices and one goes back', async () => {
      const { agent, res } = await openPicker({ accept_types: ['ltiResourceLink'], accept_multiple: false });
      const picker = await agent.get(res.headers.location as string).expect(200);
      expect(picker.text).to.include('Your course takes one item here');
      // The hint is read with the choices it is about.
      expect(picker.text).to.include('id="field-items" aria-describedby="field-items-hint"');
      const two = await agent
        .post(res.headers.location as string)
        .type('form')
        .send({ _csrf: csrfFrom(picker.text), items: [`module:${modules[0]!.id}`, `module:${modules[1]!.id}`] })
        .expect(422);
      expect(two.text).to.match(/id="field-items-error">.*Your course takes one item here/s);
      // She chose two modules: the summary and the message speak of all her choices, not of the Programmes group.
      expect(two.text).to.include('<a href="#field-items-first">Content to add: Your course takes one item here');
      expect(two.text).to.match(/<legend>Content to add<\/legend>\s*<p class="error-message" id="field-items-error">/);
      const one = await agent
        .post(res.headers.location as string)
        .type('form')
        .send({ _csrf: csrfFrom(picker.text), items: [`module:${modules[0]!.id}`] })
        .expect(200);
      const jwt = /name="JWT" value="([^"]+)"/.exec(one.text)![1]!;
      const items = decodeJwt(jwt)['https://purl.imsglobal.org/spec/lti-dl/claim/content_items'] as unknown[];
      expect(items).to.have.length(1);
    });

    it('when the course accepts no LTI links (accept_types), the picker says so instead of sending what it would reject', async () => {
      const { agent, res } = await openPicker({ accept_types: ['file', 'html'] });
      const picker = await agent.get(res.headers.location as string).expect(200);
      const refused = await agent
        .post(res.headers.location as string)
        .type('form')
        .send({ _csrf: csrfFrom(picker.text), items: [`module:${modules[0]!.id}`] })
        .expect(422);
      expect(refused.text).to.match(/id="field-items-error">.*takes only file, html/s);
      expect(refused.text).to.not.include('name="JWT"');
    });

    it("a teacher whose course links her to an existing participant account gets the picker her launch allowed, with her course's cohorts; a researcher account is refused at the launch", async () => {
      const registered = (await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!;
      const deepLinking = {
        [rolesClaim]: instructorRole,
        'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiDeepLinkingRequest',
        'https://purl.imsglobal.org/spec/lti/claim/resource_link': undefined,
        'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': {
          deep_link_return_url: `${platform.base}/deep-link-return`,
          accept_types: ['ltiResourceLink'],
        },
      };
      const teacher = await buildUser({ roles: ['participant'] });
      const sub = nextSub();
      await LtiAccountModel.create({ platformId: registered._id, issuer: platform.issuer, sub, userId: teacher.id });
      const agent = supertest.agent(tool.server);
      const { res } = await launch(agent, { sub, claims: deepLinking });
      expect(res.status).to.equal(303);
      const picker = await agent.get(res.headers.location as string).expect(200);
      // The cohort placed in the course she teaches, and its programme's modules.
      expect(picker.text).to.include(`value="cohort:${cohort.id}"`);
      expect(picker.text).to.include(`value="module:${modules[0]!.id}"`);
      const back = await agent
        .post(res.headers.location as string)
        .type('form')
        .send({ _csrf: csrfFrom(picker.text), items: [`module:${modules[0]!.id}`] })
        .expect(200);
      expect(back.text).to.include('name="JWT"');
      // Her account is not made a Pathways facilitator by it.
      expect((await UserModel.findById(teacher.id).lean())!.roles).to.deep.equal(['participant']);

      const researcher = await buildUser({ roles: ['researcher'] });
      const researcherSub = nextSub();
      await LtiAccountModel.create({
        platformId: registered._id,
        issuer: platform.issuer,
        sub: researcherSub,
        userId: researcher.id,
      });
      const refused = await launch(supertest.agent(tool.server), { sub: researcherSub, claims: deepLinking });
      expect(refused.res.status).to.equal(403);
      expect(refused.res.text).to.include('<code>roles</code>').and.to.include('researcher');
      expect(sessionCookieOf(refused.res)).to.equal(undefined);
    });

    it('a teacher whose deep-linking request first links her existing account lands on the picker once linked', async () => {
      const teacher = await buildUser({ roles: ['facilitator'], email: `dl-link-${Date.now()}@example.org` });
      const agent = supertest.agent(tool.server);
      const { res } = await launch(agent, {
        sub: nextSub(),
        claims: {
          email: teacher.email,
          [rolesClaim]: instructorRole,
          'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiDeepLinkingRequest',
          'https://purl.imsglobal.org/spec/lti/claim/resource_link': undefined,
          'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': {
            deep_link_return_url: `${platform.base}/deep-link-return`,
          },
        },
      });
      expect(res.status).to.equal(200);
      const linkPath = /href="(\/lti\/link\/[^"]+)"/.exec(res.text)![1]!;
      const loginPage = await agent.get('/login').expect(200);
      await agent
        .post('/login')
        .type('form')
        .send({ email: teacher.email, password: testPassword, _csrf: csrfFrom(loginPage.text) })
        .expect(303);
      const confirm = await agent.get(linkPath).expect(200);
      const linked = await agent
        .post(linkPath)
        .type('form')
        .send({ _csrf: csrfFrom(confirm.text) })
        .expect(303);
      expect(linked.headers.location).to.match(/^\/lti\/deep-link\//);
      const picker = await agent.get(linked.headers.location as string).expect(200);
      expect(picker.text).to.include('Add Pathways content to your course');
      // Opening the picker made her facilitator of nothing.
      expect(await CohortModel.countDocuments({ facilitatorIds: teacher.id })).to.equal(0);
    });

    it('a deep-linking request whose return URL is not a web address is refused at launch, naming the check', async () => {
      for (const url of ['not a url', 'javascript:alert(1)']) {
        const { res } = await launch(supertest.agent(tool.server), {
          sub: nextSub(),
          roles: instructorRole,
          claims: {
            'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiDeepLinkingRequest',
            'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': { deep_link_return_url: url },
          },
        });
        expect(res.status, url).to.equal(400);
        expect(res.text).to.include('not a web address');
      }
    });

    it('a name the LMS sends longer than a name may be is kept to its first 120 characters', async () => {
      const sub = nextSub();
      await launch(supertest.agent(tool.server), { sub, claims: { name: 'Ngozi '.repeat(10_000) } });
      const link = (await LtiAccountModel.findOne({ sub }).lean())!;
      const name = (await UserModel.findById(link.userId).lean())!.name;
      expect([...name].length).to.be.at.most(120);
      expect(name.startsWith('Ngozi Ngozi')).to.equal(true);
    });

    it('a learner cannot open a deep-linking request', async () => {
      const { res } = await launch(supertest.agent(tool.server), {
        sub: nextSub(),
        claims: {
          'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiDeepLinkingRequest',
          'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': {
            deep_link_return_url: `${platform.base}/r`,
          },
        },
      });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('teaching assistant');
      expect(sessionCookieOf(res)).to.equal(undefined);
    });
  });

  describe('correcting a registration (admin)', () => {
    const lms = new SimulatedPlatform();
    let lmsId: string;
    let course: { id: string };
    before(async () => {
      await lms.start(tool.base);
      lmsId = (
        await supertest(tool.server)
          .post('/api/v1/lti/platforms')
          .set(adminAuth)
          .send({ ...lms.registration, name: 'Trust LMS' })
          .expect(201)
      ).body.id;
      course = await buildCohort(programme.id);
      const placer = await buildUser({ roles: ['facilitator'] });
      await placeCohortsInCourse({
        course: { platformId: new Types.ObjectId(lmsId), deploymentId: lms.deploymentId, contextId: 'course-1' },
        cohortIds: [course.id],
        placedBy: placer.id,
      });
    });
    after(() => lms.stop());

    /** A launch from `lms` into its course (where `course` is placed), signed with `key` (its published key unless named). */
    async function launchFromLms(sub: string, key = lms.key) {
      const agent = supertest.agent(tool.server);
      const login = await agent
        .get('/lti/login')
        .query({
          iss: lms.issuer,
          login_hint: 'hint-1',
          target_link_uri: `${tool.base}/lti/launch`,
          client_id: lms.clientId,
          lti_deployment_id: lms.deploymentId,
        })
        .expect(302);
      const location = new URL(login.headers.location as string);
      const idToken = await lms.idToken({ nonce: location.searchParams.get('nonce')!, sub, key });
      return agent
        .post('/lti/launch')
        .type('form')
        .send({ id_token: idToken, state: location.searchParams.get('state') });
    }
    const patch = (body: Record<string, unknown>, auth = adminAuth) =>
      supertest(tool.server).patch(`/api/v1/lti/platforms/${lmsId}`).set(auth).send(body);
    const stored = async () => (await LtiPlatformModel.findById(lmsId).lean())!;

    it("an admin corrects a registration over the API (its name, Brightspace's token audience): its people keep their links, its courses their cohorts, and launches and grades go on; a stale version is a 409, bad fields a 422, the issuer or client id cannot change", async () => {
      const sub = nextSub();
      expect((await launchFromLms(sub)).status).to.equal(303);
      const link = (await LtiAccountModel.findOne({ platformId: lmsId, sub }).lean())!;
      const placements = await LtiCoursePlacementModel.find({ platformId: lmsId }).lean();
      expect(placements).to.have.length(1);
      const { version } = (
        await supertest(tool.server).get('/api/v1/lti/platforms').set(adminAuth).expect(200)
      ).body.items.find((p: { id: string }) => p.id === lmsId);

      const audience = 'https://api.brightspace.com/auth/token';
      const saved = await patch({ name: 'Trust Brightspace', authTokenAudience: audience, version }).expect(200);
      expect(saved.body).to.include({
        id: lmsId,
        name: 'Trust Brightspace',
        authTokenAudience: audience,
        issuer: lms.issuer,
      });
      expect(saved.body.version).to.equal(version + 1);
      const event = (await AuditEventModel.findOne({ action: 'lti-platform-changed', targetId: lmsId }).lean())!;
      expect(event.detail).to.equal(`${lms.issuer} ${lms.clientId}: name, authTokenAudience`);

      // Over the version read before that save: refused whole.
      const stale = await patch({ name: 'Someone else’s name', version }).expect(409);
      expect(stale.body.detail).to.include('saved again after the version you sent');
      expect((await stored()).name).to.equal('Trust Brightspace');

      const bad = await patch({ jwksUrl: 'ftp://lms.example.org/jwks', deploymentIds: [], name: '\u202eLMS' }).expect(
        422,
      );
      expect(bad.body.errors.map((e: { path: string }) => e.path)).to.have.members([
        'jwksUrl',
        'deploymentIds',
        'name',
      ]);
      // The issuer and client id are what links belong to: sent back unchanged they pass, changed they are refused.
      for (const identity of [{ issuer: `${lms.issuer}/elsewhere` }, { clientId: 'another-client' }]) {
        const refused = await patch({ ...identity, name: 'Renamed' }).expect(422);
        expect(refused.body.errors).to.deep.equal([
          {
            path: Object.keys(identity)[0],
            message: "cannot be changed: its people's links and its courses' placements belong to it",
          },
        ]);
      }
      await patch({ issuer: lms.issuer, clientId: lms.clientId }).expect(200);
      expect((await stored()).name).to.equal('Trust Brightspace');
      const facilitator = await buildUser({ roles: ['facilitator'] });
      await patch({ name: 'Mine' }, { Authorization: `Bearer ${await tokenFor(facilitator)}` }).expect(403);
      await supertest(tool.server)
        .patch(`/api/v1/lti/platforms/${new Types.ObjectId()}`)
        .set(adminAuth)
        .send({ name: 'Nobody' })
        .expect(404);

      // Links and placements are where they were; her next launch opens her account in the placed cohort.
      expect(await LtiCoursePlacementModel.find({ platformId: lmsId }).lean()).to.deep.equal(placements);
      expect((await launchFromLms(sub)).status).to.equal(303);
      expect(await LtiAccountModel.find({ platformId: lmsId, sub }).lean()).to.have.length(1);
      expect(String((await LtiAccountModel.findOne({ platformId: lmsId, sub }).lean())!.userId)).to.equal(
        String(link.userId),
      );
      expect(
        await EnrolmentModel.countDocuments({ cohortId: course.id, userId: link.userId, status: 'active' }),
      ).to.equal(1);
      // The token endpoint that wants Brightspace's audience takes the corrected registration's assertions.
      lms.tokenAudience = audience;
      try {
        expect(await serviceToken(await stored(), [scope.score])).to.be.a('string');
        expect(lms.assertions.at(-1)).to.include({ aud: audience });
        // Taken away (null), the token URL is the audience again.
        expect((await patch({ authTokenAudience: null }).expect(200)).body).to.not.have.property('authTokenAudience');
        lms.tokenAudience = undefined;
        expect(await serviceToken(await stored(), [scope.score])).to.be.a('string');
        expect(lms.assertions.at(-1)).to.include({ aud: `${lms.base}/token` });
      } finally {
        lms.tokenAudience = undefined;
      }
    });

    it('the edit page corrects a registration with the rules of the register form, shows the issuer and client id without fields, and comes back with her changes when someone saved meanwhile', async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(tool.server, admin.email, testPassword);
      expect((await agent.get('/admin/lti').expect(200)).text).to.include(`href="/admin/lti/platforms/${lmsId}/edit"`);
      const page = await agent.get(`/admin/lti/platforms/${lmsId}/edit`).expect(200);
      const before = await stored();
      expect(page.text)
        .to.include(`<code>${lms.clientId}</code>`)
        .and.include(`name="version" value="${before.version ?? ''}"`)
        .and.include(`value="${before.authLoginUrl}"`)
        .and.not.include('name="issuer"')
        .and.not.include('name="clientId"');
      const fields = {
        _csrf: csrfFrom(page.text),
        version: String(before.version ?? ''),
        name: 'Trust LMS (corrected)',
        authLoginUrl: before.authLoginUrl,
        authTokenUrl: before.authTokenUrl,
        authTokenAudience: '',
        jwksUrl: before.jwksUrl,
        deploymentIds: `${lms.deploymentId}\ndeployment-b`,
      };
      const bad = await agent
        .post(`/admin/lti/platforms/${lmsId}/edit`)
        .type('form')
        .send({ ...fields, authTokenUrl: 'http://lms.example.org/token', deploymentIds: ' ' })
        .expect(422);
      expect(bad.text)
        .to.include('id="field-authTokenUrl-error"')
        .and.include('id="field-deploymentIds-error"')
        .and.include('value="Trust LMS (corrected)"');
      expect((await stored()).name).to.equal(before.name);

      // Another admin saves over the API meanwhile: her save is refused, her changes shown with the version now stored.
      await patch({ name: 'Saved by another admin' }).expect(200);
      const conflict = await agent.post(`/admin/lti/platforms/${lmsId}/edit`).type('form').send(fields).expect(409);
      const now = await stored();
      expect(now.name).to.equal('Saved by another admin');
      expect(conflict.text)
        .to.include('This registration was saved again after you opened it')
        .and.include('value="Trust LMS (corrected)"')
        .and.include(`name="version" value="${now.version}"`);
      await agent
        .post(`/admin/lti/platforms/${lmsId}/edit`)
        .type('form')
        .send({ ...fields, version: String(now.version) })
        .expect(303);
      const after = await stored();
      expect(after).to.include({ name: 'Trust LMS (corrected)', issuer: lms.issuer, clientId: lms.clientId });
      expect(after.deploymentIds).to.deep.equal([lms.deploymentId, 'deployment-b']);
      expect(after.authTokenAudience).to.equal(undefined);
      expect(
        await AuditEventModel.countDocuments({ action: 'lti-platform-changed', targetId: lmsId, actorId: admin.id }),
      ).to.equal(1);

      const participant = await signIn(tool.server, (await buildUser()).email, testPassword);
      await participant.get(`/admin/lti/platforms/${lmsId}/edit`).expect(403);
      const other = await participant.get('/account').expect(200);
      await participant
        .post(`/admin/lti/platforms/${lmsId}/edit`)
        .type('form')
        .send({ ...fields, _csrf: csrfFrom(other.text), version: '', name: 'Hijacked' })
        .expect(403);
      expect((await stored()).name).to.equal('Trust LMS (corrected)');
    });

    it('a new key set URL is the only one whose keys launches are verified with: keys cached from the old URL (by any process) verify nothing', async () => {
      const moved = new SimulatedPlatform();
      await moved.start(tool.base);
      try {
        const oldUrl = (await stored()).jwksUrl;
        // Her first launch caches the LMS's keys, fetched a moment ago: within jose's cooldown, nothing is refetched.
        const sub = nextSub();
        expect((await launchFromLms(sub)).status).to.equal(303);
        expect((await stored()).jwksCache).to.have.property('uat');
        await patch({ jwksUrl: `${moved.base}/jwks` }).expect(200);
        // Signed with the key only the old URL publishes: refused.
        const withOldKey = await launchFromLms(sub);
        expect(withOldKey.status).to.equal(401);
        expect(withOldKey.text).to.include('kid');
        // Signed with the key the new URL publishes: accepted, and that set is what is cached now.
        expect((await launchFromLms(sub, moved.key)).status).to.equal(303);
        expect((await stored()).jwksCache).to.include({ url: `${moved.base}/jwks` });
        // A set of the old URL stored meanwhile (a process that fetched it as the change was saved) is not used.
        await LtiPlatformModel.updateOne(
          { _id: lmsId },
          { $set: { jwksCache: { uat: Date.now(), jwks: { keys: [lms.key.publicJwk] }, url: oldUrl } } },
        );
        expect((await launchFromLms(sub)).status).to.equal(401);
      } finally {
        await patch({ jwksUrl: lms.registration.jwksUrl }).expect(200);
        await moved.stop();
      }
    });
  });

  describe('registration and keys (admin)', () => {
    it('refuses bad registrations with field errors, non-admins with 403, and lists and deletes platforms', async () => {
      const bad = await supertest(tool.server)
        .post('/api/v1/lti/platforms')
        .set(adminAuth)
        .send({ ...platform.registration, clientId: '', jwksUrl: 'http://lms.example.org/jwks', deploymentIds: [] });
      expect(bad.status).to.equal(422);
      expect(bad.headers['content-type']).to.include('application/problem+json');
      expect(bad.body.errors.map((e: { path: string }) => e.path)).to.include.members([
        'clientId',
        'jwksUrl',
        'deploymentIds',
      ]);
      // An issuer a launch could never name (not a URL, or with a query) is refused at the field.
      for (const [issuer, says] of [
        ['not a url', 'must be an https:// URL'],
        ['https://lms.example.org/?tenant=1', 'must have no query (?) or fragment (#)'],
      ]) {
        const refused = await supertest(tool.server)
          .post('/api/v1/lti/platforms')
          .set(adminAuth)
          .send({ ...platform.registration, issuer, clientId: 'issuer-check' })
          .expect(422);
        expect(refused.body.errors).to.have.length(1);
        expect(refused.body.errors[0]).to.include({ path: 'issuer' });
        expect(refused.body.errors[0].message).to.include(says);
      }
      expect(await LtiPlatformModel.countDocuments({ clientId: 'issuer-check' })).to.equal(0);
      // The same issuer and client id again clashes with what is stored: a 409 problem, not a field that breaks a rule.
      const dup = await supertest(tool.server).post('/api/v1/lti/platforms').set(adminAuth).send(platform.registration);
      expect(dup.status).to.equal(409);
      expect(dup.headers['content-type']).to.include('application/problem+json');
      expect(dup.body.detail).to.equal('This platform (issuer and client id) is registered already.');
      expect(await LtiPlatformModel.countDocuments({ issuer: platform.issuer, clientId: platform.clientId })).to.equal(
        1,
      );
      const someone = await buildUser({ roles: ['facilitator'] });
      await supertest(tool.server)
        .post('/api/v1/lti/platforms')
        .set({ Authorization: `Bearer ${await tokenFor(someone)}` })
        .send({ ...platform.registration, clientId: 'x' })
        .expect(403);
      const created = await supertest(tool.server)
        .post('/api/v1/lti/platforms')
        .set(adminAuth)
        .send({ ...platform.registration, name: 'Canvas', clientId: 'to-delete' })
        .expect(201);
      const list = await supertest(tool.server).get('/api/v1/lti/platforms').set(adminAuth).expect(200);
      expect(list.body.items.map((p: { clientId: string }) => p.clientId)).to.include('to-delete');
      await supertest(tool.server).delete(`/api/v1/lti/platforms/${created.body.id}`).set(adminAuth).expect(204);
      await supertest(tool.server).delete(`/api/v1/lti/platforms/${created.body.id}`).set(adminAuth).expect(404);
    });

    it('a client id and deployment ids are held to the rule of written text: a NUL, half a surrogate pair, a direction override or only invisible characters is refused at its field, when registered and when a deployment is added', async () => {
      for (const [clientId, says] of [
        ['a\u0000b', 'contains a control character'],
        ['\u202eevil', 'must not contain a text-direction override'],
        ['\u200b\u200b', 'is required: it has only spaces or invisible characters'],
      ]) {
        const refused = await supertest(tool.server)
          .post('/api/v1/lti/platforms')
          .set(adminAuth)
          .send({ ...platform.registration, name: 'Identifier check', clientId })
          .expect(422);
        expect(refused.body.errors).to.have.length(1);
        expect(refused.body.errors[0]).to.include({ path: 'clientId' });
        expect(refused.body.errors[0].message).to.include(says);
      }
      const deployments = await supertest(tool.server)
        .post('/api/v1/lti/platforms')
        .set(adminAuth)
        .send({
          ...platform.registration,
          name: 'Identifier check',
          clientId: 'identifier-check',
          deploymentIds: ['a\u0000b', '\u200b', '\ud800'],
        })
        .expect(422);
      expect(deployments.body.errors.map((e: { path: string }) => e.path)).to.deep.equal([
        'deploymentIds.0',
        'deploymentIds.1',
        'deploymentIds.2',
      ]);
      expect(await LtiPlatformModel.countDocuments({ name: 'Identifier check' })).to.equal(0);
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(tool.server, admin.email, testPassword);
      const id = String((await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!._id);
      const form = await agent.get(`/admin/lti/platforms/${id}/deployments`).expect(200);
      const added = await agent
        .post(`/admin/lti/platforms/${id}/deployments`)
        .type('form')
        .send({ _csrf: csrfFrom(form.text), deploymentId: '\u200b\u2060' })
        .expect(422);
      expect(added.text).to.include('id="field-deploymentId-error"').and.include('it has only spaces or invisible');
      expect((await LtiPlatformModel.findById(id).lean())!.deploymentIds).to.not.include('\u200b\u2060');
    });

    it("a platform whose token endpoint names another audience (Brightspace) is registered with it, on the form or the API, and its service tokens' assertions carry it; the token URL otherwise", async () => {
      const brightspace = new SimulatedPlatform();
      brightspace.tokenAudience = 'https://api.brightspace.com/auth/token';
      await brightspace.start(tool.base);
      try {
        const tokenFrom = async (platformId: string) =>
          serviceToken((await LtiPlatformModel.findById(platformId).lean())!, [scope.score]);
        // Without the audience the platform refuses the assertion, as Brightspace does (invalid_client).
        const plain = await supertest(tool.server)
          .post('/api/v1/lti/platforms')
          .set(adminAuth)
          .send({ ...brightspace.registration, issuer: `${brightspace.issuer}/another-tenant` })
          .expect(201);
        expect(plain.body).to.not.have.property('authTokenAudience');
        let refused: unknown;
        await tokenFrom(plain.body.id).catch((e) => (refused = e));
        expect((refused as Error).message).to.include('invalid_client');

        const notAUrl = await supertest(tool.server)
          .post('/api/v1/lti/platforms')
          .set(adminAuth)
          .send({ ...brightspace.registration, authTokenAudience: 'api.brightspace.com/auth/token' })
          .expect(422);
        expect(notAUrl.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['authTokenAudience']);
        const created = await supertest(tool.server)
          .post('/api/v1/lti/platforms')
          .set(adminAuth)
          .send({ ...brightspace.registration, authTokenAudience: brightspace.tokenAudience })
          .expect(201);
        expect(created.body).to.include({ authTokenAudience: brightspace.tokenAudience });
        expect(await tokenFrom(created.body.id)).to.be.a('string');
        expect(brightspace.assertions.at(-1)).to.include({
          iss: created.body.clientId,
          aud: 'https://api.brightspace.com/auth/token',
        });

        // The admin form: shown with the registration; left empty, the token URL is the audience.
        const admin = await buildUser({ roles: ['admin'] });
        const agent = await signIn(tool.server, admin.email, testPassword);
        const { deploymentIds, ...fields } = brightspace.registration;
        const register = async (clientId: string, authTokenAudience: string) => {
          const page = await agent.get('/admin/lti').expect(200);
          await agent
            .post('/admin/lti/platforms')
            .type('form')
            .send({
              _csrf: csrfFrom(page.text),
              ...fields,
              clientId,
              authTokenAudience,
              deploymentIds: deploymentIds.join('\n'),
            })
            .expect(303);
          return (await LtiPlatformModel.findOne({ issuer: brightspace.issuer, clientId }).lean())!;
        };
        const byForm = await register('form-audience', brightspace.tokenAudience);
        expect(byForm.authTokenAudience).to.equal(brightspace.tokenAudience);
        expect((await agent.get('/admin/lti').expect(200)).text).to.include(
          'Token audience: <code>https://api.brightspace.com/auth/token</code>',
        );
        const emptyField = await register('form-no-audience', '');
        expect(emptyField.authTokenAudience).to.equal(undefined);
        brightspace.tokenAudience = undefined;
        brightspace.clientId = 'form-no-audience';
        expect(await tokenFrom(String(emptyField._id))).to.be.a('string');
        expect(brightspace.assertions.at(-1)).to.include({ aud: `${brightspace.base}/token` });
      } finally {
        await brightspace.stop();
      }
    });

    it('a platform name is held to the rule of other names: one of only invisible characters, or with a direction override or a NUL, is refused at its field, in the API and on the admin page', async () => {
      for (const [name, says] of [
        [' \u200b\u2060\u034f ', 'is required: it has only spaces or invisible characters'],
        ['\u202eMoodle', 'must not contain a text-direction override'],
        ['Moodle\u0000', 'contains a control character'],
        ['M'.repeat(121), 'must be at most 120 characters'],
      ]) {
        const refused = await supertest(tool.server)
          .post('/api/v1/lti/platforms')
          .set(adminAuth)
          .send({ ...platform.registration, name, clientId: 'name-check' })
          .expect(422);
        expect(refused.body.errors).to.have.length(1);
        expect(refused.body.errors[0]).to.include({ path: 'name' });
        expect(refused.body.errors[0].message).to.include(says);
      }
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(tool.server, admin.email, testPassword);
      const page = await agent.get('/admin/lti').expect(200);
      const form = await agent
        .post('/admin/lti/platforms')
        .type('form')
        .send({
          _csrf: csrfFrom(page.text),
          ...platform.registration,
          name: '\u200b\u200b',
          clientId: 'name-check',
          deploymentIds: platform.registration.deploymentIds.join('\n'),
        })
        .expect(422);
      expect(form.text).to.include('field-name-error').and.include('it has only spaces or invisible characters');
      expect(await LtiPlatformModel.countDocuments({ clientId: 'name-check' })).to.equal(0);
    });

    it("the admin page shows the tool's values to paste into the LMS", async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(tool.server, admin.email, testPassword);
      const page = await agent.get('/admin/lti').expect(200);
      for (const path of ['/lti/login', '/lti/launch', '/lti/jwks'])
        expect(page.text).to.include(`${tool.base}${path}`);
      expect(page.text).to.include('Simulated LMS');
      const bad = await agent
        .post('/admin/lti/platforms')
        .type('form')
        .send({
          _csrf: csrfFrom(page.text),
          name: 'X',
          issuer: 'i',
          clientId: 'c',
          authLoginUrl: 'ftp://x',
          authTokenUrl: '',
          jwksUrl: '',
          deploymentIds: '',
        });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('There is a problem');
    });

    it("an admin adds the deployment id of the LMS's new deployment to its registration: launches from it are accepted and everyone keeps their link", async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(tool.server, admin.email, testPassword);
      const registered = (await LtiPlatformModel.findOne({ issuer: platform.issuer }).lean())!;
      const id = String(registered._id);
      const sub = nextSub();
      expect((await launch(supertest.agent(tool.server), { sub })).res.status).to.equal(303);
      const linked = (await LtiAccountModel.findOne({ sub }).lean())!;
      const newDeployment = { 'https://purl.imsglobal.org/spec/lti/claim/deployment_id': 'deployment-2' };
      expect((await launch(supertest.agent(tool.server), { sub, claims: newDeployment })).res.status).to.equal(403);
      const list = await agent.get('/admin/lti').expect(200);
      expect(list.text).to.include(`href="/admin/lti/platforms/${id}/deployments"`);
      const form = await agent.get(`/admin/lti/platforms/${id}/deployments`).expect(200);
      const empty = await agent
        .post(`/admin/lti/platforms/${id}/deployments`)
        .type('form')
        .send({ _csrf: csrfFrom(form.text), deploymentId: ' ' })
        .expect(422);
      expect(empty.text).to.include('id="field-deploymentId-error"');
      // Its message reads after the field's label, once: "Deployment id: must be …", not "Deployment id: Deployment id …".
      const long = await agent
        .post(`/admin/lti/platforms/${id}/deployments`)
        .type('form')
        .send({ _csrf: csrfFrom(form.text), deploymentId: 'd'.repeat(600) })
        .expect(422);
      expect(long.text).to.include('must be at most 500 characters').and.not.include('Deployment id must');
      await agent
        .post(`/admin/lti/platforms/${id}/deployments`)
        .type('form')
        .send({ _csrf: csrfFrom(form.text), deploymentId: ' deployment-2 ' })
        .expect(303);
      expect((await LtiPlatformModel.findById(id).lean())!.deploymentIds).to.deep.equal([
        platform.deploymentId,
        'deployment-2',
      ]);
      expect((await launch(supertest.agent(tool.server), { sub, claims: newDeployment })).res.status).to.equal(303);
      expect(String((await LtiAccountModel.findOne({ sub }).lean())!.userId)).to.equal(String(linked.userId));
      const participant = await signIn(tool.server, (await buildUser()).email, testPassword);
      await participant.get(`/admin/lti/platforms/${id}/deployments`).expect(403);
      const other = await participant.get('/account').expect(200);
      await participant
        .post(`/admin/lti/platforms/${id}/deployments`)
        .type('form')
        .send({ _csrf: csrfFrom(other.text), deploymentId: 'deployment-3' })
        .expect(403);
      expect((await LtiPlatformModel.findById(id).lean())!.deploymentIds).to.not.include('deployment-3');
    });

    it('the admin page asks before deleting a registration: a press without the confirmation deletes nothing', async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(tool.server, admin.email, testPassword);
      const created = await supertest(tool.server)
        .post('/api/v1/lti/platforms')
        .set(adminAuth)
        .send({ ...platform.registration, name: 'Trust Moodle', clientId: 'ask-first' })
        .expect(201);
      const id = created.body.id as string;
      const list = await agent.get('/admin/lti').expect(200);
      expect(list.text).to.include(`href="/admin/lti/platforms/${id}/delete"`);
      const ask = await agent.get(`/admin/lti/platforms/${id}/delete`).expect(200);
      expect(ask.text)
        .to.include('Trust Moodle')
        .and.to.include('<label class="checkbox"><input type="checkbox" id="field-confirm"');
      const unconfirmed = await agent
        .post(`/admin/lti/platforms/${id}/delete`)
        .type('form')
        .send({ _csrf: csrfFrom(ask.text) })
        .expect(422);
      expect(unconfirmed.text).to.include('<a href="#field-confirm">').and.to.include('id="field-confirm-error"');
      expect(await LtiPlatformModel.countDocuments({ _id: id })).to.equal(1);
      await agent
        .post(`/admin/lti/platforms/${id}/delete`)
        .type('form')
        .send({ _csrf: csrfFrom(ask.text), confirm: 'yes' })
        .expect(303);
      expect(await LtiPlatformModel.countDocuments({ _id: id })).to.equal(0);
      await agent.get(`/admin/lti/platforms/${id}/delete`).expect(404);
      const participant = await signIn(tool.server, (await buildUser()).email, testPassword);
      await participant.get(`/admin/lti/platforms/${id}/delete`).expect(403);
    });

    it('a deployment id too long is shown once, at the deployment ids field, with what she typed kept', async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(tool.server, admin.email, testPassword);
      const page = await agent.get('/admin/lti').expect(200);
      const long = 'd'.repeat(501);
      const res = await agent
        .post('/admin/lti/platforms')
        .type('form')
        .send({
          ...platform.registration,
          _csrf: csrfFrom(page.text),
          name: 'Long deployments',
          clientId: 'long-deployments',
          deploymentIds: `1\n${long}\n${long}`,
        })
        .expect(422);
      expect([...res.text.matchAll(/<li><a href="#([^"]+)">/g)].map((m) => m[1])).to.deep.equal([
        'field-deploymentIds',
      ]);
      expect(res.text).to.match(/id="field-deploymentIds-error">.*each must be at most 500 characters/s);
      expect(res.text).to.include(`${long}\n${long}</textarea>`);
      expect(await LtiPlatformModel.countDocuments({ clientId: 'long-deployments' })).to.equal(0);
    });

    it('when the admin form registers a platform twice, it answers 409 with the message at the client id and keeps what she typed', async () => {
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(tool.server, admin.email, testPassword);
      const page = await agent.get('/admin/lti').expect(200);
      const { deploymentIds, ...fields } = platform.registration;
      const dup = await agent
        .post('/admin/lti/platforms')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), ...fields, name: 'Typed again', deploymentIds: deploymentIds.join('\n') });
      expect(dup.status).to.equal(409);
      expect(dup.text).to.match(
        /id="field-clientId-error">.*This platform \(issuer and client id\) is registered already\./s,
      );
      expect(dup.text).to.include('value="Typed again"');
      expect(await LtiPlatformModel.countDocuments({ issuer: platform.issuer, clientId: platform.clientId })).to.equal(
        1,
      );
    });

    it('rotating the key keeps the old one published, and new signatures use the new one', async () => {
      const before = await toolJwks();
      const { kid } = await rotateToolKey();
      const after = await toolJwks();
      expect(after.keys.map((k) => k.kid)).to.include.members([...before.keys.map((k) => k.kid), kid]);
      const old = await toolJwks(new Date(Date.now() + 8 * 24 * 60 * 60 * 1000));
      expect(old.keys.map((k) => k.kid)).to.deep.equal([kid]);
    });

    it('six rotations at once all answer; the ones that lost are told the key already changed', async () => {
      const before = await toolJwks();
      const results = await Promise.all(Array.from({ length: 6 }, () => rotateToolKey()));
      const applied = results.filter((r) => r.rotatedNow);
      expect(applied.length).to.be.at.least(1);
      const after = await toolJwks();
      // Every key that became current is published, and nothing else was added.
      expect(after.keys.length).to.equal(before.keys.length + applied.length);
      const published = after.keys.map((k) => k.kid);
      for (const r of results) expect(published).to.include(r.kid);
      const winners = new Set(applied.map((r) => r.kid));
      for (const r of results.filter((x) => !x.rotatedNow)) expect(winners.has(r.kid)).to.equal(true);
    });
  });
});
