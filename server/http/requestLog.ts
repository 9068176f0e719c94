import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { requestForLog } from '../logger.ts';

declare module 'http' {
  interface IncomingMessage {
    /** This request's id: in its log line, its `X-Request-Id` answer header and an error page's reference. */
    id?: string;
  }
}

/**
 * One log line per answered request ("request completed", or "request errored" for a 5xx), with the request's id,
 * method, URL (secrets and query values redacted: urlForLog), address and user agent, the answer's status and the
 * time taken; every answer names its id in `X-Request-Id`. /healthz, which a load balancer asks every few seconds, is
 * not logged.
 *
 * Written here rather than with pino-http, whose lines these are: pino-http makes two child loggers per request (one
 * serialising the request up front, for a `req.log` nothing here uses), whatever the level, `/healthz` included;
 * this took about 0.08 ms off every request (measured in one process: README, Benchmarks, 7 December).
 */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    if (req.url !== '/healthz') {
      const started = Date.now();
      const done = (error?: unknown) => {
        res.off('finish', done);
        res.off('close', done);
        res.off('error', done);
        if (!logger.isLevelEnabled('info')) return;
        const line = {
          req: requestForLog(req),
          res: { statusCode: res.statusCode },
          responseTime: Date.now() - started,
        };
        // The logger's `err` serializer takes email addresses out of the error (server/logger.ts).
        if (error || res.statusCode >= 500)
          logger.info(
            { ...line, err: error ?? new Error(`failed with status code ${res.statusCode}`) },
            'request errored',
          );
        else logger.info(line, 'request completed');
      };
      res.on('finish', done);
      res.on('close', done);
      res.on('error', done);
    }
    next();
  };
}
