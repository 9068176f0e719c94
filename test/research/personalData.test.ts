import { expect } from 'chai';
import { Types } from 'mongoose';
import { PoolOfferModel } from '../../models/PoolOffer.ts';
import { PoolProfileModel } from '../../models/PoolProfile.ts';
import { ResearchConsentModel } from '../../models/ResearchConsent.ts';
import { SurveyResponseModel } from '../../models/SurveyResponse.ts';
import { personalDataAreas } from '../../server/services/privacy/areas.ts';
import { savePoolProfile } from '../../server/services/pool/pool.ts';
import { setResearchConsent } from '../../server/services/research/consent.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';

describe('research and pool: her personal data (export and erasure)', () => {
  useTestDatabase();

  it('exports her consent history, answers, pool profile and offers, and erasure removes them but keeps accepted offers', async () => {
    const her = await buildUser();
    const userId = new Types.ObjectId(her.id);
    await setResearchConsent({ userId: her.id, consented: true, now: new Date('2027-01-01T00:00:00Z') });
    await setResearchConsent({ userId: her.id, consented: false, now: new Date('2027-02-01T00:00:00Z') });
    await SurveyResponseModel.create({
      surveyId: new Types.ObjectId(),
      userId,
      programmeId: new Types.ObjectId(),
      moment: 'start',
      answers: { confidence: 4, notes: 'my words' },
      answeredAt: new Date(),
    });
    await savePoolProfile({
      userId: her.id,
      input: {
        offers: ['speaker'],
        topics: ['interviews'],
        bio: 'Bio',
        regions: [],
        languages: [],
        modes: ['online'],
        visible: true,
      },
    });
    const requestId = new Types.ObjectId();
    await PoolOfferModel.create({ requestId, userId, offeredBy: userId, status: 'accepted' });
    await PoolOfferModel.create({ requestId: new Types.ObjectId(), userId, offeredBy: userId, status: 'pending' });

    const areas = Object.fromEntries(
      await Promise.all(personalDataAreas.map(async (a) => [a.area, await a.exportFor(userId)] as const)),
    ) as Record<
      string,
      {
        consentHistory: { consented: boolean }[];
        surveyAnswers: { answers: unknown }[];
        profile: { bio: string };
        offers: unknown[];
      }
    >;
    expect(areas.research!.consentHistory.map((c: { consented: boolean }) => c.consented)).to.deep.equal([true, false]);
    expect(areas.research!.surveyAnswers[0]!.answers).to.deep.equal({ confidence: 4, notes: 'my words' });
    expect(areas.pool!.profile.bio).to.equal('Bio');
    expect(areas.pool!.offers).to.have.length(2);

    for (const a of personalDataAreas) {
      await a.eraseFor(userId);
      await a.eraseFor(userId);
    }
    expect(await ResearchConsentModel.countDocuments({ userId })).to.equal(0);
    expect(await SurveyResponseModel.countDocuments({ userId })).to.equal(0);
    expect(await PoolProfileModel.countDocuments({ userId })).to.equal(0);
    expect(await PoolOfferModel.countDocuments({ userId, status: 'accepted' })).to.equal(1);
    expect(await PoolOfferModel.countDocuments({ userId, status: 'pending' })).to.equal(0);
  });
});
