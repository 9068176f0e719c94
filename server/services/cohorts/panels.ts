import { addDashboardPanel } from '../dashboard.ts';
import { checkInOffered, cohortAttendanceReport, flagLabels, marksOfSessionsFor } from './attendance.ts';
import { cohortsRunBy } from './cohorts.ts';
import { activeEnrolmentsKey, activeEnrolmentsOf } from './enrolment.ts';
import { checkInIsOpen, upcomingSessions } from './sessions.ts';

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
      // One report per cohort she runs, each a few indexed queries: at most the 20 that started last (cohortsRunBy
      // lists the oldest first; after years of cohorts, the first 20 would be long finished and the current missed).
      Promise.all(
        [...cohorts]
          .sort((a, b) => b.startsOn.localeCompare(a.startsOn))
          .slice(0, 20)
          .map((c) => cohortAttendanceReport({ cohortId: String(c._id), now })),
      ),
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

// Governors attend sessions too: the governing-board training cohorts they enrol in (canSelfEnrol).
addDashboardPanel({
  name: 'participant-sessions',
  roles: ['participant', 'governor'],
  load: async (user, shared) => {
    const now = new Date();
    const { enrolments, cohorts } = await shared.once(activeEnrolmentsKey, () => activeEnrolmentsOf(user.id));
    const sessions = await upcomingSessions({ cohortIds: enrolments.map((e) => e.cohortId), from: now, limit: 5 });
    const names = new Map(cohorts.map((c) => [String(c._id), c.name]));
    // Her marks only for sessions whose check-in is open (usually none: no read), so a session she has checked in to
    // says so instead of offering "Check in now" again.
    const marks = await marksOfSessionsFor({
      sessionIds: sessions.filter((s) => checkInIsOpen(s, now)).map((s) => s._id),
      userId: user.id,
    });
    return {
      sessions: sessions.map((s) => ({
        ...s,
        cohortName: names.get(String(s.cohortId)) ?? '',
        checkInOffered: checkInOffered(s, marks.get(String(s._id)), now),
        mark: marks.get(String(s._id)) ?? null,
      })),
    };
  },
});
