import { Types } from 'mongoose';
import { BoardModel, type Board, type BoardRole } from '../../../models/Board.ts';
import { RecruitmentRoundModel } from '../../../models/RecruitmentRound.ts';
import { liveUserStatuses, UserModel } from '../../../models/User.ts';
import { canonicalEmail } from '../../emailAddresses.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { clientKeyOrNew, createOnce } from '../../submissions.ts';
import { decodeCursor, pageOf } from '../../pagination.ts';
import { boardRoleOf, canChangeChairs, canCreateBoard, canManageBoard, canSeeBoard } from '../../policies/boards.ts';
import { replanRoundsOfBoard } from './roundReminders.ts';
import { createUser } from '../users.ts';

const messages = {
  notFound: 'We could not find that board.',
  savedMeanwhile: savedMeanwhileMessage('board'),
  noSuchUser: 'There is no account with that id.',
  notLive: 'This account is disabled or erased.',
  addressNotProved:
    'The account with this address was made by a course’s LMS on its word, and nobody has confirmed the address ' +
    'yet, so a seat given by email does not go to it. Ask her to choose a Pathways password with "Forgotten your ' +
    'password?" on the sign-in page (the link is emailed to this address), then add her again.',
  researcherAccount:
    'This is a researcher account, which opens only the research pages: add her other account, or ask an admin for one.',
  lastChair: 'A board needs a chair: appoint another chair before changing or removing this one.',
  busy: 'Someone else changed the board at the same moment. Please try again.',
  noSuchMember: 'That person is not a member of this board.',
  noAccount: 'Nobody has this email address: ask an admin to create the account, or add her to a round as an adviser.',
  chairsOnly: 'Only a chair (or an admin) appoints a chair or changes or removes one.',
  notAMember: 'You are not a member of that board.',
};

export type BoardView = {
  id: string;
  name: string;
  organisation: string;
  timezone: string;
  members: { userId: string; role: BoardRole; confirmed: boolean }[];
  /** The version of its details: sent back with a change, a save by someone else since is a 409. */
  version: number | null;
};

export function presentBoard(board: Board): BoardView {
  return {
    id: String(board._id),
    name: board.name,
    organisation: board.organisation,
    timezone: board.timezone,
    members: board.members.map((m) => ({
      userId: String(m.userId),
      role: m.role as BoardRole,
      confirmed: !!m.confirmedAt,
    })),
    version: board.version ?? null,
  };
}

/** Loads a board she may see, or a 404 (unknown and invisible look the same). */
export async function findBoardFor(props: { actor: Express.User; boardId: string }): Promise<Board> {
  if (!Types.ObjectId.isValid(props.boardId)) throw new NotFoundError(messages.notFound);
  const board = await BoardModel.findById(props.boardId).lean();
  if (!board || !canSeeBoard(props.actor, board)) throw new NotFoundError(messages.notFound);
  return board;
}

/** Loads a board she may manage: 404 when she cannot see it, 403 when she can see but not manage it. */
export async function findManagedBoard(props: { actor: Express.User; boardId: string }): Promise<Board> {
  const board = await findBoardFor(props);
  if (!canManageBoard(props.actor, board)) throw new ForbiddenError();
  return board;
}

const boardsFilter = (actor: Express.User) =>
  actor.roles.includes('admin') ? {} : { 'members.userId': new Types.ObjectId(actor.id) };

/** Boards she belongs to (admins: all), by name. */
export async function listBoardsFor(props: { actor: Express.User }): Promise<Board[]> {
  return BoardModel.find(boardsFilter(props.actor)).sort({ name: 1 }).limit(500).lean();
}

/**
 * One page of the same boards for the API (API.md's list convention), in id order with the shared keyset cursor
 * (server/pagination.ts): a board can be renamed between two pages, its id cannot.
 */
export async function pageBoardsFor(props: {
  actor: Express.User;
  limit: number;
  cursor?: string;
}): Promise<{ items: Board[]; nextCursor: string | null }> {
  const after = decodeCursor(props.cursor);
  const rows = await BoardModel.find({ ...boardsFilter(props.actor), ...(after ? { _id: { $gt: after } } : {}) })
    .sort({ _id: 1 })
    .limit(props.limit + 1)
    .lean<Board[]>();
  const page = pageOf(rows, props.limit);
  return { items: page.rows, nextCursor: page.nextCursor };
}

/** Admins create boards; the same client key (a double-click, an API retry) makes one (server/submissions.ts). */
export async function createBoard(props: {
  actor: Express.User;
  name: string;
  organisation: string;
  timezone?: string;
  submissionKey?: string;
}): Promise<Board> {
  if (!canCreateBoard(props.actor)) throw new ForbiddenError();
  const inserted = await createOnce(BoardModel, clientKeyOrNew(['board', props.actor.id], props.submissionKey), {
    name: props.name,
    organisation: props.organisation,
    timezone: props.timezone ?? 'Europe/London',
    members: [],
  });
  if (!inserted.doc) throw new NotFoundError(messages.notFound);
  return inserted.doc as Board;
}

/**
 * Name, organisation or zone (a new zone moves when interview days end: readiness follows, reminders are re-planned).
 * With `expectedVersion` (the version her form was opened at, or an API client read), it is written only if nobody
 * saved the board's details since: otherwise a 409 (server/versions.ts).
 */
export async function updateBoard(props: {
  actor: Express.User;
  boardId: string;
  name?: string;
  organisation?: string;
  timezone?: string;
  expectedVersion?: ExpectedVersion;
}): Promise<Board> {
  const board = await findManagedBoard(props);
  if (movedOn(board.version, props.expectedVersion)) throw new ConflictError(messages.savedMeanwhile);
  const changes = Object.fromEntries(
    Object.entries({ name: props.name, organisation: props.organisation, timezone: props.timezone }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const written = await BoardModel.updateOne(
    { _id: board._id, ...versionFilter(props.expectedVersion) },
    { $set: changes, $inc: { version: 1 } },
  );
  // Saved by someone else between the read above and this write (another process).
  if (written.matchedCount !== 1) throw new ConflictError(messages.savedMeanwhile);
  if (props.timezone && props.timezone !== board.timezone) await replanRoundsOfBoard({ boardId: props.boardId });
  return (await BoardModel.findById(board._id).lean<Board>())!;
}

/**
 * A researcher account stands alone (server/services/users.ts `checkRoles`): sitting on a board would give it the
 * governor role beside research, and the research boundary would then refuse her every board page.
 */
function refuseResearcherAccount(roles: readonly string[], path: string): void {
  if (roles.includes('researcher'))
    throw new ValidationError(messages.researcherAccount, [{ path, message: messages.researcherAccount }]);
}

/**
 * Where she sits, if anywhere: a board she is a member of, or the panel of an open round (an adviser from outside the
 * board sits on a panel only). An admin may not make such a person a researcher (accounts/manage.ts).
 */
export async function seatOf(userId: Types.ObjectId | string): Promise<{ board: string; round?: string } | null> {
  const id = new Types.ObjectId(String(userId));
  const board = await BoardModel.findOne({ 'members.userId': id }, { name: 1 }).lean();
  if (board) return { board: board.name };
  const round = await RecruitmentRoundModel.findOne({ panel: id, status: 'open' }, { title: 1, boardId: 1 }).lean();
  if (!round) return null;
  const owner = await BoardModel.findById(round.boardId, { name: 1 }).lean();
  return { board: owner?.name ?? '', round: round.title };
}

/**
 * Gives her the `governor` role by one write conditional on her not being a researcher: an admin may be making her
 * one at this moment (another process), after her roles were read, and the role must not land beside it. The admin's
 * write is conditional on the roles it read, so of the two, the one that lands second is refused. It comes before
 * she is seated, so a refusal here has written nothing.
 */
async function grantGovernorRole(userId: Types.ObjectId | string, path: string): Promise<void> {
  const granted = await UserModel.updateOne(
    { _id: userId, roles: { $ne: 'researcher' } },
    { $addToSet: { roles: 'governor' } },
  );
  if (granted.matchedCount !== 1)
    throw new ValidationError(messages.researcherAccount, [{ path, message: messages.researcherAccount }]);
}

/**
 * Adds a member or changes her role. The write is conditional on the members version read, so two concurrent
 * edits cannot silently overwrite each other (the loser gets a 409 and tries again). Members get the `governor`
 * platform role so the boards area appears for them: given before the seat (see grantGovernorRole), so a 409 may
 * leave her that role, which opens nothing of a board she does not sit on.
 */
export async function setBoardMember(props: {
  actor: Express.User;
  boardId: string;
  userId: string;
  role: BoardRole;
}): Promise<Board> {
  const board = await findManagedBoard(props);
  const person = Types.ObjectId.isValid(props.userId)
    ? // A live account: an erased one keeps her roles as "Former member", and is seated no more than a disabled one.
      await UserModel.findOne({ _id: props.userId, status: { $in: liveUserStatuses } }, { roles: 1 }).lean()
    : null;
  if (!person) throw new ValidationError(messages.noSuchUser, [{ path: 'userId', message: messages.noSuchUser }]);
  refuseResearcherAccount(person.roles, 'userId');
  const others = board.members.filter((m) => String(m.userId) !== props.userId);
  const current = board.members.find((m) => String(m.userId) === props.userId);
  if ((props.role === 'chair' || current?.role === 'chair') && current?.role !== props.role)
    assertMayChangeChairs(props.actor, board);
  if (current?.role === 'chair' && props.role !== 'chair' && !others.some((m) => m.role === 'chair'))
    throw new ConflictError(messages.lastChair);
  // A new role keeps her confirmation: she confirmed that she sits on the board, not a role on it.
  const members = [
    ...others,
    { userId: new Types.ObjectId(props.userId), role: props.role, confirmedAt: current?.confirmedAt },
  ];
  await grantGovernorRole(props.userId, 'userId');
  await writeMembers(board, members);
  // An admin may have made her a researcher after our grant and before our seat (another process). Her change looks
  // for a seat after its write (updateUserAsAdmin) and this looks at her roles after ours, so one of the two sees the
  // other: seen here, the seat goes back (if the members are still as written) and the answer is the same 422.
  if (await UserModel.exists({ _id: props.userId, roles: 'researcher' })) {
    await BoardModel.updateOne(
      { _id: board._id, membersVersion: board.membersVersion + 1 },
      { $set: { members: board.members, membersVersion: board.membersVersion + 2 } },
    );
    refuseResearcherAccount(['researcher'], 'userId');
  }
  if (current?.role === 'chair' || props.role === 'chair') await replanRoundsOfBoard({ boardId: props.boardId });
  return { ...board, members, membersVersion: board.membersVersion + 1 } as Board;
}

/**
 * A seat given by email is for whoever holds the address: not for an account that has it only on an LMS's word
 * (models/User.ts), which could be anyone's a platform admin chose to type. Added by id, she is chosen as a person.
 */
function refuseUnprovedAddress(user: { emailUnverified?: boolean | null }): void {
  if (user.emailUnverified)
    throw new ValidationError(messages.addressNotProved, [{ path: 'email', message: messages.addressNotProved }]);
}

/**
 * The web form's "add by email": the board is checked first (404 unseen, 403 not managed), and only then is the
 * address looked up, so whether an email has an account is told to those who run the board and nobody else.
 */
export async function setBoardMemberByEmail(props: {
  actor: Express.User;
  boardId: string;
  email: string;
  role: BoardRole;
}): Promise<{ board: Board; name: string }> {
  await findManagedBoard(props);
  const user = await UserModel.findOne({ email: canonicalEmail(props.email) })
    .select('_id name emailUnverified')
    .lean();
  if (!user) throw new ValidationError(messages.noAccount, [{ path: 'email', message: messages.noAccount }]);
  refuseUnprovedAddress(user);
  const board = await setBoardMember({ ...props, userId: String(user._id) });
  return { board, name: user.name };
}

export async function removeBoardMember(props: {
  actor: Express.User;
  boardId: string;
  userId: string;
}): Promise<Board> {
  const board = await findManagedBoard(props);
  const current = board.members.find((m) => String(m.userId) === props.userId);
  if (!current) throw new NotFoundError(messages.noSuchMember);
  if (current.role === 'chair') assertMayChangeChairs(props.actor, board);
  const members = board.members.filter((m) => String(m.userId) !== props.userId);
  if (current.role === 'chair' && !members.some((m) => m.role === 'chair')) throw new ConflictError(messages.lastChair);
  await writeMembers(board, members);
  if (current.role === 'chair') await replanRoundsOfBoard({ boardId: props.boardId });
  return { ...board, members, membersVersion: board.membersVersion + 1 } as Board;
}

/**
 * What removing a member asks first: her name, the board's, and whether she sits on a panel of its open rounds (she
 * stays there until removed from it). Loaded with the removal's own 404 and 403; null when she is not a member or is
 * the last chair (the removal then answers as usual).
 */
export async function memberRemovalToConfirm(props: {
  actor: Express.User;
  boardId: string;
  userId: string;
}): Promise<{ name: string; boardName: string; confirmed: boolean; openPanels: number } | null> {
  const board = await findManagedBoard(props);
  const current = board.members.find((m) => String(m.userId) === props.userId);
  if (!current) return null;
  if (current.role === 'chair') assertMayChangeChairs(props.actor, board);
  // The last chair cannot be removed: nothing to ask, the removal says why at once.
  if (current.role === 'chair' && !board.members.some((m) => m.role === 'chair' && m !== current)) return null;
  const [person, openPanels] = await Promise.all([
    UserModel.findById(current.userId, { name: 1 }).lean(),
    RecruitmentRoundModel.countDocuments({ boardId: board._id, status: 'open', panel: current.userId }),
  ]);
  return { name: person?.name ?? 'This member', boardName: board.name, confirmed: !!current.confirmedAt, openPanels };
}

/**
 * She confirms that she sits on a board she was added to, which lets its chairs and clerks see the certificates she
 * recorded herself (see `trainingRecordAccess`). Idempotent: confirming again keeps the first moment. The members' write is
 * conditional on their version, so a confirmation racing a chair's edit is tried again on the new list, never lost.
 */
export async function confirmBoardMembership(props: {
  actor: Express.User;
  boardId: string;
  now?: Date;
}): Promise<Board> {
  if (!Types.ObjectId.isValid(props.boardId)) throw new NotFoundError(messages.notFound);
  for (let attempt = 0; ; attempt++) {
    const board = await BoardModel.findOne({
      _id: props.boardId,
      'members.userId': new Types.ObjectId(props.actor.id),
    }).lean<Board>();
    if (!board) throw new NotFoundError(messages.notAMember);
    const mine = board.members.find((m) => String(m.userId) === props.actor.id);
    if (mine?.confirmedAt) return board;
    const members = board.members.map((m) =>
      String(m.userId) === props.actor.id ? { ...m, confirmedAt: props.now ?? new Date() } : m,
    );
    try {
      await writeMembers(board, members);
      return { ...board, members, membersVersion: board.membersVersion + 1 };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 4) throw error;
    }
  }
}

/** Chairs and clerks both run the board's members (issue 6); who chairs it is for chairs and admins (policies). */
function assertMayChangeChairs(actor: Express.User, board: Board): void {
  if (!canChangeChairs(actor, board)) throw new ForbiddenError(messages.chairsOnly);
}

async function writeMembers(board: Board, members: Board['members']): Promise<void> {
  const result = await BoardModel.updateOne(
    { _id: board._id, membersVersion: board.membersVersion },
    { $set: { members, membersVersion: board.membersVersion + 1 } },
  );
  if (result.modifiedCount !== 1) throw new ConflictError(messages.busy);
}

/**
 * A panel member from outside the board (an adviser): an existing account by email, or a new `governor` account in
 * the board's zone (no password: she chooses one, and her zone, from the invitation). `invited: true` for an account with no password yet, whose
 * invitation the caller sends once she is seated, so an adviser refused a seat (the last one taken meanwhile) is never invited.
 */
export async function findOrInvitePanelMember(props: {
  actor: Express.User;
  boardId: string;
  email: string;
  name: string;
}): Promise<{ id: string; name: string; invited: boolean }> {
  const board = await findManagedBoard(props);
  const email = canonicalEmail(props.email);
  const existing = await UserModel.findOne({ email }).lean();
  if (existing) {
    if (!liveUserStatuses.includes(existing.status))
      throw new ValidationError(messages.noSuchUser, [{ path: 'email', message: messages.notLive }]);
    refuseResearcherAccount(existing.roles, 'email');
    refuseUnprovedAddress(existing);
    await grantGovernorRole(existing._id, 'email');
    // An account that never chose a password (a seat refused earlier, another board's invitation) is invited again.
    return { id: String(existing._id), name: existing.name, invited: existing.status === 'invited' };
  }
  try {
    // In the board's zone, as a cohort's import invites people in the cohort's: the best guess we have until she
    // chooses hers on her invitation page (London's times would be a day off for a panel in Sydney).
    const user = await createUser({
      email,
      name: props.name,
      roles: ['governor'],
      timezone: board.timezone,
      invite: false,
      // Audited as made by whoever seated her (user-created), as an account made on the people page is.
      actor: props.actor,
    });
    return { id: user.id, name: user.name, invited: true };
  } catch (error) {
    // Created by someone else a moment ago: use that account.
    if (error instanceof ConflictError) {
      const user = await UserModel.findOne({ email }).lean();
      if (user) {
        refuseUnprovedAddress(user);
        return { id: String(user._id), name: user.name, invited: user.status === 'invited' };
      }
    }
    throw error;
  }
}

export type TrainingRecordAccess = { manages: boolean; readsAll: boolean };

/**
 * What the actor may do with a person's training records, from one read of the boards she belongs to:
 * - `manages`: she chairs or clerks a board where the person is a member or sits on a round's panel (she may record
 *   training for her);
 * - `readsAll`: she sees all of the person's own evidence, because the person confirmed that she sits on a board the
 *   actor runs. Being added by id, or put on a panel, is not enough: anyone with an account can be, and her files
 *   are hers.
 * Admins do both; the person herself reads all of hers.
 */
export async function trainingRecordAccess(actor: Express.User, userId: string): Promise<TrainingRecordAccess> {
  return (await trainingRecordsAccess(actor, [userId])).get(userId)!;
}

/** `trainingRecordAccess` for several people at once (a round's panel), in at most two reads whatever their number. */
export async function trainingRecordsAccess(
  actor: Express.User,
  userIds: string[],
): Promise<Map<string, TrainingRecordAccess>> {
  const ids = [...new Set(userIds)];
  if (actor.roles.includes('admin')) return new Map(ids.map((id) => [id, { manages: true, readsAll: true }]));
  const valid = new Set(ids.filter((id) => Types.ObjectId.isValid(id)));
  const boards = valid.size
    ? await BoardModel.find({ 'members.userId': new Types.ObjectId(actor.id) }).lean<Board[]>()
    : [];
  const managed = boards.filter((b) => ['chair', 'clerk'].includes(boardRoleOf(actor, b) ?? ''));
  const membership = (b: Board, userId: string) => b.members.find((m) => String(m.userId) === userId);
  const members = new Set([...valid].filter((id) => managed.some((b) => membership(b, id))));
  const others = [...valid].filter((id) => !members.has(id));
  const onPanel = new Set<string>();
  if (managed.length && others.length) {
    const rounds = await RecruitmentRoundModel.find({
      boardId: { $in: managed.map((b) => b._id) },
      panel: { $in: others.map((id) => new Types.ObjectId(id)) },
    })
      .select('panel')
      .lean();
    for (const id of rounds.flatMap((r) => r.panel.map(String))) onPanel.add(id);
  }
  return new Map(
    ids.map((userId) => {
      const self = actor.id === userId;
      if (!valid.has(userId)) return [userId, { manages: false, readsAll: self }];
      const readsAll = self || managed.some((b) => !!membership(b, userId)?.confirmedAt);
      return [userId, { manages: members.has(userId) || onPanel.has(userId), readsAll }];
    }),
  );
}
