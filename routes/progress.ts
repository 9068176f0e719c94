import type { Request, Router } from 'express';
import { z } from 'zod';
import { requireSignIn } from '../server/auth.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { paging } from '../server/http/validate.ts';
import { pageInListOrder } from '../server/pagination.ts';
import {
  cohortProgressFor,
  myProgress,
  progressSortKeys,
  type CohortProgressRow,
  type ProgressSort,
} from '../server/services/learning/progress.ts';
import { toCsv } from '../server/csv.ts';

const progressRowSchema = z.object({
  userId: z.string(),
  name: z.string(),
  completedModules: z.number(),
  totalModules: z.number(),
  percent: z.number(),
  lastActivityAt: z.string().nullable(),
});
const presentRow = (r: CohortProgressRow) => ({
  ...r,
  lastActivityAt: r.lastActivityAt ? r.lastActivityAt.toISOString() : null,
});

/** ?sort=name|completed|percent|last&dir=asc|desc; anything else falls back to by name, A to Z. */
const sortQuery = z.object({ sort: z.enum(progressSortKeys).catch('name'), dir: z.enum(['asc', 'desc']).catch('asc') });
const sortOf = (req: Request): ProgressSort => {
  const { sort, dir } = sortQuery.parse({ sort: req.query.sort, dir: req.query.dir });
  return { key: sort, dir };
};

export function registerProgressRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/progress',
      tag: 'learning',
      summary: 'Your progress, per active enrolment',
      access: [],
      success: {
        status: 200,
        description: 'One entry per enrolment',
        schema: z.array(
          z.object({
            cohortId: z.string(),
            programmeId: z.string(),
            completedModules: z.number(),
            totalModules: z.number(),
            percent: z.number(),
          }),
        ),
      },
    },
    async ({ user }) => myProgress({ userId: user.id }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/cohorts/:id/progress',
      tag: 'learning',
      summary: 'Progress of every participant of a cohort (its facilitators, admins), by name, paged',
      access: [],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'One row per active participant',
        schema: z.object({
          items: z.array(progressRowSchema),
          nextCursor: z.string().nullable(),
          totalModules: z.number(),
        }),
      },
    },
    async ({ user, params, query }) => {
      const { rows, progress } = await cohortProgressFor({ actor: user, cohortId: params.id!, reflections: 'none' });
      const page = pageInListOrder(rows, query, (row) => row.userId);
      return { items: page.rows.map(presentRow), nextCursor: page.nextCursor, totalModules: progress.totalModules };
    },
  );

  web.get('/cohorts/:id/progress', requireSignIn, async (req, res) => {
    const sort = sortOf(req);
    const allReflections = req.query.reflections === 'all';
    const { cohort, programme, progress, rows, readsReflections } = await cohortProgressFor({
      actor: req.user!,
      cohortId: String(req.params.id),
      sort,
      reflections: allReflections ? 'all' : 'newest',
    });
    res.render('progress/cohort', {
      title: `Progress · ${cohort.name}`,
      cohort,
      programme,
      progress,
      rows,
      sort,
      counts: progress.modules,
      reflections: progress.sharedReflections,
      moreReflections: progress.moreReflections,
      allReflections,
      readsReflections,
    });
  });
  web.get('/cohorts/:id/progress.csv', requireSignIn, async (req, res) => {
    const { cohort, rows: sorted } = await cohortProgressFor({
      actor: req.user!,
      cohortId: String(req.params.id),
      reflections: 'none',
    });
    const rows = sorted.map((r) => [r.name, r.completedModules, r.totalModules, r.percent, r.lastActivityAt]);
    const csv = toCsv({
      header: ['Participant', 'Modules completed', 'Modules in programme', 'Percent', 'Last activity (UTC)'],
      rows,
    });
    res
      .type('text/csv; charset=utf-8')
      .set('Content-Disposition', downloadDisposition(`${cohort.name} progress`, 'csv'))
      .send(`\uFEFF${csv}`);
  });
}
