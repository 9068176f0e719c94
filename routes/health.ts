import type { Router } from 'express';
import { databaseIsUp } from '../server/db.ts';

export function registerHealthRoutes(web: Router): void {
  web.get('/healthz', async (_req, res) => {
    const up = await databaseIsUp();
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'degraded', db: up ? 'ok' : 'unreachable' });
  });
}
