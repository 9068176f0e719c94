import { expect } from 'chai';
import supertest from 'supertest';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { UserModel } from '../../models/User.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import {
  directoryFollowsAccount,
  saveDirectoryProfile,
  directoryFollowsAccounts,
} from '../../server/services/directory/profiles.ts';
import { signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildNetwork } from '../support/directoryFactories.ts';
import { buildUser, testPassword, tokenFor } from '../support/factories.ts';

type Visibility = 'hidden' | 'networks' | 'everyone';
const profileOf = (visibility: Visibility) => ({
  visibility,
  headline: 'Deputy head',
  role: 'Deputy head',
  phase: 'primary' as const,
  country: 'GB',
  region: 'Leeds',
  topics: ['interviews' as const],
  openTo: [],
});

describe('directory: an account an admin disabled is not listed', () => {
  useTestDatabase();

  it('when an admin disables her, her profile leaves the search, its page and the API (404), and contact is refused; re-enabled, she is listed again as she had chosen', async () => {
    const app = testApp();
    const admin = await buildUser({ roles: ['admin'] });
    const viewer = await buildUser();
    const person = await buildUser({ name: 'Dora Disabled' });
    await saveDirectoryProfile({ actor: { ...person, roles: person.roles }, profile: profileOf('everyone') });
    const adminActor = { id: admin.id, name: admin.name };
    await updateUserAsAdmin({ actor: adminActor, userId: person.id, changes: { status: 'disabled' } });

    const token = await tokenFor(viewer);
    const listed = async () =>
      (
        (await supertest(app).get('/api/v1/directory?q=dora').set('Authorization', `Bearer ${token}`).expect(200)).body
          .items as { userId: string }[]
      ).map((p) => p.userId);
    expect(await listed()).to.deep.equal([]);
    await supertest(app).get(`/api/v1/directory/${person.id}`).set('Authorization', `Bearer ${token}`).expect(404);
    await supertest(app)
      .post(`/api/v1/directory/${person.id}/messages`)
      .set('Authorization', `Bearer ${token}`)
      .send({ body: 'Hello' })
      .expect(404);
    const web = await signIn(app, viewer.email, testPassword);
    expect((await web.get('/directory?q=dora').expect(200)).text).not.to.include('Dora Disabled');
    await web.get(`/directory/people/${person.id}`).expect(404);

    await updateUserAsAdmin({ actor: adminActor, userId: person.id, changes: { status: 'active' } });
    expect(await listed()).to.deep.equal([person.id]);
    const stored = (await DirectoryProfileModel.findById(person.id).lean())!;
    expect(stored.visibility).to.equal('everyone');
  });

  it('re-enabling restores exactly what she had chosen, "networks" and "hidden" too, for co-members only', async () => {
    const app = testApp();
    const admin = await buildUser({ roles: ['admin'] });
    const adminActor = { id: admin.id, name: admin.name };
    const coMember = await buildUser();
    const [networksOnly, hidden] = [await buildUser({ name: 'Nina Net' }), await buildUser({ name: 'Hana Hid' })];
    await buildNetwork([coMember, networksOnly]);
    await saveDirectoryProfile({
      actor: { ...networksOnly, roles: networksOnly.roles },
      profile: profileOf('networks'),
    });
    await saveDirectoryProfile({ actor: { ...hidden, roles: hidden.roles }, profile: profileOf('hidden') });
    const token = await tokenFor(coMember);
    const seen = async () =>
      (
        (await supertest(app).get('/api/v1/directory').set('Authorization', `Bearer ${token}`).expect(200)).body
          .items as { userId: string }[]
      )
        .map((p) => p.userId)
        .filter((id) => id === networksOnly.id || id === hidden.id);
    expect(await seen()).to.deep.equal([networksOnly.id]);
    for (const who of [networksOnly, hidden])
      await updateUserAsAdmin({ actor: adminActor, userId: who.id, changes: { status: 'disabled' } });
    expect(await seen()).to.deep.equal([]);
    // Disabling twice (a retried request) keeps her choice, not the "hidden" the first one wrote.
    await directoryFollowsAccount(networksOnly.id);
    for (const who of [networksOnly, hidden])
      await updateUserAsAdmin({ actor: adminActor, userId: who.id, changes: { status: 'active' } });
    expect(await seen()).to.deep.equal([networksOnly.id]);
    expect((await DirectoryProfileModel.findById(networksOnly.id).lean())!.visibility).to.equal('networks');
    expect((await DirectoryProfileModel.findById(hidden.id).lean())!.visibility).to.equal('hidden');
  });

  it('a profile save that was under way when she was disabled (another process) does not list her again; enabling restores the choice she saved last', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const person = await buildUser();
    const actor = { ...person, roles: person.roles };
    await saveDirectoryProfile({ actor, profile: profileOf('networks') });
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: person.id,
      changes: { status: 'disabled' },
    });
    // Her save, read as signed in before the disable, lands after it.
    await saveDirectoryProfile({ actor, profile: profileOf('everyone') });
    expect((await DirectoryProfileModel.findById(person.id).lean())!.visibility).to.equal('hidden');
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: person.id,
      changes: { status: 'active' },
    });
    expect((await DirectoryProfileModel.findById(person.id).lean())!.visibility).to.equal('everyone');
  });

  it('when an enable lands between a disable and its directory write (two processes), she ends listed as she chose', async () => {
    const person = await buildUser();
    await saveDirectoryProfile({ actor: { ...person, roles: person.roles }, profile: profileOf('everyone') });
    // The disable's account write, then the enable's account write and directory step, then the disable's directory step.
    await UserModel.updateOne({ _id: person.id }, { $set: { status: 'disabled' } });
    await UserModel.updateOne({ _id: person.id }, { $set: { status: 'active' } });
    await Promise.all([directoryFollowsAccount(person.id), directoryFollowsAccount(person.id)]);
    expect((await DirectoryProfileModel.findById(person.id).lean())!.visibility).to.equal('everyone');
  });

  it('the maintenance repair hides a profile whose account was disabled before profiles followed the account (or whose directory write never ran), keeping her choice for her return', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const person = await buildUser();
    await saveDirectoryProfile({ actor: { ...person, roles: person.roles }, profile: profileOf('networks') });
    await UserModel.updateOne({ _id: person.id }, { $set: { status: 'disabled' } });
    expect((await directoryFollowsAccounts()).withheld).to.be.at.least(1);
    expect((await DirectoryProfileModel.findById(person.id).lean())!.visibility).to.equal('hidden');
    expect(await directoryFollowsAccounts()).to.deep.equal({ withheld: 0, restored: 0 });
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: person.id,
      changes: { status: 'active' },
    });
    expect((await DirectoryProfileModel.findById(person.id).lean())!.visibility).to.equal('networks');
  });

  it('the maintenance repair puts back the choice of a profile still withheld after her account was enabled (a process that stopped before its directory write)', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const person = await buildUser();
    await saveDirectoryProfile({ actor: { ...person, roles: person.roles }, profile: profileOf('everyone') });
    await updateUserAsAdmin({
      actor: { id: admin.id, name: admin.name },
      userId: person.id,
      changes: { status: 'disabled' },
    });
    expect((await DirectoryProfileModel.findById(person.id).lean())!.visibility).to.equal('hidden');
    // The enable's account write, and no directory write after it.
    await UserModel.updateOne({ _id: person.id }, { $set: { status: 'active' } });
    expect(await directoryFollowsAccounts()).to.deep.include({ restored: 1 });
    const profile = (await DirectoryProfileModel.findById(person.id).lean())!;
    expect(profile.visibility).to.equal('everyone');
    expect(profile.chosenVisibility ?? null).to.equal(null);
    expect(await directoryFollowsAccounts()).to.deep.equal({ withheld: 0, restored: 0 });
  });

  it('made a researcher only (the directory is closed to her), she is not listed nor written to; given a role that uses it back, she is listed as she chose; the repair does the same for a role written alone', async () => {
    const app = testApp();
    const admin = await buildUser({ roles: ['admin'] });
    const viewer = await buildUser();
    const person = await buildUser({ name: 'Rhea Researcher' });
    await saveDirectoryProfile({ actor: { ...person, roles: person.roles }, profile: profileOf('everyone') });
    const adminActor = { id: admin.id, name: admin.name };
    const token = await tokenFor(viewer);
    const listed = async () =>
      (
        (await supertest(app).get('/api/v1/directory?q=rhea').set('Authorization', `Bearer ${token}`).expect(200)).body
          .items as { userId: string }[]
      ).map((p) => p.userId);
    expect(await listed()).to.deep.equal([person.id]);

    await updateUserAsAdmin({ actor: adminActor, userId: person.id, changes: { roles: ['researcher'] } });
    expect(await listed()).to.deep.equal([]);
    await supertest(app)
      .post(`/api/v1/directory/${person.id}/messages`)
      .set('Authorization', `Bearer ${token}`)
      .send({ body: 'Hello' })
      .expect(404);
    await updateUserAsAdmin({ actor: adminActor, userId: person.id, changes: { roles: ['participant'] } });
    expect(await listed()).to.deep.equal([person.id]);

    // The role's write alone (its process stopped before the directory's): the 15-minute repair, both ways.
    await UserModel.updateOne({ _id: person.id }, { $set: { roles: ['researcher'] } });
    expect(await directoryFollowsAccounts()).to.deep.include({ withheld: 1 });
    expect(await listed()).to.deep.equal([]);
    await UserModel.updateOne({ _id: person.id }, { $set: { roles: ['participant', 'researcher'] } });
    expect(await directoryFollowsAccounts()).to.deep.include({ restored: 1 });
    expect((await DirectoryProfileModel.findById(person.id).lean())!.visibility).to.equal('everyone');
  });
});
