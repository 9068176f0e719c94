import type { Router } from 'express';
import { openApiDocument } from '../server/http/api.ts';
import { settings } from '../server/settings.ts';

export function registerOpenApiRoutes(_web: Router, api: Router): void {
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(settings.baseUrl));
  });
}
