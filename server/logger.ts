import { pino } from 'pino';

/**
 * One structured logger for the app. Its level is set from config at start-up (server/index.ts) and
 * silenced by the test hooks; importing this module reads no environment.
 */
export const logger = pino({
  level: 'info',
  redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
});
