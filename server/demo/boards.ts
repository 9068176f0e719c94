import { DateTime } from 'luxon';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { UserModel } from '../../models/User.ts';
import { toCurrentUser } from '../auth.ts';
import {
  confirmBoardMembership,
  createBoard,
  createRound,
  linkBoardToPledge,
  recordGenderFigures,
  setBoardMember,
} from '../services/boards/index.ts';
import type { DemoContext } from './index.ts';
import { newVerificationCode } from '../services/learning/certificates.ts';

/**
 * A governing board recruiting a headteacher, interview three weeks ahead. Runs after the learning and cohorts
 * seeders, so its panel shows each state: Grace (chair) holds a certificate, Helen is part-way through the
 * training, David is enrolled but has not started, and the fourth member trained three years ago: her certificate
 * lapses ten days from now, before the interview, so the board and her reminders tell her to renew by then. No
 * one holds safer-recruitment training, so that warning shows; reminders are planned for the three not ready and
 * the chair.
 */
export async function seedBoards(ctx: DemoContext): Promise<void> {
  const actorFor = async (email: string) => toCurrentUser((await UserModel.findById(ctx.people.get(email)).lean())!);
  const admin = await actorFor('admin@pathways.test');
  const chair = await actorFor('governor@pathways.test');
  const board = await createBoard({
    actor: admin,
    name: 'Riverside Primary Governing Board',
    organisation: 'Riverside Primary School',
    timezone: 'Europe/London',
  });
  const boardId = String(board._id);
  const roles = [
    ['governor@pathways.test', 'chair'],
    ['governor2@pathways.test', 'governor'],
    ['governor3@pathways.test', 'governor'],
    ['governor4@pathways.test', 'clerk'],
    ['governor5@pathways.test', 'governor'],
  ] as const;
  for (const [email, role] of roles)
    await setBoardMember({ actor: admin, boardId, userId: ctx.people.get(email)!, role });
  // Everyone but governor3 has confirmed she sits on the board: signed in as governor3, the board asks her to.
  for (const [email] of roles.filter(([email]) => email !== 'governor3@pathways.test'))
    await confirmBoardMembership({ actor: await actorFor(email), boardId });
  const today = DateTime.now().setZone('Europe/London').startOf('day');
  await giveLapsingCertificate(ctx.people.get('governor5@pathways.test')!, today);
  const round = await createRound({
    actor: chair,
    boardId,
    input: {
      title: 'Headteacher, September 2027',
      closingDate: today.minus({ days: 3 }).toISODate()!,
      shortlistingDate: today.plus({ days: 7 }).toISODate()!,
      interviewDates: [today.plus({ days: 21 }).toISODate()!],
    },
    panel: [
      'governor@pathways.test',
      'governor2@pathways.test',
      'governor3@pathways.test',
      'governor5@pathways.test',
    ].map((e) => ctx.people.get(e)!),
  });
  await recordGenderFigures({
    actor: chair,
    roundId: String(round._id),
    figures: { applicants: { women: 9, men: 7, other: 0, preferNotToSay: 1 }, shortlisted: { women: 3, men: 2 } },
  });
  // Grace signed the Pledge for Riverside (pledge demo data): the board is linked to that signature.
  const signature = await PledgeSignatureModel.findOne({
    email: chair.email,
    kind: 'organisation',
    status: 'confirmed',
  }).lean();
  if (signature)
    await linkBoardToPledge({ actor: chair, boardId, signatureId: String(signature._id), showRoundReadiness: true });
}

/**
 * A certificate earned in a cohort that ran three years ago (written directly: the learning area issues
 * certificates only on completion, today), lapsing at noon ten days from now.
 */
async function giveLapsingCertificate(userId: string, today: DateTime): Promise<void> {
  const programme = await ProgrammeModel.findOne({ track: 'governing-board', panelTraining: true }).lean();
  const user = await UserModel.findById(userId).lean();
  if (!programme || !user) return;
  const issuedAt = today.minus({ years: 3 }).plus({ days: 10 });
  const cohort = await CohortModel.create({
    programmeId: programme._id,
    name: `Governing Boards — ${issuedAt.year} panel training`,
    capacity: 20,
    timezone: 'Europe/London',
    startsOn: issuedAt.minus({ weeks: 6 }).toISODate()!,
    endsOn: issuedAt.toISODate()!,
  });
  await CertificateModel.create({
    userId,
    programmeId: programme._id,
    cohortId: cohort._id,
    track: 'governing-board',
    holderName: user.name,
    programmeTitle: programme.title,
    issuedAt: issuedAt.set({ hour: 12 }).toJSDate(),
    expiresAt: today.plus({ days: 10 }).set({ hour: 12 }).toJSDate(),
    // A code of the real form, so the public check page finds it (valid now, expired once its date has passed).
    verificationCode: newVerificationCode(),
  });
}
