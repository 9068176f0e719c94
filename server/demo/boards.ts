import { DateTime } from 'luxon';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { UserModel } from '../../models/User.ts';
import { toCurrentUser } from '../auth.ts';
import { createBoard, setBoardMember } from '../services/boards.ts';
import { linkBoardToPledge } from '../services/boardPledge.ts';
import { createRound, recordGenderFigures } from '../services/rounds.ts';
import type { DemoContext } from './index.ts';

/**
 * A governing board recruiting a headteacher, interview three weeks ahead. Runs after the learning and cohorts
 * seeders, so its panel shows each state: Grace (chair) holds a certificate, Helen is part-way through the
 * training, David is enrolled but has not started. No one holds safer-recruitment training, so that warning
 * shows; reminders are planned for Helen, David and the chair.
 */
export async function seedBoards(ctx: DemoContext): Promise<void> {
  const actorFor = async (email: string) => toCurrentUser((await UserModel.findById(ctx.people.get(email)).lean())!);
  const admin = await actorFor('admin@pathways.test');
  const chair = await actorFor('governor@pathways.test');
  const board = await createBoard({ actor: admin, name: 'Riverside Primary Governing Board', organisation: 'Riverside Primary School', timezone: 'Europe/London' });
  const boardId = String(board._id);
  const roles = [
    ['governor@pathways.test', 'chair'],
    ['governor2@pathways.test', 'governor'],
    ['governor3@pathways.test', 'governor'],
    ['governor4@pathways.test', 'clerk'],
    ['governor5@pathways.test', 'governor'],
  ] as const;
  for (const [email, role] of roles) await setBoardMember({ actor: admin, boardId, userId: ctx.people.get(email)!, role });
  const today = DateTime.now().setZone('Europe/London').startOf('day');
  const round = await createRound({
    actor: chair,
    boardId,
    input: {
      title: 'Headteacher, September 2027',
      closingDate: today.minus({ days: 3 }).toISODate()!,
      shortlistingDate: today.plus({ days: 7 }).toISODate()!,
      interviewDates: [today.plus({ days: 21 }).toISODate()!],
    },
    panel: ['governor@pathways.test', 'governor2@pathways.test', 'governor3@pathways.test'].map((e) => ctx.people.get(e)!),
  });
  await recordGenderFigures({ actor: chair, roundId: String(round._id), figures: { applicants: { women: 9, men: 7, other: 0, preferNotToSay: 1 }, shortlisted: { women: 3, men: 2 } } });
  // Grace signed the Pledge for Riverside (pledge demo data): the board is linked to that signature.
  const signature = await PledgeSignatureModel.findOne({ email: chair.email, kind: 'organisation', status: 'confirmed' }).lean();
  if (signature) await linkBoardToPledge({ actor: chair, boardId, signatureId: String(signature._id), showRoundReadiness: true });
}
