import type { Router } from 'express';
import { databaseIsUp } from '../server/db.ts';
import { isStopping } from '../server/http/draining.ts';

export function registerHealthRoutes(web: Router): void {
  web.get('/healthz', async (req, res) => {
    const up = await databaseIsUp();
    const db = up ? 'ok' : 'unreachable';
    // Stopping: 503 so that the load balancer takes this process out of rotation while its requests finish.
    if (isStopping(req)) return void res.status(503).json({ status: 'stopping', db });
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'degraded', db });
  });
}
