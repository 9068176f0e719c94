import type { Types } from 'mongoose';
import { PoolOfferModel } from '../../../models/PoolOffer.ts';
import { PoolProfileModel } from '../../../models/PoolProfile.ts';
import { PoolRequestModel } from '../../../models/PoolRequest.ts';
import { ResearchConsentModel } from '../../../models/ResearchConsent.ts';
import { ResearchParticipantModel } from '../../../models/ResearchParticipant.ts';
import { SurveyModel } from '../../../models/Survey.ts';
import { SurveyResponseModel } from '../../../models/SurveyResponse.ts';
import { personalDataArea } from '../privacy/personalData.ts';
import { withdrawOffersOf } from '../pool/pool.ts';
import { refreshFiguresOfPerson } from './cohortFigures.ts';

/**
 * Research: her consent history, her context for research and her survey answers. Erasure removes all of them:
 * without a consent record she is no longer counted anywhere, and nobody else's record needs her answers.
 */
export const researchPersonalData = personalDataArea({
  area: 'research',
  columns: {
    consentHistory: ['consented', 'textVersion', 'at'],
    context: ['country', 'region', 'phase'],
    surveyAnswers: ['survey', 'moment', 'answers', 'answeredAt'],
  },
  async exportFor(userId: Types.ObjectId) {
    const [consent, context, responses] = await Promise.all([
      ResearchConsentModel.find({ userId }).sort({ at: 1 }).lean(),
      ResearchParticipantModel.findOne({ userId }).lean(),
      SurveyResponseModel.find({ userId }).lean(),
    ]);
    const surveys = await SurveyModel.find({ _id: { $in: responses.map((r) => r.surveyId) } })
      .select({ title: 1, moment: 1 })
      .lean();
    const titles = new Map(surveys.map((s) => [String(s._id), s.title]));
    return {
      consentHistory: consent.map((c) => ({
        consented: c.consented,
        textVersion: c.textVersion,
        at: c.at.toISOString(),
      })),
      context: context ? { country: context.country, region: context.region, phase: context.phase } : null,
      surveyAnswers: responses.map((r) => ({
        survey: titles.get(String(r.surveyId)) ?? String(r.surveyId),
        moment: r.moment,
        answers: r.answers,
        answeredAt: r.answeredAt.toISOString(),
      })),
    };
  },
  async eraseFor(userId: Types.ObjectId) {
    await Promise.all([
      ResearchConsentModel.deleteMany({ userId }),
      ResearchParticipantModel.deleteMany({ userId }),
      SurveyResponseModel.deleteMany({ userId }),
    ]);
    // With no consent left she is out of the figures: her cohorts' records are recomputed at once.
    await refreshFiguresOfPerson({ userId });
  },
});

/**
 * The pool: her profile and the requests offered to her. Erasure removes the profile and withdraws pending offers (a
 * request waiting on her alone is open again); accepted offers stay (the request's record of who helped), and show her
 * as "Former member" once her account is.
 */
export const poolPersonalData = personalDataArea({
  area: 'pool',
  columns: {
    profile: ['offers', 'topics', 'bio', 'regions', 'languages', 'modes', 'visible'],
    offers: ['status', 'offeredAt', 'decidedAt', 'request'],
  },
  async exportFor(userId: Types.ObjectId) {
    const [profile, offers] = await Promise.all([
      PoolProfileModel.findOne({ userId }).lean(),
      PoolOfferModel.find({ userId }).lean(),
    ]);
    const requests = await PoolRequestModel.find({ _id: { $in: offers.map((o) => o.requestId) } })
      .select({ offer: 1, topic: 1, organisation: 1, date: 1, mode: 1 })
      .lean();
    const byId = new Map(requests.map((r) => [String(r._id), r]));
    return {
      profile: profile
        ? {
            offers: profile.offers,
            topics: profile.topics,
            bio: profile.bio,
            regions: profile.regions,
            languages: profile.languages,
            modes: profile.modes,
            visible: profile.visible,
          }
        : null,
      offers: offers.map((o) => {
        const r = byId.get(String(o.requestId));
        return {
          status: o.status,
          offeredAt: (o.createdAt as Date).toISOString(),
          decidedAt: o.decidedAt?.toISOString() ?? null,
          request: r
            ? { offer: r.offer, topic: r.topic, organisation: r.organisation, date: r.date ?? null, mode: r.mode }
            : null,
        };
      }),
    };
  },
  async eraseFor(userId: Types.ObjectId) {
    await PoolProfileModel.deleteMany({ userId });
    await withdrawOffersOf({ userId });
  },
});
