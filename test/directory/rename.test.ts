import { expect } from 'chai';
import supertest from 'supertest';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { UserModel } from '../../models/User.ts';
import { nameInDirectoryAfresh, saveDirectoryProfile } from '../../server/services/directory/profiles.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';

describe('directory: a renamed person is listed and found by her new name at once', () => {
  useTestDatabase();
  /** Her profile, seen by everyone: a deputy head in `region`. */
  const listedDeputyHead = (person: TestUser, region: string) =>
    saveDirectoryProfile({
      actor: { ...person, roles: person.roles },
      profile: {
        visibility: 'everyone',
        headline: 'Deputy head',
        role: 'Deputy head',
        phase: 'primary',
        country: 'GB',
        region,
        topics: ['interviews'],
        openTo: [],
      },
    });

  it('when an admin renames her, the directory shows the new name and the text search finds it (and not the old one)', async () => {
    const app = testApp();
    const admin = await buildUser({ roles: ['admin'] });
    const viewer = await buildUser();
    const renamed = await buildUser({ name: 'Hannah Before' });
    await listedDeputyHead(renamed, 'Leeds');
    await supertest(app)
      .patch(`/api/v1/users/${renamed.id}`)
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .send({ name: 'Hannah After' })
      .expect(200);

    const token = await tokenFor(viewer);
    const search = async (q: string) =>
      (
        await supertest(app)
          .get(`/api/v1/directory?q=${encodeURIComponent(q)}`)
          .set('Authorization', `Bearer ${token}`)
          .expect(200)
      ).body.items as { userId: string; name: string }[];
    const found = await search('hannah after');
    expect(found.map((p) => [p.userId, p.name])).to.deep.equal([[renamed.id, 'Hannah After']]);
    expect(await search('hannah before')).to.deep.equal([]);
  });

  it('a profile save that began before the rename (another process) does not bring the old name back', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const renamed = await buildUser({ name: 'Iris Before' });
    const profile = {
      visibility: 'everyone' as const,
      headline: 'Head of school',
      role: 'Head',
      phase: 'primary' as const,
      country: 'GB',
      region: 'York',
      topics: ['interviews' as const],
      openTo: [],
    };
    // Her request read her account (and name) before the admin's rename landed; its save lands after it.
    const staleActor = { ...renamed, roles: renamed.roles };
    await saveDirectoryProfile({ actor: staleActor, profile });
    await supertest(testApp())
      .patch(`/api/v1/users/${renamed.id}`)
      .set('Authorization', `Bearer ${await tokenFor(admin)}`)
      .send({ name: 'Iris After' })
      .expect(200);
    const saved = await saveDirectoryProfile({
      actor: staleActor,
      profile: { ...profile, headline: 'Executive head' },
    });
    expect(saved.name).to.equal('Iris After');
    const stored = (await DirectoryProfileModel.findById(renamed.id).lean())!;
    expect(stored.name).to.equal('Iris After');
    expect(stored.searchText).to.include('iris after').and.not.include('iris before');
  });

  it('of two renames at once, the later name stays on her profile even when the earlier one’s copy lands last', async () => {
    const renamed = await buildUser({ name: 'Jo Before' });
    await listedDeputyHead(renamed, 'Hull');
    // The first rename's copy has read her account (version 1) and is about to write; the second runs to its end.
    await UserModel.updateOne({ _id: renamed.id }, { $set: { name: 'Jo First' }, $inc: { version: 1 } });
    const held = holdNextCall(DirectoryProfileModel, 'updateOne', { before: true });
    let first: Promise<void>;
    try {
      first = nameInDirectoryAfresh(renamed.id);
      await held.reached;
    } finally {
      held.restore();
    }
    await UserModel.updateOne({ _id: renamed.id }, { $set: { name: 'Jo Second' }, $inc: { version: 1 } });
    await nameInDirectoryAfresh(renamed.id);
    held.release();
    await first;
    const stored = (await DirectoryProfileModel.findById(renamed.id).lean())!;
    expect(stored.name).to.equal('Jo Second');
    expect(stored.searchText).to.include('jo second');
  });

  it('a headline and region typed with combining accents (a Mac keyboard) are found with or without their accents', async () => {
    const app = testApp();
    const viewer = await buildUser();
    const nadia = await buildUser({ name: 'Nadia Tremblay' });
    await saveDirectoryProfile({
      actor: { ...nadia, roles: nadia.roles },
      profile: {
        visibility: 'everyone',
        headline: "Directrice d'école primaire".normalize('NFD'),
        role: 'Directrice',
        phase: 'primary',
        country: 'CA',
        region: 'Montréal'.normalize('NFD'),
        topics: ['interviews'],
        openTo: [],
      },
    });
    const token = await tokenFor(viewer);
    for (const q of ['ecole primaire', 'école', 'montreal', 'Montréal']) {
      const found = (
        await supertest(app)
          .get(`/api/v1/directory?q=${encodeURIComponent(q)}`)
          .set('Authorization', `Bearer ${token}`)
          .expect(200)
      ).body.items as { userId: string }[];
      expect(
        found.map((p) => p.userId),
        q,
      ).to.deep.equal([nadia.id]);
    }
  });
});
