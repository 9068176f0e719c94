import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { DirectoryProfileModel } from '../../models/DirectoryProfile.ts';
import { refoldSearchTexts, saveDirectoryProfile } from '../../server/services/directory/profiles.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor, type TestUser } from '../support/factories.ts';

describe('directory: the free-text search finds Turkish, German and Nordic spellings as typed and as plain letters', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let token: string;
  before(async () => {
    app = testApp();
    token = await tokenFor(await buildUser());
  });

  const found = async (q: string) =>
    (
      (
        await supertest(app)
          .get(`/api/v1/directory?q=${encodeURIComponent(q)}`)
          .set('Authorization', `Bearer ${token}`)
          .expect(200)
      ).body.items as { userId: string }[]
    ).map((p) => p.userId);

  const listed = (person: TestUser, headline: string, region: string) =>
    saveDirectoryProfile({
      actor: { ...person, roles: person.roles },
      profile: {
        visibility: 'everyone',
        headline,
        role: 'Deputy head',
        phase: 'secondary',
        country: 'TR',
        region,
        topics: ['interviews'],
        openTo: ['mentoring'],
      },
    });

  it('İpek Yılmaz of İzmir is found by "İpek", "ipek", "IPEK", "İzmir", "izmir", "Yılmaz" and "yilmaz"; Anja Großmann by "grossmann" and "Großmann"', async () => {
    const ipek = await buildUser({ name: 'İpek Yılmaz' });
    await listed(ipek, 'Deputy head in İzmir', 'İzmir');
    for (const q of ['İpek', 'ipek', 'IPEK', 'İpek Yılmaz', 'İzmir', 'izmir', 'in izmir', 'Yılmaz', 'yilmaz', 'YILMAZ'])
      expect(await found(q), q).to.deep.equal([ipek.id]);

    const anja = await buildUser({ name: 'Anja Großmann' });
    await listed(anja, 'Head of Ærøskøbing school', 'Þórshöfn');
    for (const q of ['grossmann', 'Großmann', 'GROSSMANN', 'aeroskobing', 'Ærø', 'thorshofn'])
      expect(await found(q), q).to.deep.equal([anja.id]);
  });

  it('a profile saved by an earlier version (lower-cased search text) is written again at start, once, and then found', async () => {
    const ilknur = await buildUser({ name: 'İlknur Şahin' });
    await listed(ilknur, 'Assistant head', 'İstanbul');
    const earlierForm = ['İlknur Şahin', 'Assistant head', 'Deputy head', 'İstanbul'].join(' \n ').toLowerCase();
    await DirectoryProfileModel.collection.updateOne(
      { _id: new Types.ObjectId(ilknur.id) },
      { $set: { searchText: earlierForm }, $unset: { searchTextFolding: 1 } },
    );
    expect(await found('ilknur')).to.deep.equal([]);

    // Two processes starting at once: each profile is written once between them.
    const [first, second] = await Promise.all([refoldSearchTexts(), refoldSearchTexts()]);
    expect(first + second).to.equal(1);
    expect(await refoldSearchTexts()).to.equal(0);
    for (const q of ['ilknur', 'İlknur', 'istanbul', 'sahin', 'Şahin'])
      expect(await found(q), q).to.deep.equal([ilknur.id]);
  });
});
