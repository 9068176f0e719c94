import { Types } from 'mongoose';
import { AttendanceRecordModel, attendanceRecordId } from '../../models/AttendanceRecord.ts';
import { CareerOutcomeModel } from '../../models/CareerOutcome.ts';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { PoolOfferModel } from '../../models/PoolOffer.ts';
import { PoolRequestModel } from '../../models/PoolRequest.ts';
import { ProgrammeModel, type Track } from '../../models/Programme.ts';
import { ResearchConsentModel } from '../../models/ResearchConsent.ts';
import { ResearchParticipantModel } from '../../models/ResearchParticipant.ts';
import { SeatModel } from '../../models/Seat.ts';
import { SurveyModel } from '../../models/Survey.ts';
import { SurveyResponseModel } from '../../models/SurveyResponse.ts';
import { UserModel } from '../../models/User.ts';
import { hashSecret, newSecret } from '../services/secrets.ts';
import { savePoolProfile } from '../services/pool/pool.ts';
import { consentText } from '../services/research/consentText.ts';
import { planSurveyInvitations } from '../services/research/surveys.ts';
import type { DemoContext } from './index.ts';
import { progressChanged } from '../services/learning/enrolmentProgress.ts';
import { nameParticipantAfresh } from '../services/cohorts/participantNames.ts';
import { registerChanged } from '../services/cohorts/sessionRegisters.ts';

/**
 * Research and pool demo data: two past cohorts (aspiring leaders, new heads) and a small governing-board group, with
 * consenting and non-consenting participants, start and end survey answers, attendance, completions and career
 * outcomes, so the impact dashboard shows figures and suppressed cells ("fewer than 5": appointments, the small
 * governing-board group and, by secondary suppression, the next smallest track). Pool profiles across topics and
 * three requests (unconfirmed, open, accepted). The demo researcher is researcher@pathways.test.
 */
const day = 24 * 60 * 60 * 1000;
const questions = [
  { id: 'confidence', prompt: 'How confident are you to apply for headship?', type: 'likert5' },
  { id: 'readiness', prompt: 'How ready do you feel to lead a school?', type: 'likert5' },
  {
    id: 'role',
    prompt: 'Your current role',
    type: 'choice',
    choices: ['Deputy head', 'Assistant head', 'Head of department', 'Other'],
  },
  { id: 'notes', prompt: 'Anything you would like to tell us?', type: 'text' },
];
const regions = [
  ['GB', 'Yorkshire'],
  ['GB', 'London'],
  ['GB', 'Kent'],
  ['IE', 'Leinster'],
  ['CA', 'Ontario'],
] as const;
const phases = ['primary', 'secondary', 'primary', 'special', 'all-through'] as const;

export async function seedResearch(ctx: DemoContext, now = new Date()): Promise<void> {
  const programmes = await ProgrammeModel.find().select({ track: 1, title: 1 }).lean();
  const byTrack = (t: Track) => programmes.find((p) => p.track === t)!;
  const researcherId = ctx.people.get('researcher@pathways.test')!;
  const facilitatorId = ctx.people.get('facilitator@pathways.test')!;
  const hash = (await UserModel.findById(researcherId).select('+passwordHash').lean())!.passwordHash;

  const surveysCreatedAt = new Date(now.getTime() - 400 * day);
  const surveys = new Map<string, Types.ObjectId>();
  for (const track of ['aspiring-leader', 'new-head'] as const) {
    for (const moment of ['start', 'end'] as const) {
      const s = await SurveyModel.create({
        title: `${byTrack(track).title}: ${moment === 'start' ? 'at the start' : 'at the end'}`,
        programmeId: byTrack(track)._id,
        moment,
        questions,
        createdBy: researcherId,
      });
      await SurveyModel.collection.updateOne({ _id: s._id }, { $set: { createdAt: surveysCreatedAt } });
      surveys.set(`${track}:${moment}`, s._id);
    }
  }

  const groups: { track: Track; name: string; people: number; consenting: number }[] = [
    { track: 'aspiring-leader', name: 'Aspiring Leaders — research cohort 2025', people: 14, consenting: 11 },
    { track: 'new-head', name: 'New Heads — research cohort 2025', people: 9, consenting: 7 },
    { track: 'governing-board', name: 'Governing boards — research group 2025', people: 3, consenting: 3 },
  ];
  const startsOn = new Date(now.getTime() - 330 * day).toISOString().slice(0, 10);
  const endsOn = new Date(now.getTime() - 150 * day).toISOString().slice(0, 10);
  let n = 0;
  for (const group of groups) {
    const programme = byTrack(group.track);
    const cohort = await CohortModel.create({
      programmeId: programme._id,
      name: group.name,
      capacity: 30,
      timezone: 'Europe/London',
      startsOn,
      endsOn,
      facilitatorIds: [facilitatorId],
    });
    const sessions = [];
    for (let s = 0; s < 4; s++)
      sessions.push(
        await CohortSessionModel.create({
          cohortId: cohort._id,
          title: `Research cohort session ${s + 1}`,
          startsAt: new Date(now.getTime() - (300 - s * 30) * day),
          durationMinutes: 90,
          mode: 'online',
          joinUrl: 'https://meet.example.org/research',
        }),
      );
    for (let i = 0; i < group.people; i++) {
      n += 1;
      const enrolledAt = new Date(now.getTime() - (335 - (i % 5)) * day);
      const user = await UserModel.create({
        email: `research${n}@pathways.test`,
        name: `Research Participant ${n}`,
        roles: [group.track === 'governing-board' ? 'governor' : 'participant'],
        timezone: 'Europe/London',
        passwordHash: hash,
        status: 'active',
      });
      await SeatModel.create({ cohortId: cohort._id, number: i + 1, userId: user._id });
      await EnrolmentModel.create({
        cohortId: cohort._id,
        userId: user._id,
        programmeId: programme._id,
        status: 'active',
        enrolledAt,
      });
      await nameParticipantAfresh(user._id);
      const consents = i < group.consenting;
      if (consents) {
        await ResearchConsentModel.create({
          userId: user._id,
          consented: true,
          textVersion: consentText.version,
          at: new Date(enrolledAt.getTime() + day),
        });
        const [country, region] = regions[i % regions.length]!;
        await ResearchParticipantModel.create({ userId: user._id, country, region, phase: phases[i % phases.length] });
      } else if (i === group.people - 1) {
        // One who agreed and then withdrew: her history is kept, and she is counted nowhere.
        await ResearchConsentModel.create({
          userId: user._id,
          consented: true,
          textVersion: consentText.version,
          at: new Date(enrolledAt.getTime() + day),
        });
        await ResearchConsentModel.create({
          userId: user._id,
          consented: false,
          textVersion: consentText.version,
          at: new Date(now.getTime() - 20 * day),
        });
      }
      for (const [s, session] of sessions.entries()) {
        const status = (i + s) % 6 === 0 ? 'absent' : (i + s) % 7 === 0 ? 'late' : 'present';
        await AttendanceRecordModel.create({
          _id: attendanceRecordId(session._id, user._id),
          sessionId: session._id,
          cohortId: cohort._id,
          userId: user._id,
          status,
          markedBy: facilitatorId,
          markedAt: session.startsAt,
          firstMarkedAt: session.startsAt,
        });
      }
      const completed = i % 4 !== 3;
      if (completed)
        await CertificateModel.create({
          userId: user._id,
          programmeId: programme._id,
          cohortId: cohort._id,
          track: group.track,
          holderName: user.name,
          programmeTitle: programme.title,
          issuedAt: new Date(now.getTime() - 160 * day),
          expiresAt: group.track === 'governing-board' ? new Date(now.getTime() + 900 * day) : null,
          verificationCode: `RES${n}${newSecret(4)
            .replace(/[^A-Za-z0-9]/g, '')
            .toUpperCase()}`,
        });
      // Written straight to the model, as the app's certificate issue would not date it in the past: her enrolment's
      // copy of her progress follows as it does after an issue (learning/enrolmentProgress.ts).
      if (completed) await progressChanged(user._id, cohort._id);
      if (group.track !== 'governing-board') {
        const startAnswers = {
          confidence: 2 + (i % 2),
          readiness: 2 + (i % 3 === 0 ? 1 : 0),
          role: questions[2]!.choices![i % 4]!,
          notes: 'Nervous but keen.',
        };
        await SurveyResponseModel.create({
          surveyId: surveys.get(`${group.track}:start`)!,
          userId: user._id,
          programmeId: programme._id,
          moment: 'start',
          answers: startAnswers,
          answeredAt: new Date(enrolledAt.getTime() + 2 * day),
        });
        if (i < group.people - 2)
          await SurveyResponseModel.create({
            surveyId: surveys.get(`${group.track}:end`)!,
            userId: user._id,
            programmeId: programme._id,
            moment: 'end',
            answers: { confidence: 4 + (i % 2), readiness: 3 + (i % 3 === 0 ? 0 : 1), role: startAnswers.role },
            answeredAt: new Date(now.getTime() - 149 * day),
          });
        const on = (daysAgo: number) => new Date(now.getTime() - daysAgo * day).toISOString().slice(0, 10);
        if (i < 9) await CareerOutcomeModel.create({ userId: user._id, kind: 'applied', on: on(120) });
        if (i < 6) await CareerOutcomeModel.create({ userId: user._id, kind: 'interviewed', on: on(90) });
        if (i < 2) await CareerOutcomeModel.create({ userId: user._id, kind: 'appointed', on: on(60) });
      }
    }
    // Records written straight to the model (dated in the past): each session's register copy follows, as after a
    // register is saved (cohorts/sessionRegisters.ts).
    for (const session of sessions) await registerChanged(session._id);
  }
  // Invitations for people enrolled now (the demo cohorts): the demo participant finds a start survey waiting.
  await planSurveyInvitations({ now });

  await seedPool(ctx, now);
}

async function seedPool(ctx: DemoContext, now: Date) {
  const id = (email: string) => ctx.people.get(email)!;
  const profiles = [
    [
      'mentor@pathways.test',
      ['speaker', 'facilitator'],
      ['applying-for-headship', 'interviews', 'wellbeing-and-isolation'],
      ['Sydney', 'Online'],
      'Headteacher for twelve years in two schools; speaks on the first year in post.',
    ],
    [
      'facilitator@pathways.test',
      ['facilitator'],
      ['leading-change', 'working-with-governors'],
      ['Scotland', 'London'],
      'Runs the aspiring leaders programme.',
    ],
    [
      'participant2@pathways.test',
      ['speaker'],
      ['flexible-working', 'returning-after-a-break'],
      ['Dublin'],
      'Deputy head who returned after a career break.',
    ],
    [
      'researcher@pathways.test',
      ['researcher'],
      ['equality-and-inclusion', 'executive-headship'],
      ['London'],
      'Studies women’s routes into headship.',
    ],
  ] as const;
  for (const [email, offers, topics, regions, bio] of profiles)
    await savePoolProfile({
      userId: id(email),
      input: {
        offers: [...offers],
        topics: [...topics],
        regions: [...regions],
        languages: ['English'],
        modes: ['online', 'in-person'],
        bio,
        visible: true,
      },
    });
  const base = {
    contactName: 'Sam Clerk',
    mode: 'online' as const,
    confirmExpiresAt: new Date(now.getTime() + 7 * 24 * 3600 * 1000),
  };
  await PoolRequestModel.create({
    ...base,
    offer: 'speaker',
    topic: 'interviews',
    organisation: 'Riverside Primary School',
    contactEmail: 'clerk@riverside.example',
    message: 'A talk for our governors before we recruit a new head.',
    status: 'unconfirmed',
    confirmTokenHash: hashSecret(newSecret()),
  });
  await PoolRequestModel.create({
    ...base,
    offer: 'facilitator',
    topic: 'leading-change',
    organisation: 'Northern Schools Trust',
    contactEmail: 'hr@northern.example',
    message: 'A workshop for our middle leaders.',
    status: 'open',
    confirmTokenHash: hashSecret(newSecret()),
    confirmedAt: now,
  });
  const accepted = await PoolRequestModel.create({
    ...base,
    offer: 'speaker',
    topic: 'applying-for-headship',
    organisation: 'Women in Education Network',
    contactEmail: 'events@wien.example',
    date: new Date(now.getTime() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10),
    message: 'Keynote at our spring conference.',
    status: 'accepted',
    confirmTokenHash: hashSecret(newSecret()),
    confirmedAt: now,
  });
  const offer = await PoolOfferModel.create({
    requestId: accepted._id,
    userId: id('mentor@pathways.test'),
    offeredBy: id('admin@pathways.test'),
    status: 'accepted',
    decidedAt: now,
  });
  await PoolRequestModel.updateOne(
    { _id: accepted._id },
    { $set: { acceptedOfferId: offer._id, acceptedBy: offer.userId, decidedAt: now } },
  );
}
