import type { Router } from 'express';
import { z } from 'zod';
import { apiOperation, openApiDocument } from '../server/http/api.ts';
import { settings } from '../server/settings.ts';

export function registerOpenApiRoutes(_web: Router, api: Router): void {
  // Declared like every other operation, so the document lists itself (API.md: every /api/v1 endpoint is in it).
  apiOperation(
    api,
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'meta',
      summary: 'This OpenAPI 3.1 document',
      access: 'public',
      success: {
        status: 200,
        description: 'The OpenAPI document',
        schema: z.object({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }).loose(),
      },
    },
    async () => openApiDocument(settings.baseUrl),
  );
}
