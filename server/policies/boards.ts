import type { BoardRole } from '../../models/Board.ts';
import { hasRole } from '../auth.ts';

/**
 * Who may do what with boards and recruitment rounds. A board exists only for its members and admins: callers
 * answer 404 (not 403) to anyone else, so a board's existence is not revealed. Members who may see but not
 * change get 403 on writes.
 */
type BoardLike = { members: { userId: unknown; role: string }[] };
type RoundLike = { panel: unknown[] };

const isAdmin = (actor: Express.User): boolean => actor.roles.includes('admin');

export function boardRoleOf(actor: Express.User, board: BoardLike): BoardRole | undefined {
  return board.members.find((m) => String(m.userId) === actor.id)?.role as BoardRole | undefined;
}

export const canCreateBoard = (actor: Express.User): boolean => isAdmin(actor);

export const canSeeBoard = (actor: Express.User, board: BoardLike): boolean =>
  isAdmin(actor) || boardRoleOf(actor, board) !== undefined;

/** Chairs and clerks run the board's membership and its rounds; admins can too (to set up the first chair). */
export function canManageBoard(actor: Express.User, board: BoardLike): boolean {
  const role = boardRoleOf(actor, board);
  return isAdmin(actor) || role === 'chair' || role === 'clerk';
}

/**
 * Who chairs the board is the chairs' decision (or an admin's): a clerk runs the members, but could otherwise make
 * herself chair and then remove the chair.
 */
export const canChangeChairs = (actor: Express.User, board: BoardLike): boolean =>
  isAdmin(actor) || boardRoleOf(actor, board) === 'chair';

/** A panel member from outside the board (an adviser) sees the round she sits on, nothing else of the board. */
export const canSeeRound = (actor: Express.User, board: BoardLike, round: RoundLike): boolean =>
  canSeeBoard(actor, board) || round.panel.some((id) => String(id) === actor.id);

export const canManageRound = (actor: Express.User, board: BoardLike): boolean => canManageBoard(actor, board);

/** Gender figures by round: the board (and admins) only, never a panel member from outside. */
export const canSeeFairnessFigures = (actor: Express.User, board: BoardLike): boolean => canSeeBoard(actor, board);

/** The cross-board fairness view (small numbers suppressed). */
export const canSeeFairnessAcrossBoards = (actor: Express.User): boolean => hasRole(actor, 'admin');

/**
 * External (safer-recruitment) certificates: she records her own; a chair or clerk records them for the members
 * and panel members of boards they manage (`managesHer`, computed by the caller).
 */
export const canRecordExternalCertificate = (actor: Express.User, userId: string, managesHer: boolean): boolean =>
  actor.id === userId || isAdmin(actor) || managesHer;
