import type { Response } from 'express';
import { logger } from '../logger.ts';

/** What this process is still doing after answering (read by workAfterAnswersDone only). */
const inFlight = new Set<Promise<unknown>>();

/**
 * Resolves when the work this process started after its answers so far is done: for tests, which look at what that
 * work wrote (or did not) only once it has run, and for a graceful shutdown.
 */
export async function workAfterAnswersDone(): Promise<void> {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}

/**
 * Runs `work` once the answer has gone, for a request whose answer must not wait for it: "if an account uses that
 * address, we have emailed it a link" must take as long whether or not one does, and sending the email takes the mail
 * server's time, which would otherwise tell anyone with a stopwatch which addresses have accounts. A failure of the
 * work is logged, never shown (the answer is the same whatever happened).
 */
export function afterAnswering(res: Response, what: string, work: () => Promise<unknown>): void {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    const running = work()
      .catch((error: unknown) => logger.error({ err: error }, `${what}: failed after the answer was sent`))
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
  };
  // 'finish' when the answer was handed to the network, 'close' when the visitor left first: either way, once.
  res.once('finish', start);
  res.once('close', start);
}
