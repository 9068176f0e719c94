import { Types } from 'mongoose';
import { ProgrammeModel, type Track } from '../../../models/Programme.ts';
import type { FieldError } from '../../errors.ts';
import { coreProgrammeId } from './coreProgrammes.ts';

/**
 * The interview panels' unconscious-bias training is the programme (or programmes) an admin marks as such
 * (`Programme.panelTraining`), never "any governing-board programme": an organisation also runs governor inductions
 * and other board programmes on that track, and their certificates say nothing about recruiting fairly.
 *
 * - Readiness counts the certificates and enrolments of every marked programme, whatever its status: an earlier
 *   version, archived, still trained the people who hold its certificate.
 * - Panels are enrolled in one marked programme: the published one, or of several the one created first (stable,
 *   whatever is edited later; the round page names it). A new version takes over once the old one is archived or
 *   unmarked.
 */
export const panelTrainingMessages = {
  onlyGoverningBoard: 'can be set only on a programme of the governing-board track',
  hint: 'Interview panels’ readiness counts the certificates and enrolments of the programmes marked here, and no others. Panels are enrolled in the marked programme that is published (of several, the one created first).',
};

export type PanelTrainingProgramme = { id: string; title: string; status: string };
export type PanelTraining = {
  /** Every marked programme: readiness counts their certificates and enrolments. */
  programmes: PanelTrainingProgramme[];
  /** The one panels are enrolled in; null when no marked programme is published. */
  forEnrolment: PanelTrainingProgramme | null;
};

/** Which programmes are the panels' training, and which of them panels are enrolled in (one small query). */
export async function panelTraining(): Promise<PanelTraining> {
  const marked = await ProgrammeModel.find({ panelTraining: true }, { title: 1, status: 1, createdAt: 1 })
    .sort({ createdAt: 1, _id: 1 })
    .lean();
  const programmes = marked.map((p) => ({ id: String(p._id), title: p.title, status: p.status }));
  return { programmes, forEnrolment: programmes.find((p) => p.status === 'published') ?? null };
}

/** The ids of the marked programmes, for queries. */
export const panelTrainingIds = (training: PanelTraining) => training.programmes.map((p) => new Types.ObjectId(p.id));

/** A programme's settings as saved: only a governing-board programme can be the panels' training. */
export function panelTrainingProblem(track: Track, marked: boolean | undefined): FieldError[] {
  return marked && track !== 'governing-board'
    ? [{ path: 'panelTraining', message: panelTrainingMessages.onlyGoverningBoard }]
    : [];
}

/**
 * On start, once for a database stored before programmes carried the mark (no programme has the field): marks the
 * programme today's rounds in effect already used, so a real set-up keeps working. That is the only published
 * governing-board programme, or, of several, the core unconscious-bias programme Pathways ships if it is published.
 * Otherwise none is marked, and the boards pages ask admins to choose. Every other programme is written unmarked, so
 * this never runs again (an admin's later unmarking stays), and several processes starting at once decide alike.
 */
export async function markPanelTrainingOnUpgrade(): Promise<{ marked: string | null; unmarked: string[] } | null> {
  if (await ProgrammeModel.exists({ panelTraining: { $exists: true } })) return null;
  const board = await ProgrammeModel.find({ track: 'governing-board' }, { title: 1, status: 1 })
    .sort({ createdAt: 1, _id: 1 })
    .lean();
  const published = board.filter((p) => p.status === 'published');
  const core = String(coreProgrammeId('governing-board'));
  const chosen = published.length === 1 ? published[0] : published.find((p) => String(p._id) === core);
  if (chosen)
    await ProgrammeModel.updateOne(
      { _id: chosen._id, panelTraining: { $exists: false } },
      { $set: { panelTraining: true } },
      { timestamps: false },
    );
  await ProgrammeModel.updateMany(
    { panelTraining: { $exists: false } },
    { $set: { panelTraining: false } },
    { timestamps: false },
  );
  if (!board.length) return null;
  return {
    marked: chosen?.title ?? null,
    unmarked: board.filter((p) => p !== chosen).map((p) => p.title),
  };
}
