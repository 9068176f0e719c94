import { eraseAccount } from '../../server/services/privacy/erase.ts';
import { holdNextCall } from './heldCall.ts';

/**
 * Two erasures at the same moment, as two processes run them: the first is held just before the write `when` picks
 * (a call of `model[method]`, before it writes), the second runs through meanwhile, then the first goes on. What the
 * first wrote then was computed from what it read before the second's write.
 */
export async function erasedAtOnce(props: {
  actor: { id: string; name: string };
  first: string;
  second: string;
  model: object;
  method: string;
  when: (args: unknown[]) => boolean;
}): Promise<void> {
  const held = holdNextCall(props.model, props.method, { before: true, when: props.when });
  try {
    const first = eraseAccount({ actor: props.actor, userId: props.first, bySelf: false });
    await held.reached;
    held.restore();
    await eraseAccount({ actor: props.actor, userId: props.second, bySelf: false });
    held.release();
    await first;
  } finally {
    held.release();
    held.restore();
  }
}
