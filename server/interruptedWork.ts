import { logger } from './logger.ts';

/**
 * A step that writes a flag saying it is under way (`settling`, `beginning`, `announcing`, an accept's claim) and
 * clears it when done is finished by a sweep if its process stopped in between. How long a flag may stand before the
 * sweep takes its process for stopped: long enough for any live process to have finished the step.
 */
export const interruptedAfterMs = 5 * 60 * 1000;

/** When a sweep runs at `now`: flags set before this are taken for stopped work (`graceMs`, for tests, overrides). */
export function interruptedBefore(props: { now: Date; graceMs?: number }): Date {
  return new Date(props.now.getTime() - (props.graceMs ?? interruptedAfterMs));
}

/**
 * Runs a sweep's work on each item it found, one after another; an item whose work fails is logged (with `what` and
 * its id) and the sweep goes on, so one that always fails does not hold back every item after it: it is tried again
 * at the next run, the others are done now. Answers how many were done.
 */
export async function finishEach<T extends { _id: unknown }>(
  what: string,
  items: readonly T[],
  work: (item: T) => Promise<unknown>,
): Promise<number> {
  let done = 0;
  for (const item of items) {
    try {
      await work(item);
      done += 1;
    } catch (err) {
      logger.error(
        { err, sweep: what, id: String(item._id) },
        'a sweep could not finish one item; it is tried again next run',
      );
    }
  }
  return done;
}
