import { expect } from 'chai';
import { CohortModel } from '../../models/Cohort.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { UserModel } from '../../models/User.ts';
import { updateOwnDetails } from '../../server/services/accounts/details.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { namesFollowAccounts } from '../../server/services/accounts/nameCopies.ts';
import { enrolParticipant, getRegister, recordAttendance } from '../../server/services/cohorts/index.ts';
import { nameAllParticipants, nameParticipantAfresh } from '../../server/services/cohorts/participantNames.ts';
import { cohortProgress } from '../../server/services/learning/progress.ts';
import { eraseAccount } from '../../server/services/privacy/erase.ts';
import '../../server/subscriptions.ts';
import { signIn, testApp } from '../support/app.ts';
import { buildCohort, buildSession } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword, type TestUser } from '../support/factories.ts';

/**
 * The participants' names a register, an attendance report and a progress view read from the enrolments instead of
 * the accounts (README "Derived records"): whatever renames land, together or after a stopped process, the name a
 * reader sees once they have returned is the one her account has.
 */
describe('cohorts: the names registers and reports read from enrolments are kept right', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let admin: TestUser;
  let facilitator: TestUser;
  before(async () => {
    app = testApp();
  });
  beforeEach(async () => {
    admin = await buildUser({ roles: ['admin'], name: 'Adaeze Admin' });
    facilitator = await buildUser({ roles: ['facilitator'], name: 'Farah Facilitator' });
  });

  const actor = (u: TestUser) => ({ id: u.id, name: u.name, roles: u.roles }) as unknown as Express.User;
  const adminActor = () => ({ id: admin.id, name: admin.name });

  async function cohortWith(...names: string[]) {
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id], capacity: 40 });
    const people: TestUser[] = [];
    for (const name of names) {
      const person = await buildUser({ roles: ['participant'], name });
      await enrolParticipant({ actor: actor(facilitator), cohortId: String(cohort._id), userId: person.id });
      people.push(person);
    }
    const session = await buildSession(cohort._id);
    return { cohort, people, session };
  }
  const copyOf = async (userId: string) =>
    (await EnrolmentModel.find({ userId }, { participantName: 1 }).lean()).map((e) => e.participantName);
  const registerNames = async (sessionId: unknown) =>
    (await getRegister({ actor: actor(facilitator), sessionId: String(sessionId) })).rows.map((r) => r.name);

  it('enrolling names her on her enrolment; the register, the attendance report and the progress view show it', async () => {
    const { cohort, people, session } = await cohortWith('Zainab Yusuf', 'Aisha Bello');
    expect(await copyOf(people[0]!.id)).to.deep.equal(['Zainab Yusuf']);
    expect(await registerNames(session._id)).to.deep.equal(['Aisha Bello', 'Zainab Yusuf']);
    const progress = await cohortProgress(String(cohort._id));
    expect(progress.rows.map((r) => r.name)).to.deep.equal(['Aisha Bello', 'Zainab Yusuf']);
    const agent = await signIn(app, facilitator.email, testPassword);
    const report = (await agent.get(`/cohorts/${cohort._id}/attendance`).expect(200)).text;
    expect(report).to.include('Aisha Bello').and.to.include('Zainab Yusuf');
  });

  it('renamed by herself or by an admin, or erased, she is named as her account is, on every enrolment of hers', async () => {
    const first = await cohortWith('Grace Okafor');
    const grace = first.people[0]!;
    const second = await buildCohort({ facilitatorIds: [facilitator.id] });
    await enrolParticipant({ actor: actor(facilitator), cohortId: String(second._id), userId: grace.id });

    await updateOwnDetails({ actor: { id: grace.id, name: grace.name }, changes: { name: 'Grace Okafor-Reid' } });
    expect(await copyOf(grace.id)).to.deep.equal(['Grace Okafor-Reid', 'Grace Okafor-Reid']);
    expect(await registerNames(first.session._id)).to.deep.equal(['Grace Okafor-Reid']);

    await updateUserAsAdmin({ actor: adminActor(), userId: grace.id, changes: { name: 'Grace O. Reid' } });
    expect(await copyOf(grace.id)).to.deep.equal(['Grace O. Reid', 'Grace O. Reid']);

    await eraseAccount({ actor: adminActor(), userId: grace.id, bySelf: false });
    expect(await copyOf(grace.id)).to.deep.equal(['Former member', 'Former member']);
    // Erasure keeps her row on the register (the cohort's counts stay true), without her name.
    expect(await registerNames(first.session._id)).to.deep.equal(['Former member']);
  });

  it('renames all at once, with repairs beside them, end with the name each account has', async () => {
    const { people, session } = await cohortWith('One', 'Two', 'Three', 'Four');
    await Promise.all([
      ...people.flatMap((p, i) => [
        updateOwnDetails({ actor: { id: p.id, name: p.name }, changes: { name: `${p.name} (a)` } }).catch(() => null),
        updateUserAsAdmin({ actor: adminActor(), userId: p.id, changes: { name: `Person ${i} (b)` } }).catch(
          () => null,
        ),
      ]),
      nameAllParticipants(),
      nameParticipantAfresh(people[0]!.id),
    ]);
    const accounts = await UserModel.find({ _id: { $in: people.map((p) => p.id) } }, { name: 1 }).lean();
    const expected = accounts.map((a) => a.name).sort((a, b) => a.localeCompare(b));
    expect(await registerNames(session._id)).to.deep.equal(expected);
  });

  /** The next copy of a name to enrolments fails, as when its process stops there (after the account's write). */
  function stopAtTheEnrolmentsCopy(): () => void {
    const model = EnrolmentModel as unknown as Record<string, unknown>;
    const original = model.updateMany as (...args: unknown[]) => unknown;
    model.updateMany = function (this: unknown, ...args: unknown[]) {
      if (!JSON.stringify(args[0]).includes('participantNameVersion')) return original.apply(this, args);
      model.updateMany = original;
      throw new Error('the process stopped');
    };
    return () => void (model.updateMany = original);
  }

  it('a rename or an erasure whose process stopped before every copy was written: the maintenance repair names her as her account does, and only then stops looking', async () => {
    const { people, session } = await cohortWith('Hana Sato', 'Ife Ojo');
    const [hana, ife] = people as [TestUser, TestUser];
    const restore = stopAtTheEnrolmentsCopy();
    try {
      await updateOwnDetails({ actor: { id: hana.id, name: hana.name }, changes: { name: 'Hana Sato-Kim' } }).then(
        () => expect.fail('the rename should have stopped'),
        (error: Error) => expect(error.message).to.equal('the process stopped'),
      );
    } finally {
      restore();
    }
    // Her account has the new name; her enrolment still the former one, and saving the same name again changes nothing.
    expect(await copyOf(hana.id)).to.deep.equal(['Hana Sato']);
    await updateOwnDetails({ actor: { id: hana.id, name: 'Hana Sato-Kim' }, changes: { name: 'Hana Sato-Kim' } });
    expect(await copyOf(hana.id)).to.deep.equal(['Hana Sato']);

    const restoreAgain = stopAtTheEnrolmentsCopy();
    try {
      await eraseAccount({ actor: adminActor(), userId: ife.id, bySelf: false }).catch(() => undefined);
    } finally {
      restoreAgain();
    }
    expect(await copyOf(ife.id)).to.deep.equal(['Ife Ojo']);

    expect(await namesFollowAccounts()).to.equal(2);
    expect(await registerNames(session._id)).to.deep.equal(['Former member', 'Hana Sato-Kim']);
    expect(await namesFollowAccounts()).to.equal(0);
    // A rename that ran to its end leaves nothing for the repair.
    await updateUserAsAdmin({ actor: adminActor(), userId: hana.id, changes: { name: 'Hana S. Kim' } });
    expect(await copyOf(hana.id)).to.deep.equal(['Hana S. Kim']);
    expect(await namesFollowAccounts()).to.equal(0);
  });

  it('a copy is never replaced by an older one', async () => {
    const { people } = await cohortWith('Nadia Rahman');
    const nadia = people[0]!;
    // A copy taken at a later version than the account's (a later rename whose copy landed first) stays.
    await EnrolmentModel.updateMany(
      { userId: nadia.id },
      { $set: { participantName: 'Nadia R. (later)', participantNameVersion: 99 } },
    );
    await nameParticipantAfresh(nadia.id);
    expect(await copyOf(nadia.id)).to.deep.equal(['Nadia R. (later)']);
  });

  it('an enrolment not yet named (stored before the copy, or its writer stopped) is read from her account, and the repair names it', async () => {
    const { people, session } = await cohortWith('Mei Lin', 'Olu Ade');
    await EnrolmentModel.updateMany(
      { userId: people[0]!.id },
      { $unset: { participantName: 1, participantNameVersion: 1 } },
    );
    expect(await registerNames(session._id)).to.deep.equal(['Mei Lin', 'Olu Ade']);
    expect(await nameAllParticipants()).to.equal(1);
    expect(await copyOf(people[0]!.id)).to.deep.equal(['Mei Lin']);
    expect(await nameAllParticipants()).to.equal(0);
  });

  it('the register names whoever marked each row: the reader, a participant who checked in, another facilitator', async () => {
    const { cohort, people, session } = await cohortWith('Ife Ojo', 'Kemi Ade');
    // A register opens when its session's check-in does.
    const sessionHeld = new Date(session.startsAt.getTime() + 60 * 60_000);
    const colleague = await buildUser({ roles: ['facilitator'], name: 'Chika Colleague' });
    await CohortModel.updateOne({ _id: cohort._id }, { $push: { facilitatorIds: colleague.id } });
    await recordAttendance({
      actor: actor(colleague),
      sessionId: String(session._id),
      records: [{ userId: people[0]!.id, status: 'present' }],
      now: sessionHeld,
    });
    await recordAttendance({
      actor: actor(facilitator),
      sessionId: String(session._id),
      records: [{ userId: people[1]!.id, status: 'late' }],
      now: sessionHeld,
    });
    const rows = (await getRegister({ actor: actor(facilitator), sessionId: String(session._id) })).rows;
    expect(rows.map((r) => [r.name, r.markedByName])).to.deep.equal([
      ['Ife Ojo', 'Chika Colleague'],
      ['Kemi Ade', 'Farah Facilitator'],
    ]);
  });
});
