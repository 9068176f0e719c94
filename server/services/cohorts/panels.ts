import { addDashboardPanel } from '../dashboard.ts';
import { cohortAttendanceReport, flagLabels } from './attendance.ts';
import { cohortsRunBy } from './cohorts.ts';
import { enrolledCohortIds } from './enrolment.ts';
import { checkInIsOpen, cohortById, upcomingSessions } from './sessions.ts';

/** Home-page panels of the cohorts area: a facilitator's cohorts and a participant's next sessions. */
addDashboardPanel({
  name: 'facilitator-cohorts',
  roles: ['facilitator'],
  load: async (user) => {
    const now = new Date();
    const cohorts = await cohortsRunBy({ userId: user.id });
    const names = new Map(cohorts.map((c) => [String(c._id), c.name]));
    const [sessions, reports] = await Promise.all([
      upcomingSessions({ cohortIds: cohorts.map((c) => c._id), from: now, limit: 5 }),
      // One report per cohort she runs (a handful), each a few indexed queries.
      Promise.all(cohorts.slice(0, 20).map((c) => cohortAttendanceReport({ cohortId: String(c._id), now }))),
    ]);
    const flagged = reports.flatMap((r) =>
      r.flagged.map((f) => ({
        cohortId: String(r.cohort._id),
        cohortName: r.cohort.name,
        name: f.name,
        flags: f.flags.map((x) => flagLabels[x]),
      })),
    );
    return {
      cohorts: cohorts.map((c) => ({ id: String(c._id), name: c.name, timezone: c.timezone })),
      sessions: sessions.map((s) => ({
        ...s,
        cohortName: names.get(String(s.cohortId)) ?? '',
        open: checkInIsOpen(s, now),
      })),
      flagged,
    };
  },
});

addDashboardPanel({
  name: 'participant-sessions',
  roles: ['participant'],
  load: async (user) => {
    const now = new Date();
    const cohortIds = await enrolledCohortIds(user.id);
    const sessions = await upcomingSessions({ cohortIds, from: now, limit: 5 });
    const ids = [...new Set(sessions.map((s) => String(s.cohortId)))];
    const cohorts = new Map(
      (await Promise.all(ids.map((id) => cohortById(id)))).map((c, i) => [ids[i]!, c?.name ?? '']),
    );
    return {
      sessions: sessions.map((s) => ({
        ...s,
        cohortName: cohorts.get(String(s.cohortId)) ?? '',
        open: checkInIsOpen(s, now),
      })),
    };
  },
});
