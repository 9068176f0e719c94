import { logger } from './logger.ts';

/** One part of the running app to close on a signal, in the order given. */
export type ShutdownStep = { name: string; close: () => Promise<void> | void };

/**
 * Closes the steps in order, each after the one before, within `deadlineMs` overall, and answers the exit status: 0
 * when everything closed, 1 otherwise. A step that fails is logged and the later ones still run (a failed disconnect
 * still stops the embedded database). When the deadline passes first (a keep-alive connection, a job or the database
 * that never answers), the step still running and the ones not reached are logged, and 1 is answered at once: a
 * process manager would otherwise wait for its own limit and SIGKILL the process, without a word about why.
 */
export async function closeWithin(steps: readonly ShutdownStep[], deadlineMs: number): Promise<0 | 1> {
  let failed = false;
  let at = 0;
  const run = (async () => {
    for (; at < steps.length; at++) {
      const step = steps[at]!;
      try {
        await step.close();
      } catch (error) {
        failed = true;
        logger.error({ err: error, step: step.name }, `shutdown: closing ${step.name} failed`);
      }
    }
    return 'done' as const;
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
  const outcome = await Promise.race([run, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.fatal(
      { stillOpen: steps.slice(at).map((s) => s.name), deadlineSeconds: deadlineMs / 1000 },
      `shutdown: ${steps[at]?.name ?? 'a step'} had not closed within ${deadlineMs / 1000} s (SHUTDOWN_TIMEOUT_SECONDS); exiting without it`,
    );
    return 1;
  }
  return failed ? 1 : 0;
}

/**
 * An exception nobody caught or a rejection nobody handled leaves the app in a state no code planned for (a write half
 * done, a timer gone): it is logged as one pino line with its stack, and the process exits with 70, so the process
 * manager starts a clean one rather than keeping a half-alive process that still answers /healthz.
 */
export function exitOnUnexpectedErrors(): void {
  const exit = (what: string) => (error: unknown) => {
    logger.fatal({ err: error }, `${what}: Pathways exits so that a clean process can be started`);
    process.exit(70);
  };
  process.on('uncaughtException', exit('uncaught exception'));
  process.on('unhandledRejection', exit('unhandled promise rejection'));
}
