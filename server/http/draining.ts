import type { Socket } from 'node:net';
import type { Express, NextFunction, Request, Response } from 'express';

/**
 * A process being stopped behind a load balancer. Its state is this process's on purpose: it is this process that
 * goes. /healthz answers 503 (the balancer takes it out of rotation), and every answer from then on says
 * `Connection: close`, so the balancer does not send another request down a socket that is about to close: a request
 * in flight finishes, its socket closes after it, and the server's close can complete before the deadline.
 */
type Drain = { stopping: boolean; answering: Map<Response, Socket> };

const drains = new WeakMap<Express, Drain>();

function drainOf(app: Express): Drain {
  let drain = drains.get(app);
  if (!drain) drains.set(app, (drain = { stopping: false, answering: new Map() }));
  return drain;
}

/** First middleware of the app: notes each answer in progress, and closes the connection after it once stopping. */
export function drainable(req: Request, res: Response, next: NextFunction): void {
  const drain = drainOf(req.app as Express);
  if (drain.stopping) {
    res.setHeader('Connection', 'close');
  } else {
    drain.answering.set(res, req.socket);
    res.once('close', () => drain.answering.delete(res));
  }
  next();
}

/** Whether the process serving this request is stopping (/healthz then answers 503). */
export function isStopping(req: Request): boolean {
  return drainOf(req.app as Express).stopping;
}

/**
 * Marks the app as stopping. Answers still in progress close their connection when done: by the header when it is
 * not sent yet, else (a download being streamed) by ending the socket once the answer is written.
 */
export function beginDraining(app: Express): void {
  const drain = drainOf(app);
  drain.stopping = true;
  for (const [res, socket] of drain.answering) {
    if (!res.headersSent) res.setHeader('Connection', 'close');
    else res.once('finish', () => socket.end());
  }
}

/** How many answers are still in progress (a request being read, worked on or answered). */
export function answersInProgress(app: Express): number {
  return drainOf(app).answering.size;
}
