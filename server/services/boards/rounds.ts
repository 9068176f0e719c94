import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { BoardModel, type Board } from '../../../models/Board.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { ExternalCertificateModel } from '../../../models/ExternalCertificate.ts';
import {
  RecruitmentRoundModel,
  genderCategories,
  recruitmentStages,
  type RecruitmentRound,
} from '../../../models/RecruitmentRound.ts';
import { liveUserStatuses, UserModel, type UserStatus } from '../../../models/User.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { canonicalEmail } from '../../emailAddresses.ts';
import { formatDate } from '../../time.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../../errors.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { createOnce, newSubmissionKey, submissionKey } from '../../submissions.ts';
import { emitDomainEvent } from '../../events.ts';
import { canManageRound, canSeeFairnessFigures, canSeeRound } from '../../policies/boards.ts';
import {
  findManagedBoard,
  findOrInvitePanelMember,
  trainingRecordsAccess,
  type TrainingRecordAccess,
} from './boards.ts';
import { mayReadExternalCertificate } from './externalCertificates.ts';
import { peopleById } from './people.ts';
import { nameNoErasedPersonInRecord } from './personalData.ts';
import { formerMemberName } from '../learning/personalData.ts';
import { enrolParticipant } from '../cohorts/enrolment.ts';
import { panelTraining } from '../learning/panelTraining.ts';
import { sendInvitation } from '../users.ts';
import { isolatedText } from '../../visibleText.ts';
import {
  firstInterviewDate,
  interviewDays,
  loadPanelFacts,
  loadReadiness,
  readinessFromFacts,
  type MemberReadiness,
  type PanelFacts,
  type PanelReadiness,
} from './readiness.ts';
import { planRoundReminders } from './roundReminders.ts';

const messages = {
  notFound: 'We could not find that recruitment round.',
  closed: 'This round is closed: its panel and dates are part of the governance record now.',
  panelPerson: 'must be a member of the board or a governor account (add an adviser by email first)',
  panelNotLive: 'is a disabled or erased account, which cannot join a panel',
  datesOrder: 'must not be before the shortlisting date',
  interviewBeforeClosing: 'must not be before the closing date',
  shortlistOrder: 'must not be before the closing date',
  interviewGoneBy: 'must be today or later in the board’s time zone: that day has gone by',
  noProgramme:
    'No published programme is marked as the interview panels’ unconscious-bias training, so there is nothing to enrol the panel in. An admin marks it in the programme’s settings.',
  panelTooBig: 'A panel has at most 20 people.',
  changedMeanwhile: 'Someone changed this round at the same moment. Reload it and try again.',
  savedMeanwhile: savedMeanwhileMessage('round'),
  stageExceeds: (before: string, count: number) => `must not be more than the ${before} (${count})`,
  /** What her invitation says of her training, by where it stands once she is seated (trainAdviser). */
  adviserTraining: {
    valid: () => 'your unconscious-bias training is already valid for that day.',
    enrolled: (programme: string | null) =>
      `before then, complete the unconscious-bias training for panel members${programme ? `, “${programme}”` : ''}. You are enrolled in it: it is on your dashboard once you have set your password.`,
    waitlisted: (programme: string | null) =>
      `before then, complete the unconscious-bias training for panel members${programme ? `, “${programme}”` : ''}. You are on its waitlist for now: you will be emailed when your place is ready, and it will then be on your dashboard.`,
    'not-enrolled': () =>
      'before then, complete the unconscious-bias training for panel members. You are not enrolled in it yet: the board’s chair enrols the panel, and it will then be on your dashboard.',
  } satisfies Record<AdviserTraining['status'], (programme: string | null) => string>,
};

/** Panel rules from UK practice, shown as warnings (never blocking: the board decides). */
export const panelWarningMessages = {
  'fewer-than-three-governors': 'A headteacher selection panel should have at least three governors from the board.',
  'no-safer-recruitment':
    'At least one panel member should hold safer-recruitment training valid on the interview day.',
  'empty-panel': 'The panel is empty: add the people who will interview.',
} as const;
export type PanelWarning = keyof typeof panelWarningMessages;

export type RoundInput = { title: string; closingDate?: string; shortlistingDate?: string; interviewDates: string[] };
type Figures = Partial<
  Record<(typeof recruitmentStages)[number], Partial<Record<(typeof genderCategories)[number], number>>>
>;

export function presentRound(round: RecruitmentRound) {
  return {
    id: String(round._id),
    boardId: String(round.boardId),
    title: round.title,
    closingDate: round.closingDate ?? null,
    shortlistingDate: round.shortlistingDate ?? null,
    interviewDates: [...round.interviewDates].sort(),
    interviewDate: firstInterviewDate(round.interviewDates),
    panel: round.panel.map(String),
    status: round.status,
    closedAt: round.closedAt ? round.closedAt.toISOString() : null,
    /** Sent back with a change (the API's PATCH, the page's form), a change saved since is a 409. */
    version: round.version ?? null,
  };
}

/**
 * A round's dates in order. An interview day it did not have before (`had`) must not be gone by in the board's zone
 * (`today`): a year typed wrong (2025 for 2027) would start a round nobody is reminded about, shown "Interview passed".
 * A day it had may stay as it is, so a round whose interview has been can still be corrected and closed.
 */
function checkDates(input: RoundInput, when: { today: string; had?: string[] }): void {
  const problems: FieldError[] = [];
  input.interviewDates.forEach((day, i) => {
    if (day < when.today && !when.had?.includes(day))
      problems.push({ path: `interviewDates.${i}`, message: messages.interviewGoneBy });
  });
  const first = [...input.interviewDates].sort()[0]!;
  if (input.closingDate && input.shortlistingDate && input.shortlistingDate < input.closingDate)
    problems.push({ path: 'shortlistingDate', message: messages.shortlistOrder });
  if (input.shortlistingDate && first < input.shortlistingDate)
    problems.push({ path: 'interviewDates', message: messages.datesOrder });
  // Without a shortlisting date the interview is still checked against the closing date (a year typed wrong).
  else if (!input.shortlistingDate && input.closingDate && first < input.closingDate)
    problems.push({ path: 'interviewDates', message: messages.interviewBeforeClosing });
  if (problems.length) throw new ValidationError('Check the dates.', problems);
}

const todayIn = (timezone: string, now = new Date()) => DateTime.fromJSDate(now, { zone: timezone }).toISODate()!;

const maxPanelSize = 20;

/**
 * Panel ids must be people the board can seat: its members, or governor accounts (advisers from outside), with a live
 * account (an erased one keeps her roles and board rows as "Former member"; a disabled one cannot sign in). Someone
 * already on the panel (`seated`) is not checked again: disabled or erased since, off the board or her governor role
 * taken away, she stays (her row keeps the round's counts) and the chair can still change the rest of the panel.
 */
async function checkPanel(board: Board, panel: string[], seated: Types.ObjectId[] = []): Promise<Types.ObjectId[]> {
  const unique = [...new Set(panel)];
  if (unique.length > maxPanelSize)
    throw new ValidationError(messages.panelTooBig, [{ path: 'panel', message: messages.panelTooBig }]);
  const valid = unique.filter((id) => Types.ObjectId.isValid(id) && /^[0-9a-f]{24}$/i.test(id));
  const users = await UserModel.find({ _id: { $in: valid } })
    .select({ roles: 1, status: 1 })
    .lean();
  const members = new Set(board.members.map((m) => String(m.userId)));
  const already = new Set(seated.map(String));
  const live = new Set(
    users.filter((u) => liveUserStatuses.includes(u.status as UserStatus)).map((u) => String(u._id)),
  );
  const ok = new Set(
    users.filter((u) => members.has(String(u._id)) || u.roles.includes('governor')).map((u) => String(u._id)),
  );
  const problems = unique
    .map((id, i) => ({ id, i }))
    .filter(({ id }) => !already.has(id) && (!ok.has(id) || !live.has(id)))
    .map(({ id, i }) => ({ path: `panel.${i}`, message: ok.has(id) ? messages.panelNotLive : messages.panelPerson }));
  if (problems.length) throw new ValidationError('Check the panel.', problems);
  return unique.map((id) => new Types.ObjectId(id));
}

export async function createRound(props: {
  actor: Express.User;
  boardId: string;
  input: RoundInput;
  panel: string[];
  /** The form's `_submission` or the API's `Idempotency-Key`: the same key starts one round (server/submissions.ts). */
  submissionKey?: string;
  now?: Date;
}): Promise<RecruitmentRound> {
  const board = await findManagedBoard({ actor: props.actor, boardId: props.boardId });
  checkDates(props.input, { today: todayIn(board.timezone, props.now) });
  const panel = await checkPanel(board, props.panel);
  // Only a key the client sent makes a repeat (a board may well run two rounds alike in title and dates).
  const key = props.submissionKey
    ? submissionKey({ scope: ['round', String(board._id)], clientKey: props.submissionKey, content: [] })
    : newSubmissionKey();
  const inserted = await createOnce(RecruitmentRoundModel, key, {
    boardId: board._id,
    ...props.input,
    interviewDates: [...new Set(props.input.interviewDates)].sort(),
    panel,
    status: 'open',
    createdBy: props.actor.id,
  });
  if (!inserted.doc) throw new NotFoundError(messages.notFound);
  // Its panel is reminded once: a repeat answers with the round the first one started.
  if (inserted.created) await planRoundReminders({ roundId: String(inserted.doc._id), now: props.now });
  return inserted.doc as RecruitmentRound;
}

/** A round and its board, when she may see the round (else 404). */
export async function findRoundFor(props: {
  actor: Express.User;
  roundId: string;
}): Promise<{ round: RecruitmentRound; board: Board }> {
  if (!/^[0-9a-f]{24}$/i.test(props.roundId)) throw new NotFoundError(messages.notFound);
  const round = await RecruitmentRoundModel.findById(props.roundId).lean<RecruitmentRound>();
  const board = round && (await BoardModel.findById(round.boardId).lean<Board>());
  if (!round || !board || !canSeeRound(props.actor, board, round)) throw new NotFoundError(messages.notFound);
  return { round, board };
}

/** A round she may manage: 404 when invisible, 403 when visible only; 409 for changes after closing unless allowed. */
async function findManagedRound(props: { actor: Express.User; roundId: string; evenClosed?: boolean }) {
  const found = await findRoundFor(props);
  if (!canManageRound(props.actor, found.board)) throw new ForbiddenError();
  if (found.round.status === 'closed' && !props.evenClosed) throw new ConflictError(messages.closed);
  return found;
}

export async function updateRound(props: {
  actor: Express.User;
  roundId: string;
  input: RoundInput;
  now?: Date;
  /** Written only if the round is still at this version (changeRound merged the input with what it read). */
  expectedVersion?: number | null;
  /** A checked panel (checkPanel) written in the same update, so details and panel land together or not at all. */
  panel?: Types.ObjectId[];
}): Promise<RecruitmentRound> {
  const { round, board } = await findManagedRound(props);
  checkDates(props.input, { today: todayIn(board.timezone, props.now), had: round.interviewDates });
  const update = {
    ...(props.panel ? { panel: props.panel } : {}),
    title: props.input.title,
    interviewDates: [...new Set(props.input.interviewDates)].sort(),
    ...(props.input.closingDate ? { closingDate: props.input.closingDate } : {}),
    ...(props.input.shortlistingDate ? { shortlistingDate: props.input.shortlistingDate } : {}),
  };
  const unset = {
    ...(props.input.closingDate ? {} : { closingDate: 1 }),
    ...(props.input.shortlistingDate ? {} : { shortlistingDate: 1 }),
  };
  const written = await RecruitmentRoundModel.updateOne(
    { _id: round._id, status: 'open', ...versionFilter(props.expectedVersion) },
    { $set: update, ...(Object.keys(unset).length ? { $unset: unset } : {}), $inc: { version: 1 } },
  );
  if (written.matchedCount !== 1) throw notWritten(props.expectedVersion);
  await planRoundReminders({ roundId: props.roundId, now: props.now });
  return (await RecruitmentRoundModel.findById(round._id).lean<RecruitmentRound>())!;
}

/**
 * A change computed from the round as read (a PATCH keeping the fields it does not name, a panel member added or
 * removed) is written only if the round's `version` is still the one read, so two people changing one round at once,
 * on two processes, never undo each other: the one that finds it moved on reads it again and re-applies its change.
 */
class RoundChangedError extends Error {}
/** Why a write on an open round matched nothing: moved on (read it again), or, with no version named, closed meanwhile. */
const notWritten = (expected: number | null | undefined) =>
  expected === undefined ? new ConflictError(messages.closed) : new RoundChangedError();

async function withFreshRound<T>(
  props: { actor: Express.User; roundId: string },
  change: (round: RecruitmentRound) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const { round } = await findRoundFor(props);
    try {
      return await change(round);
    } catch (error) {
      if (!(error instanceof RoundChangedError)) throw error;
    }
  }
  throw new ConflictError(messages.changedMeanwhile);
}

/** A partial change (the API's PATCH): only the fields given change; `null` clears a date. */
export type RoundChange = {
  title?: string;
  interviewDate?: string;
  interviewDates?: string[];
  closingDate?: string | null;
  shortlistingDate?: string | null;
  panel?: string[];
  /**
   * The interview dates a form showed (the web page): the dates given then replace only these, and a date it did not
   * show (added meanwhile, or beyond its fields) is kept; the dates sent as shown are no change, and leave the round's.
   * Without it the dates given replace the whole list.
   */
  interviewDatesShown?: string[];
  /**
   * The title and dates a form showed (the web page): a detail sent as it was shown is left as it now stands, so a
   * colleague's change saved while the page was open is not put back; only what she changed is written.
   */
  detailsShown?: { title?: string; closingDate?: string | null; shortlistingDate?: string | null };
};

/** Interview dates given as a list, as one date, or both (the one date joins the list); undefined when neither is. */
export function mergeInterviewDates(props: {
  interviewDate?: string;
  interviewDates?: string[];
}): string[] | undefined {
  if (!props.interviewDate && !props.interviewDates) return undefined;
  return [...(props.interviewDates ?? []), ...(props.interviewDate ? [props.interviewDate] : [])];
}

/**
 * The interview dates after a change: the dates given, plus any stored date the form did not show. Dates a form sent
 * exactly as it showed them (in any order) are no change of hers, so they are left as they now stand, as a detail
 * sent as shown is (`detailsShown`): a day a colleague moved while the page was open is not put back beside hers.
 * The dates given come first, so that an error about the nth day (`interviewDates.n`) is about the nth day sent.
 */
export function changedInterviewDates(props: {
  current: string[];
  given: string[] | undefined;
  shown?: string[];
}): string[] {
  if (!props.given) return props.current;
  if (!props.shown) return props.given;
  const shown = new Set(props.shown);
  const given = new Set(props.given);
  if (given.size === shown.size && [...given].every((d) => shown.has(d))) return props.current;
  return [...props.given, ...props.current.filter((d) => !shown.has(d))];
}

/**
 * Applies a partial change: details (kept where not given) and the panel, checked first and then written in one
 * update over the version read, so a refusal (422, or a 409 when the round closed meanwhile) changes nothing. With
 * `expectedVersion` (the version the page's form was opened at, or an API client read), a change saved by someone
 * else since is a 409 rather than merged over: the form sends every field as it showed it (server/versions.ts).
 */
export async function changeRound(props: {
  actor: Express.User;
  roundId: string;
  change: RoundChange;
  now?: Date;
  expectedVersion?: ExpectedVersion;
}): Promise<RecruitmentRound> {
  const { panel, interviewDate, interviewDates, interviewDatesShown, detailsShown, ...given } = props.change;
  const shown = (detailsShown ?? {}) as Record<string, unknown>;
  const details = Object.fromEntries(
    Object.entries(given).filter(([key, value]) => !(key in shown) || (shown[key] ?? null) !== (value ?? null)),
  ) as Pick<RoundChange, 'title' | 'closingDate' | 'shortlistingDate'>;
  const dates = mergeInterviewDates({ interviewDate, interviewDates });
  // Only those who run the round change it, even when the change is empty (deny by default). A closed round refuses
  // a panel here (409 before the panel is checked) and details in updateRound.
  const { round, board } = await findManagedRound({ ...props, evenClosed: !panel });
  const checkedPanel = panel ? await checkPanel(board, panel, round.panel) : undefined;
  if (dates || Object.keys(details).length || checkedPanel) {
    const keptOrCleared = (given: string | null | undefined, current: string | null | undefined) =>
      given === null ? undefined : (given ?? current ?? undefined);
    await withFreshRound(props, async (round) => {
      if (movedOn(round.version, props.expectedVersion)) throw new ConflictError(messages.savedMeanwhile);
      return updateRound({
        actor: props.actor,
        roundId: props.roundId,
        now: props.now,
        expectedVersion: round.version ?? null,
        panel: checkedPanel,
        input: {
          title: details.title ?? round.title,
          interviewDates: changedInterviewDates({
            current: round.interviewDates,
            given: dates,
            shown: interviewDatesShown,
          }),
          closingDate: keptOrCleared(details.closingDate, round.closingDate),
          shortlistingDate: keptOrCleared(details.shortlistingDate, round.shortlistingDate),
        },
      });
    });
  }
  return (await findRoundFor(props)).round;
}

export async function setPanel(props: {
  actor: Express.User;
  roundId: string;
  panel: string[];
  now?: Date;
  /** Written only if the round is still at this version (the panel was computed from the one read). */
  expectedVersion?: number | null;
}): Promise<RecruitmentRound> {
  const { round, board } = await findManagedRound(props);
  const panel = await checkPanel(board, props.panel, round.panel);
  const written = await RecruitmentRoundModel.updateOne(
    { _id: round._id, status: 'open', ...versionFilter(props.expectedVersion) },
    { $set: { panel }, $inc: { version: 1 } },
  );
  if (written.matchedCount !== 1) throw notWritten(props.expectedVersion);
  await planRoundReminders({ roundId: props.roundId, now: props.now });
  return { ...round, panel };
}

export async function addToPanel(props: {
  actor: Express.User;
  roundId: string;
  userId: string;
  now?: Date;
}): Promise<RecruitmentRound> {
  return withFreshRound(props, (round) =>
    setPanel({ ...props, panel: [...round.panel.map(String), props.userId], expectedVersion: round.version ?? null }),
  );
}

export async function removeFromPanel(props: {
  actor: Express.User;
  roundId: string;
  userId: string;
  now?: Date;
}): Promise<RecruitmentRound> {
  return withFreshRound(props, (round) =>
    setPanel({
      ...props,
      panel: round.panel.map(String).filter((id) => id !== props.userId),
      expectedVersion: round.version ?? null,
    }),
  );
}

/**
 * Seats someone from outside the board by email: an existing account, or a new `governor` account invited by email.
 * The round is checked first (she may manage it, it is open, its panel has room), so a refused adviser gets no
 * account and no invitation to a panel she is not on. Seated without valid training, she is enrolled in the panels'
 * training at once, as "Enrol the untrained" would (a chair expects the adviser she seats to be able to start, and her
 * invitation to say where), before her invitation says so.
 */
export async function addAdviserToPanel(props: {
  actor: Express.User;
  roundId: string;
  email: string;
  name: string;
  now?: Date;
}): Promise<{ id: string; name: string; invited: boolean; training: AdviserTraining }> {
  const now = props.now ?? new Date();
  const { round, board } = await findManagedRound(props);
  const existing = await UserModel.findOne({ email: canonicalEmail(props.email) }, { _id: 1 }).lean();
  const seated = new Set(round.panel.map(String));
  if (!(existing && seated.has(String(existing._id))) && seated.size >= maxPanelSize)
    throw new ValidationError(messages.panelTooBig, [{ path: 'email', message: messages.panelTooBig }]);
  const person = await findOrInvitePanelMember({
    actor: props.actor,
    boardId: String(board._id),
    email: props.email,
    name: props.name,
  });
  await addToPanel({ actor: props.actor, roundId: props.roundId, userId: person.id, now });
  const days = interviewDays(round.interviewDates);
  const { interviewDate } = days;
  const training = await trainAdviser({ userId: person.id, ...days, timezone: board.timezone, now });
  if (person.invited)
    await sendInvitation({
      userId: person.id,
      actorName: props.actor.name,
      // Her first email from Pathways: why she is asked to join, and what she must do before when. Plain text in both
      // parts of the email, so the round's and board's names are isolated as a name in a template is.
      invitedFor: `You are on the interview panel for ${isolatedText(round.title)} (${isolatedText(board.name)}). The interview is on ${formatDate(
        interviewDate,
        board.timezone,
      )} (${board.timezone}): ${messages.adviserTraining[training.status](training.programme)}`,
    });
  return { ...person, training };
}

/** Where an adviser's unconscious-bias training stands once she is seated (her invitation says it). */
export type AdviserTraining = {
  status: 'valid' | 'enrolled' | 'waitlisted' | 'not-enrolled';
  /** The panels' training she is enrolled in (or, when valid or not enrolled, the one panels are enrolled in). */
  programme: string | null;
};

/** Enrols an adviser just seated who lacks training and is in none (nothing to enrol her in: not enrolled). */
async function trainAdviser(props: {
  userId: string;
  interviewDate: string;
  validThrough: string;
  timezone: string;
  now: Date;
}): Promise<AdviserTraining> {
  const programme = (await panelTraining()).forEnrolment?.title ?? null;
  const facts = await loadPanelFacts([props.userId]);
  const [member] = readinessFromFacts({
    panel: [props.userId],
    interviewDate: props.interviewDate,
    validThrough: props.validThrough,
    timezone: props.timezone,
    facts,
    now: props.now,
  }).members;
  if (member!.status === 'valid') return { status: 'valid', programme };
  if (member!.enrolled) return { status: 'enrolled', programme };
  if (!programme) return { status: 'not-enrolled', programme };
  const result = await enrolInPanelTraining({
    userIds: [props.userId],
    facts,
    interviewDate: props.interviewDate,
    now: props.now,
  });
  return { status: result.waitlisted.length ? 'waitlisted' : 'enrolled', programme };
}

/** Readiness of a round's panel for its interview days (readiness.ts, interviewDays), computed now (never stored while the round is open). */
export async function roundReadiness(props: {
  actor: Express.User;
  roundId: string;
  now?: Date;
}): Promise<PanelReadiness> {
  const { round, board } = await findRoundFor(props);
  return loadReadiness({
    panel: round.panel,
    interviewDates: round.interviewDates,
    timezone: board.timezone,
    now: props.now,
  });
}

type SaferRecruitmentCertificate = { userId: string; provider: string; expiresOn: string; recordedBy: string };

/**
 * Panel members holding safer-recruitment training for the round's interview days (completed by the first, valid
 * through the last, as for readiness: interviewDays), with those certificates (latest expiry first). Who may read a
 * certificate's details is not decided here: see `saferRecruitmentShown`.
 */
export async function saferRecruitmentHolders(
  panel: (string | Types.ObjectId)[],
  days: { interviewDate: string; validThrough: string },
): Promise<Map<string, SaferRecruitmentCertificate[]>> {
  const rows = await ExternalCertificateModel.find({
    userId: { $in: panel.map((id) => new Types.ObjectId(String(id))) },
    kind: 'safer-recruitment',
    completedOn: { $lte: days.interviewDate },
    expiresOn: { $gte: days.validThrough },
  })
    .select('userId provider expiresOn recordedBy')
    .sort({ expiresOn: -1 })
    .lean();
  const holders = new Map<string, SaferRecruitmentCertificate[]>();
  for (const r of rows) {
    const userId = String(r.userId);
    holders.set(userId, [
      ...(holders.get(userId) ?? []),
      { userId, provider: r.provider, expiresOn: r.expiresOn, recordedBy: String(r.recordedBy) },
    ]);
  }
  return holders;
}

/**
 * What the round page says of a panel member's safer-recruitment training: whether she holds it for the interview
 * day (the panel rule needs that, as it needs her readiness), with provider and expiry only from a certificate the
 * viewer may read under the rule of `GET /users/:id/external-certificates` (not one she recorded herself before she
 * confirmed the board, for its chairs and clerks).
 */
function saferRecruitmentShown(
  actor: Express.User,
  held: SaferRecruitmentCertificate[] | undefined,
  access: TrainingRecordAccess | undefined,
): { details: { provider: string; expiresOn: string } | null } | null {
  if (!held?.length) return null;
  const readable = access && held.find((c) => mayReadExternalCertificate(actor, c, access));
  return { details: readable ? { provider: readable.provider, expiresOn: readable.expiresOn } : null };
}

export function panelWarnings(props: {
  board: Board;
  panel: (string | Types.ObjectId)[];
  saferRecruitment: Map<string, unknown>;
}): PanelWarning[] {
  const warnings: PanelWarning[] = [];
  if (!props.panel.length) return ['empty-panel'];
  const governors = props.panel.filter((id) =>
    props.board.members.some((m) => String(m.userId) === String(id) && (m.role === 'chair' || m.role === 'governor')),
  );
  if (governors.length < 3) warnings.push('fewer-than-three-governors');
  if (!props.panel.some((id) => props.saferRecruitment.has(String(id)))) warnings.push('no-safer-recruitment');
  return warnings;
}

/** Everything the round page shows, in a fixed number of queries. */
export async function roundOverview(props: { actor: Express.User; roundId: string; now?: Date }) {
  const now = props.now ?? new Date();
  const { round, board } = await findRoundFor(props);
  const days = interviewDays(round.interviewDates);
  const [facts, saferRecruitment, people, access, training] = await Promise.all([
    loadPanelFacts(round.panel),
    saferRecruitmentHolders(round.panel, days),
    peopleById([...round.panel, ...board.members.map((m) => m.userId)]),
    trainingRecordsAccess(props.actor, round.panel.map(String)),
    panelTraining(),
  ]);
  const readiness = readinessFromFacts({
    panel: round.panel.map(String),
    ...days,
    timezone: board.timezone,
    facts,
    now,
  });
  const members = readiness.members.map((m) => ({
    ...m,
    name: people.get(m.userId)?.name ?? 'Unknown person',
    email: people.get(m.userId)?.email ?? '',
    invited: people.get(m.userId)?.status === 'invited',
    boardRole: board.members.find((b) => String(b.userId) === m.userId)?.role ?? null,
    saferRecruitment: saferRecruitmentShown(props.actor, saferRecruitment.get(m.userId), access.get(m.userId)),
  }));
  const canManage = canManageRound(props.actor, board);
  return {
    round: presentRound(round),
    board: { id: String(board._id), name: board.name, timezone: board.timezone },
    readiness,
    members,
    notReady: members.filter((m) => m.status !== 'valid'),
    lacking: members.filter((m) => m.status !== 'valid' && !m.enrolled),
    warnings: panelWarnings({ board, panel: round.panel, saferRecruitment }),
    canManage,
    /** The panels' training: what the page links to, names on "Enrol the untrained", or asks an admin to mark. */
    panelTraining: training,
    canSeeFigures: canSeeFairnessFigures(props.actor, board),
    figures: round.genderFigures ?? {},
    readinessRecord: round.readinessRecord ?? null,
    candidates: board.members
      .filter((m) => !round.panel.some((p) => String(p) === String(m.userId)))
      .map((m) => ({ id: String(m.userId), name: people.get(String(m.userId))?.name ?? '', role: m.role })),
  };
}

/**
 * The cohort panel members are enrolled in: a cohort of the panels' training (the marked programme panels are enrolled
 * in, learning/panelTraining.ts), self-paced and open past the interview, else an open self-enrolment one, else a new
 * self-paced cohort the system opens (and keeps open for two years).
 */
export async function findOrOpenPanelCohort(props: {
  until: string;
  now: Date;
  /** Cohorts not to use: those whose training she has already done there (a renewal is a completion in another). */
  avoiding?: string[];
}): Promise<string> {
  const chosen = (await panelTraining()).forEnrolment;
  if (!chosen) throw new ConflictError(messages.noProgramme);
  const programme = { _id: new Types.ObjectId(chosen.id), title: chosen.title };
  const today = DateTime.fromJSDate(props.now, { zone: 'Europe/London' }).toISODate()!;
  const base = {
    programmeId: programme._id,
    startsOn: { $lte: today },
    endsOn: { $gte: props.until > today ? props.until : today },
    ...(props.avoiding?.length ? { _id: { $nin: props.avoiding.map((id) => new Types.ObjectId(id)) } } : {}),
  };
  const cohort =
    (await CohortModel.findOne({ ...base, selfPaced: true })
      .sort({ endsOn: -1 })
      .lean()) ??
    (await CohortModel.findOne({ ...base, selfEnrolment: true })
      .sort({ endsOn: -1 })
      .lean());
  if (cohort) return String(cohort._id);
  const endsOn = DateTime.fromISO(props.until > today ? props.until : today)
    .plus({ years: 2 })
    .toISODate()!;
  // Two chairs (or one double click, on two processes) finding none at once would each open one and enrol her in
  // both: the new cohort's id is derived from what it is, so the `_id` index lets one in and the other uses it.
  const _id = panelCohortId(programme._id, today, endsOn);
  try {
    await CohortModel.create({
      _id,
      programmeId: programme._id,
      name: `${programme.title} (self-paced)`,
      capacity: 10_000,
      timezone: 'Europe/London',
      startsOn: today,
      endsOn,
      selfPaced: true,
      selfEnrolment: false,
    });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  return String(_id);
}

/** The id of the panel cohort opened for a programme on `startsOn` until `endsOn`: that day's time, then a hash. */
function panelCohortId(programmeId: Types.ObjectId, startsOn: string, endsOn: string): Types.ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(Date.parse(`${startsOn}T00:00:00Z`) / 1000));
  createHash('sha256')
    .update(`panel-cohort:${String(programmeId)}:${startsOn}:${endsOn}`)
    .digest()
    .copy(bytes, 4, 0, 8);
  return new Types.ObjectId(bytes);
}

/**
 * One action for the chair: every panel member who is not valid and not already enrolled in the panels' training
 * is enrolled (as the system, so she need not run the cohort herself).
 */
export async function enrolPanelLackingTraining(props: {
  actor: Express.User;
  roundId: string;
  now?: Date;
}): Promise<{ enrolled: string[]; waitlisted: string[]; passedOver: string[]; cohortId: string | null }> {
  const now = props.now ?? new Date();
  const { round, board } = await findManagedRound(props);
  const days = interviewDays(round.interviewDates);
  const { interviewDate } = days;
  const facts = await loadPanelFacts(round.panel);
  const readiness = readinessFromFacts({
    panel: round.panel.map(String),
    ...days,
    timezone: board.timezone,
    facts,
    now,
  });
  const untrained = readiness.members.filter((m) => m.status !== 'valid' && !m.enrolled).map((m) => m.userId);
  // A member whose account was disabled or erased after she was seated stays on the panel (its counts stand) but
  // cannot be enrolled: she is passed over and named, rather than refusing everyone after her.
  const live = new Set(
    (await UserModel.find({ _id: { $in: untrained }, status: { $in: liveUserStatuses } }, { _id: 1 }).lean()).map((u) =>
      String(u._id),
    ),
  );
  const lacking = untrained.filter((id) => live.has(id));
  const passedOver = untrained.filter((id) => !live.has(id));
  if (!lacking.length) return { enrolled: [], waitlisted: [], passedOver, cohortId: null };
  return { ...(await enrolInPanelTraining({ userIds: lacking, facts, interviewDate, now })), passedOver };
}

/**
 * Enrols panel members (as the system) in a cohort of the panels' training open until the interview: a member renewing
 * is placed in a cohort other than those that issued her certificates (one search per set). Someone enrolled a moment
 * ago by someone else is left as she is.
 */
async function enrolInPanelTraining(props: {
  userIds: string[];
  facts: PanelFacts;
  interviewDate: string;
  now: Date;
}): Promise<{ enrolled: string[]; waitlisted: string[]; cohortId: string }> {
  const { facts, interviewDate, now } = props;
  const cohorts = new Map<string, Promise<string>>();
  const cohortFor = (userId: string) => {
    const avoiding = [...new Set((facts.certificates.get(userId) ?? []).flatMap((c) => c.cohortId ?? []))].sort();
    const key = avoiding.join(',');
    if (!cohorts.has(key)) cohorts.set(key, findOrOpenPanelCohort({ until: interviewDate, now, avoiding }));
    return cohorts.get(key)!;
  };
  const cohortId = await cohortFor(props.userIds[0]!);
  const enrolled: string[] = [];
  const waitlisted: string[] = [];
  for (const userId of props.userIds) {
    const cohortId = await cohortFor(userId);
    try {
      const result = await enrolParticipant({ actor: 'system', cohortId, userId, now });
      (result.status === 'active' ? enrolled : waitlisted).push(userId);
    } catch (error) {
      // Enrolled a moment ago by someone else: nothing to do for her.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return { enrolled, waitlisted, cohortId };
}

/**
 * The figures after a change: with the figures a form showed, a cell sent as it was shown is no change of hers and
 * keeps what is stored now (a colleague's count saved while the page was open stays), and only the cells she changed
 * take what she typed. Without them (the API's PUT), the figures given are the figures.
 */
function changedFigures(current: Figures, given: Figures, shown: Figures | undefined): Figures {
  if (!shown) return given;
  return Object.fromEntries(
    recruitmentStages.map((stage) => [
      stage,
      Object.fromEntries(
        genderCategories.flatMap((category) => {
          const typed = given[stage]?.[category];
          const count = typed === shown[stage]?.[category] ? current[stage]?.[category] : typed;
          return count == null ? [] : [[category, count]];
        }),
      ),
    ]),
  );
}

/**
 * Counts by stage and gender; blank means "not recorded". Allowed after closing (appointments come late). Written
 * over the round's version read, as its other changes are, so two people saving figures at once (on two processes)
 * never undo each other unseen: the form writes only the cells she changed (`shown`), merged with the figures as they
 * then stand, and an API client that names the `version` it read gets a 409 when they were saved since.
 */
export async function recordGenderFigures(props: {
  actor: Express.User;
  roundId: string;
  figures: Figures;
  /** The figures the web form showed (its hidden fields): only the cells changed from these are written. */
  shown?: Figures;
  /** The version an API client read: figures (or anything else of the round) saved since are a 409. */
  expectedVersion?: ExpectedVersion;
}): Promise<RecruitmentRound> {
  await findManagedRound({ ...props, evenClosed: true });
  return withFreshRound(props, async (round) => {
    if (movedOn(round.version, props.expectedVersion)) throw new ConflictError(messages.savedMeanwhile);
    const figures = changedFigures((round.genderFigures ?? {}) as Figures, props.figures, props.shown);
    checkStageOrder(figures);
    const genderFigures = Object.fromEntries(recruitmentStages.map((stage) => [stage, figures[stage] ?? undefined]));
    const written = await RecruitmentRoundModel.updateOne(
      { _id: round._id, ...versionFilter(round.version ?? null) },
      { $set: { genderFigures }, $inc: { version: 1 } },
    );
    if (written.matchedCount !== 1) throw new RoundChangedError();
    await emitDomainEvent('round.recorded', { roundId: round._id });
    return (await RecruitmentRoundModel.findById(round._id).lean<RecruitmentRound>())!;
  });
}

/**
 * Each stage comes from the one before: never more shortlisted than applied, nor appointed than shortlisted, in a
 * category where both are recorded (else the fairness rates pass 100%).
 */
function checkStageOrder(figures: Figures): void {
  const problems: FieldError[] = [];
  recruitmentStages.slice(1).forEach((stage, i) => {
    const before = recruitmentStages[i]!;
    for (const category of genderCategories) {
      const n = figures[stage]?.[category];
      const pool = figures[before]?.[category];
      if (n !== undefined && pool !== undefined && n > pool)
        problems.push({ path: `${stage}.${category}`, message: messages.stageExceeds(before, pool) });
    }
  });
  if (problems.length) throw new ValidationError('Check the figures.', problems);
}

/**
 * Closes a round and keeps its readiness record: the panel, each member's status and deciding certificate
 * (code, issue and expiry) for its interview days (readiness.ts, interviewDays). Scheduled reminders for the round are cancelled. The close
 * is written only at the round's version read, so a panel or date change landing while the record is computed (on
 * another process) makes it read the round again: the record always describes the round as it closed.
 */
export async function closeRound(props: {
  actor: Express.User;
  roundId: string;
  now?: Date;
}): Promise<RecruitmentRound> {
  const now = props.now ?? new Date();
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const { round, board } = await findManagedRound(props);
    const record = await readinessRecordOf(round, board, now);
    const result = await RecruitmentRoundModel.updateOne(
      { _id: round._id, status: 'open', ...versionFilter(round.version ?? null) },
      { $set: { status: 'closed', closedAt: now, closedBy: props.actor.id, readinessRecord: record } },
    );
    // Not written: closed meanwhile (the next read answers 409) or changed meanwhile (the record is made again).
    if (result.modifiedCount !== 1) continue;
    await nameNoErasedPersonInRecord(round._id);
    await planRoundReminders({ roundId: props.roundId, now });
    await emitDomainEvent('round.recorded', { roundId: round._id });
    return (await RecruitmentRoundModel.findById(round._id).lean<RecruitmentRound>())!;
  }
  throw new ConflictError(messages.changedMeanwhile);
}

/**
 * What closing a round asks first (server/http/confirmFirst.ts): the round and how many of its panel are not ready now,
 * as the record will keep them. Loaded with the close's own 404 and 403; null once it is closed (the close says so).
 */
export async function roundToClose(props: {
  actor: Express.User;
  roundId: string;
  now?: Date;
}): Promise<{ title: string; panelSize: number; notReady: number } | null> {
  const { round, board } = await findManagedRound({ ...props, evenClosed: true });
  if (round.status !== 'open') return null;
  const readiness = await loadReadiness({
    panel: round.panel,
    interviewDates: round.interviewDates,
    timezone: board.timezone,
    now: props.now,
  });
  return {
    title: round.title,
    panelSize: round.panel.length,
    notReady: readiness.members.filter((m) => m.status !== 'valid').length,
  };
}

/** What removing someone from a panel asks first: her name and the round's (null when she is not on it, or it closed). */
export async function panelRemovalToConfirm(props: {
  actor: Express.User;
  roundId: string;
  userId: string;
}): Promise<{ name: string; title: string } | null> {
  const { round } = await findManagedRound({ ...props, evenClosed: true });
  if (round.status !== 'open' || !round.panel.some((id) => String(id) === props.userId)) return null;
  const person = (await peopleById([props.userId])).get(props.userId);
  return { name: person?.name ?? 'This person', title: round.title };
}

/**
 * The certificate a record names for a member: the one that decided her status, else one she gained after the
 * interview day, marked so (the record must neither call her ready nor say she holds no certificate).
 */
function certificateOnRecord(m: MemberReadiness) {
  const certificate = m.certificate ?? m.certificateAfterDay;
  return {
    certificateCode: certificate?.verificationCode,
    certificateIssuedAt: certificate?.issuedAt,
    certificateExpiresAt: certificate?.expiresAt ?? undefined,
    ...(!m.certificate && m.certificateAfterDay ? { certificateAfterInterview: true } : {}),
  };
}

async function readinessRecordOf(round: RecruitmentRound, board: Board, now: Date) {
  const readiness = await loadReadiness({
    panel: round.panel,
    interviewDates: round.interviewDates,
    timezone: board.timezone,
    now,
  });
  const people = await peopleById(round.panel);
  return {
    ready: readiness.ready,
    interviewDate: readiness.interviewDate,
    timezone: board.timezone,
    boardName: board.name,
    organisation: board.organisation,
    members: readiness.members.map((m) => ({
      userId: new Types.ObjectId(m.userId),
      name:
        people.get(m.userId)?.status === 'erased' ? formerMemberName : (people.get(m.userId)?.name ?? 'Unknown person'),
      boardRole: board.members.find((b) => String(b.userId) === m.userId)?.role,
      status: m.status,
      percent: m.percent,
      ...certificateOnRecord(m),
      renewBy: m.renewBy,
    })),
  };
}

/** Rounds of a board, newest first. */
export async function roundsOfBoard(boardId: Types.ObjectId | string): Promise<RecruitmentRound[]> {
  return RecruitmentRoundModel.find({ boardId }).sort({ createdAt: -1 }).limit(200).lean<RecruitmentRound[]>();
}

/** Readiness of a board's open rounds, by round id, from one load of the facts for every panel. */
export async function openRoundsReadiness(
  board: Board,
  rounds: RecruitmentRound[],
  now = new Date(),
): Promise<Map<string, PanelReadiness>> {
  const open = rounds.filter((r) => r.status === 'open');
  const facts = await loadPanelFacts(open.flatMap((r) => r.panel));
  return new Map(
    open.map((r) => [
      String(r._id),
      readinessFromFacts({
        panel: r.panel.map(String),
        ...interviewDays(r.interviewDates),
        timezone: board.timezone,
        facts,
        now,
      }),
    ]),
  );
}
