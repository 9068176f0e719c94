import { PledgeSignatureModel } from '../../../models/PledgeSignature.ts';
import { provenEmailOf } from '../../policies/accounts.ts';
import { canManageBoard } from '../../policies/boards.ts';
import { findManagedBoard } from './boards.ts';
import { linkSignatureToBoard, signatureForBoard } from '../pledge/boards.ts';
import type { Board } from '../../../models/Board.ts';

/**
 * The board's side of the Pledge link: a chair or clerk who signed the Pledge for her organisation (same email, which
 * her account has proved: provenEmailOf) links that signature to the board, and chooses whether the Pledge page shows the board's readiness figure.
 * The Pledge area owns the signature and its own checks (linkSignatureToBoard).
 */
export async function pledgeLinkState(props: { actor: Express.User; board: Board }) {
  const linked = await signatureForBoard(String(props.board._id));
  const email = provenEmailOf(props.actor);
  if (linked || !email || !canManageBoard(props.actor, props.board)) return { linked, candidates: [] };
  const candidates = await PledgeSignatureModel.find({
    email,
    kind: 'organisation',
    status: 'confirmed',
    boardId: null,
  })
    .select('name')
    .limit(20)
    .lean();
  return { linked, candidates: candidates.map((c) => ({ id: String(c._id), name: c.name })) };
}

export async function linkBoardToPledge(props: {
  actor: Express.User;
  boardId: string;
  signatureId: string;
  showRoundReadiness: boolean;
}) {
  await findManagedBoard({ actor: props.actor, boardId: props.boardId });
  return linkSignatureToBoard({
    signatureId: props.signatureId,
    boardId: props.boardId,
    actor: props.actor,
    showRoundReadiness: props.showRoundReadiness,
  });
}
