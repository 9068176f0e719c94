import { ProgrammeModel } from '../../../models/Programme.ts';
import { onDomainEvent } from '../../events.ts';
import { fairnessWindowMs, recentRoundReadiness } from './fairness.ts';
import { registerRoundReadinessProvider } from '../pledge/boards.ts';
import { replanOpenRounds, replanRoundsOf } from './roundReminders.ts';

/** A new governing-board certificate can make a panel member ready: her rounds' reminders are re-planned at once. */
onDomainEvent('certificate.issued', async ({ userId }) => {
  await replanRoundsOf({ userId: String(userId) });
});

/**
 * A governing-board programme saved may have been marked or unmarked as the panels' training (only such a programme can
 * be: learning/panelTraining.ts), which changes who on every panel counts as trained: every open round's reminders are
 * re-planned (few rounds; keyed, so a save that changed nothing for them writes nothing). Other tracks' saves are not
 * the panels' business.
 */
onDomainEvent('programme.saved', async ({ programmeId }) => {
  const programme = await ProgrammeModel.findById(programmeId, { track: 1 }).lean();
  if (programme?.track === 'governing-board') await replanOpenRounds();
});

/** The Pledge page shows a linked board's "rounds ready before interview" when the board chose to (one-way seam). */
registerRoundReadinessProvider(async (boardId) => {
  const now = new Date();
  const r = await recentRoundReadiness({ boardId, now });
  // No closed round yet: nothing to show (rather than "0 of 0").
  if (!r.rounds) return null;
  return { ready: r.readyBeforeInterview, total: r.rounds, since: new Date(now.getTime() - fairnessWindowMs) };
});
