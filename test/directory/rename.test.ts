import { expect } from 'chai';
import supertest from 'supertest';
import { saveDirectoryProfile } from '../../server/services/directory/profiles.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';

describe('directory: a renamed person is listed and found by her new name at once', () => {
  useTestDatabase();

  it('when an admin renames her, the directory shows the new name and the text search finds it (and not the old one)', async () => {
    const app = testApp();
    const admin = await buildUser({ roles: ['admin'] });
    const viewer = await buildUser();
    const renamed = await buildUser({ name: 'Hannah Before' });
    await saveDirectoryProfile({
      actor: { ...renamed, roles: renamed.roles },
      profile: {
        visibility: 'everyone',
        headline: 'Deputy head',
        role: 'Deputy head',
        phase: 'primary',
        country: 'GB',
        region: 'Leeds',
        topics: ['interviews'],
        openTo: [],
      },
    });
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
});
