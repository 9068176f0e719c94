import { randomUUID } from 'node:crypto';
import { BoardModel, type BoardRole } from '../../models/Board.ts';
import { CertificateModel } from '../../models/Certificate.ts';
import { CohortModel } from '../../models/Cohort.ts';
import { ModuleModel } from '../../models/Module.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { RecruitmentRoundModel } from '../../models/RecruitmentRound.ts';
import type { TestUser } from './factories.ts';
import { outlineChanged } from '../../server/services/learning/outline.ts';

/** Boards test data written straight to the models; behaviour under test goes through the services and routes. */
export const asActor = (u: TestUser): Express.User => ({
  id: u.id,
  email: u.email,
  name: u.name,
  roles: u.roles,
  timezone: u.timezone,
});

export async function buildBoard(
  members: { user: TestUser; role: BoardRole }[],
  overrides: Partial<{ name: string; timezone: string }> = {},
) {
  const board = await BoardModel.create({
    name: overrides.name ?? `Board ${randomUUID().slice(0, 6)}`,
    organisation: 'Test Primary School',
    timezone: overrides.timezone ?? 'Europe/London',
    members: members.map((m) => ({ userId: m.user.id, role: m.role })),
  });
  return { id: String(board._id), name: board.name };
}

export async function buildRound(
  boardId: string,
  props: { interviewDates: string[]; panel: TestUser[]; title?: string },
) {
  const round = await RecruitmentRoundModel.create({
    boardId,
    title: props.title ?? 'Headteacher',
    interviewDates: props.interviewDates,
    panel: props.panel.map((p) => p.id),
    status: 'open',
  });
  return { id: String(round._id) };
}

/**
 * A published governing-board programme of `modules` view modules: by default marked as the panels' unconscious-bias
 * training (readiness counts only such programmes); `panelTraining: false` makes another board programme (an induction).
 */
export async function buildGoverningProgramme(
  modules = 2,
  overrides: Partial<{ title: string; panelTraining: boolean }> = {},
) {
  const programme = await ProgrammeModel.create({
    title: overrides.title ?? `Unconscious bias ${randomUUID().slice(0, 4)}`,
    track: 'governing-board',
    summary: 'Recruiting fairly.',
    status: 'published',
    certificateValidityMonths: 36,
    panelTraining: overrides.panelTraining ?? true,
  });
  const moduleIds: string[] = [];
  for (let i = 0; i < modules; i += 1) {
    const m = await ModuleModel.create({
      programmeId: programme._id,
      title: `Module ${i + 1}`,
      body: 'Read this.',
      estimatedMinutes: 10,
      completion: { type: 'view' },
      position: i + 1,
    });
    moduleIds.push(String(m._id));
  }
  await outlineChanged(programme._id);
  return { id: String(programme._id), title: programme.title, moduleIds };
}

/** Makes a programme the only one marked as the panels' training (so panels are enrolled in it, whatever came before). */
export async function onlyPanelTraining(programmeId: string) {
  await ProgrammeModel.updateMany({ _id: { $ne: programmeId } }, { $set: { panelTraining: false } });
}

/**
 * A certificate of the panels' unconscious-bias training with the given dates (no completion behind it: readiness reads
 * certificates).
 */
export async function giveCertificate(userId: string, props: { issuedAt: Date; expiresAt: Date | null }) {
  const programme =
    (await ProgrammeModel.findOne({ track: 'governing-board', panelTraining: true }).lean()) ??
    (
      await ProgrammeModel.create({
        title: 'Unconscious bias',
        track: 'governing-board',
        summary: 'x',
        status: 'published',
        panelTraining: true,
      })
    ).toObject();
  const cohort = await CohortModel.create({
    programmeId: programme._id,
    name: `Past cohort ${randomUUID().slice(0, 4)}`,
    capacity: 30,
    timezone: 'Europe/London',
    startsOn: '2024-01-01',
    endsOn: '2024-06-01',
  });
  const c = await CertificateModel.create({
    userId,
    programmeId: programme._id,
    cohortId: cohort._id,
    track: 'governing-board',
    holderName: 'Holder',
    programmeTitle: programme.title,
    issuedAt: props.issuedAt,
    expiresAt: props.expiresAt,
    verificationCode: `GB-${randomUUID().slice(0, 8).toUpperCase()}`,
  });
  return { id: String(c._id), code: c.verificationCode };
}
