import type { Request, Router } from 'express';
import { z } from 'zod';
import { CohortModel } from '../models/Cohort.ts';
import { requireSignIn } from '../server/auth.ts';
import { ForbiddenError, NotFoundError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { isObjectId } from '../server/http/validate.ts';
import { canSeeCohortProgress } from '../server/policies/learning.ts';
import { cohortProgress, myProgress, type CohortProgressRow } from '../server/services/learning/progress.ts';
import { loadProgramme } from '../server/services/learning/programmes.ts';
import { toCsv } from '../server/csv.ts';

const progressRowSchema = z.object({ userId: z.string(), name: z.string(), completedModules: z.number(), totalModules: z.number(), percent: z.number(), lastActivityAt: z.string().nullable() });
const sortKeys = ['name', 'completed', 'percent', 'last'] as const;
type SortKey = (typeof sortKeys)[number];

/** The cohort, if the actor facilitates it (or is an admin); a participant gets 403, an unknown id 404. */
async function cohortForProgress(actor: Express.User, cohortId: string) {
  if (!isObjectId(cohortId)) throw new NotFoundError('We could not find that cohort.');
  const cohort = await CohortModel.findById(cohortId).lean();
  if (!cohort) throw new NotFoundError('We could not find that cohort.');
  if (!canSeeCohortProgress(actor, cohort)) throw new ForbiddenError('Only the cohort’s facilitators and admins can see its progress.');
  return cohort;
}

const presentRow = (r: CohortProgressRow) => ({ ...r, lastActivityAt: r.lastActivityAt ? r.lastActivityAt.toISOString() : null });

function sortRows(rows: CohortProgressRow[], key: SortKey, dir: 'asc' | 'desc') {
  const value = (r: CohortProgressRow) => (key === 'name' ? r.name.toLowerCase() : key === 'completed' ? r.completedModules : key === 'percent' ? r.percent : (r.lastActivityAt?.getTime() ?? 0));
  const sorted = [...rows].sort((a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : a.name.localeCompare(b.name)));
  return dir === 'desc' ? sorted.reverse() : sorted;
}


function sortOf(req: Request): { key: SortKey; dir: 'asc' | 'desc' } {
  const key = sortKeys.includes(req.query.sort as SortKey) ? (req.query.sort as SortKey) : 'name';
  const dir = req.query.dir === 'desc' ? 'desc' : 'asc';
  return { key, dir };
}

export function registerProgressRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    { method: 'get', path: '/me/progress', tag: 'learning', summary: 'Your progress, per active enrolment', access: [], success: { status: 200, description: 'One entry per enrolment', schema: z.array(z.object({ cohortId: z.string(), programmeId: z.string(), completedModules: z.number(), totalModules: z.number(), percent: z.number() })) } },
    async ({ user }) => myProgress({ userId: user.id }),
  );
  apiOperation(
    api,
    { method: 'get', path: '/cohorts/:id/progress', tag: 'learning', summary: 'Progress of every participant of a cohort (its facilitators, admins)', access: [], success: { status: 200, description: 'One row per active participant', schema: z.object({ items: z.array(progressRowSchema), totalModules: z.number() }) } },
    async ({ user, params }) => {
      await cohortForProgress(user, params.id!);
      const progress = await cohortProgress(params.id!);
      return { items: progress.rows.map(presentRow), totalModules: progress.totalModules };
    },
  );

  web.get('/cohorts/:id/progress', requireSignIn, async (req, res) => {
    const cohort = await cohortForProgress(req.user!, String(req.params.id));
    const [progress, programme] = await Promise.all([cohortProgress(String(cohort._id), cohort), loadProgramme(cohort.programmeId)]);
    const sort = sortOf(req);
    res.render('progress/cohort', {
      title: `Progress · ${cohort.name}`, cohort, programme, progress, rows: sortRows(progress.rows, sort.key, sort.dir), sort, counts: progress.modules, reflections: progress.sharedReflections,
    });
  });
  web.get('/cohorts/:id/progress.csv', requireSignIn, async (req, res) => {
    const cohort = await cohortForProgress(req.user!, String(req.params.id));
    const progress = await cohortProgress(String(cohort._id));
    const rows = sortRows(progress.rows, 'name', 'asc').map((r) => [r.name, r.completedModules, r.totalModules, r.percent, r.lastActivityAt]);
    const csv = toCsv({ header: ['Participant', 'Modules completed', 'Modules in programme', 'Percent', 'Last activity (UTC)'], rows });
    const name = cohort.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'cohort';
    res.type('text/csv; charset=utf-8').attachment(`${name}-progress.csv`).send(`\uFEFF${csv}`);
  });
}
