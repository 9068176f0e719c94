import { DateTime } from 'luxon';
import type { AttendanceStatus } from '../../models/AttendanceRecord.ts';
import type { Types } from 'mongoose';
import { CohortModel } from '../../models/Cohort.ts';
import { ModuleModel } from '../../models/Module.ts';
import { ProgrammeModel, type Track } from '../../models/Programme.ts';
import { UserModel, type Role } from '../../models/User.ts';
import { logger } from '../logger.ts';
import { enrolParticipant, recordAttendance, scheduleSession } from '../services/cohorts/index.ts';
import type { DemoContext } from './index.ts';

/**
 * Demo cohorts, one per core programme, run by the demo facilitator in Europe/London (the demo participant is in
 * America/Toronto, so both zones show). The aspiring-leaders cohort is full with a waitlist, has weekly sessions
 * in the past with registers filled (one person flagged), one under way now (check-in open) and more to come.
 * Needs the learning seeder's programmes: with none, it creates nothing.
 */
const plans: {
  track: Track;
  name: string;
  capacity: number;
  selfEnrolment: boolean;
  people: string[];
  pastWeeks: number;
  futureWeeks: number;
}[] = [
  {
    track: 'aspiring-leader',
    name: 'Aspiring Leaders — London evening cohort',
    capacity: 8,
    selfEnrolment: false,
    people: [
      'participant@pathways.test',
      ...[2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => `participant${n}@pathways.test`),
    ],
    pastWeeks: 5,
    futureWeeks: 5,
  },
  {
    track: 'new-head',
    name: 'New Heads — first-year circle',
    capacity: 12,
    selfEnrolment: false,
    people: [
      'participant@pathways.test',
      'participant12@pathways.test',
      'participant13@pathways.test',
      'participant14@pathways.test',
    ],
    pastWeeks: 2,
    futureWeeks: 4,
  },
  {
    track: 'governing-board',
    name: 'Governing Boards — recruitment panel training',
    capacity: 40,
    selfEnrolment: true,
    people: [
      'participant@pathways.test',
      'governor@pathways.test',
      'governor2@pathways.test',
      'governor3@pathways.test',
      'governor4@pathways.test',
      'governor5@pathways.test',
    ],
    pastWeeks: 1,
    futureWeeks: 3,
  },
];

const zone = 'Europe/London';

/** The register of past week k (0 = most recent) for the nth person: mostly present, with a pattern worth a flag. */
function statusFor(email: string, weeksAgo: number, index: number): AttendanceStatus {
  if (email === 'participant3@pathways.test') return weeksAgo <= 1 ? 'absent' : 'present';
  if (email === 'participant4@pathways.test')
    return (['late', 'excused', 'absent', 'present', 'absent'] as const)[weeksAgo % 5]!;
  if (email === 'participant@pathways.test') return weeksAgo === 2 ? 'late' : 'present';
  return (weeksAgo + index) % 7 === 3 ? 'late' : 'present';
}

async function demoDueDates(programmeId: Types.ObjectId, today: DateTime) {
  const modules = await ModuleModel.find({ programmeId, archived: false }, { _id: 1 }).sort({ position: 1 }).lean();
  const offsets = [-7, 3, 17, 31, 45];
  return modules.slice(0, offsets.length).map((m, i) => ({
    moduleId: m._id,
    dueOn: today.plus({ days: offsets[i]! }).toISODate()!,
  }));
}

export async function seedCohorts(ctx: DemoContext): Promise<void> {
  const facilitatorId = ctx.people.get('facilitator@pathways.test');
  const facilitator = facilitatorId ? await UserModel.findById(facilitatorId).lean() : null;
  if (!facilitator) return;
  const actor = {
    id: String(facilitator._id),
    email: facilitator.email,
    name: facilitator.name,
    roles: facilitator.roles as Role[],
    timezone: facilitator.timezone,
  };
  const today = DateTime.now().setZone(zone).startOf('day');
  for (const plan of plans) {
    // The boards' cohort is of the panels' unconscious-bias training (the core programme, marked as such).
    const programme = await ProgrammeModel.findOne({
      track: plan.track,
      status: 'published',
      ...(plan.track === 'governing-board' ? { panelTraining: true } : {}),
    }).lean();
    if (!programme) {
      logger.info({ track: plan.track }, 'no programme for the demo cohort; skipped');
      continue;
    }
    const startsOn = today.minus({ weeks: plan.pastWeeks + 1 });
    const cohort = await CohortModel.create({
      // Pacing on the aspiring-leaders cohort: one module overdue, one due in 3 days (its nudge goes today), the rest
      // a fortnight apart (the cohort page lists them; reminders plan their nudges).
      moduleDueDates: plan.track === 'aspiring-leader' ? await demoDueDates(programme._id, today) : [],
      programmeId: programme._id,
      name: plan.name,
      capacity: plan.capacity,
      timezone: zone,
      startsOn: startsOn.toISODate()!,
      endsOn: today.plus({ weeks: plan.futureWeeks + 2 }).toISODate()!,
      facilitatorIds: [facilitator._id],
      selfEnrolment: plan.selfEnrolment,
    });
    const cohortId = String(cohort._id);
    for (const [i, email] of plan.people.entries()) {
      const userId = ctx.people.get(email);
      if (!userId) continue;
      // Enrolled on the first day (waitlist order by arrival), so the past sessions count for them.
      await enrolParticipant({ actor: 'system', cohortId, userId, now: startsOn.plus({ minutes: i }).toJSDate() });
    }
    const at = (day: DateTime) => day.set({ hour: 18, minute: 0 }).toFormat("yyyy-LL-dd'T'HH:mm");
    for (let weeksAgo = plan.pastWeeks; weeksAgo >= 1; weeksAgo -= 1) {
      const session = await scheduleSession({
        actor,
        cohortId,
        input: {
          title: `Week ${plan.pastWeeks - weeksAgo + 1} workshop`,
          startsAt: at(today.minus({ weeks: weeksAgo })),
          durationMinutes: 90,
          mode: 'online',
          joinUrl: 'https://meet.example.org/pathways-demo',
        },
      });
      const active = plan.people.slice(0, plan.capacity);
      const records = active.flatMap((email, i) => {
        const userId = ctx.people.get(email);
        return userId
          ? [
              {
                userId,
                status: statusFor(email, weeksAgo - 1, i),
                note: email === 'participant4@pathways.test' && weeksAgo % 5 === 1 ? 'Ofsted visit at her school' : '',
              },
            ]
          : [];
      });
      await recordAttendance({
        actor,
        sessionId: String(session._id),
        records,
        now: new Date(session.startsAt.getTime() + 95 * 60_000),
      });
    }
    if (plan.track === 'aspiring-leader') {
      // One session under way when the demo starts, so the check-in code and the check-in form show.
      const now = DateTime.now().setZone(zone).minus({ minutes: 5 }).startOf('minute');
      await scheduleSession({
        actor,
        cohortId,
        input: {
          title: 'Drop-in clinic (live now)',
          startsAt: now.toFormat("yyyy-LL-dd'T'HH:mm"),
          durationMinutes: 120,
          mode: 'in-person',
          location: 'Room 2, Institute of Education, 20 Bedford Way, London',
        },
      });
    }
    for (let week = 1; week <= plan.futureWeeks; week += 1) {
      await scheduleSession({
        actor,
        cohortId,
        input: {
          title: `Week ${plan.pastWeeks + week} workshop`,
          startsAt: at(today.plus({ weeks: week })),
          durationMinutes: 90,
          mode: 'online',
          joinUrl: 'https://meet.example.org/pathways-demo',
        },
      });
    }
  }
}
