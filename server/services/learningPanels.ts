import { Types } from 'mongoose';
import { CohortModel } from '../../models/Cohort.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { activeEnrolmentsKey, activeEnrolmentsOf } from './cohorts/enrolment.ts';
import { addDashboardPanel } from './dashboard.ts';
import { trackNames } from './learning/certificates.ts';
import { learnerOverview } from './learning/overview.ts';

/** Learning panels of the home page (views/dashboard/panels/learning-*.ejs). */
addDashboardPanel({
  name: 'learning-progress',
  roles: ['participant', 'governor'],
  load: async (user, shared) => {
    const active = await shared.once(activeEnrolmentsKey, () => activeEnrolmentsOf(user.id));
    return {
      programmes: await learnerOverview({ userId: user.id, active }),
      waiting: active.waiting.map((w) => ({ cohortId: String(w.cohortId), name: w.name })),
      trackNames,
    };
  },
});

addDashboardPanel({
  name: 'learning-cohort-progress',
  roles: ['facilitator'],
  load: async (user) => {
    const cohorts = await CohortModel.find(
      { facilitatorIds: new Types.ObjectId(user.id) },
      { name: 1, programmeId: 1, startsOn: 1 },
    )
      .sort({ startsOn: -1 })
      .limit(20)
      .lean();
    const programmes = await ProgrammeModel.find(
      { _id: { $in: cohorts.map((c) => c.programmeId) } },
      { title: 1 },
    ).lean();
    const titles = new Map(programmes.map((p) => [String(p._id), p.title]));
    return {
      cohorts: cohorts.map((c) => ({
        id: String(c._id),
        name: c.name,
        programme: titles.get(String(c.programmeId)) ?? '',
      })),
    };
  },
});
