import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { UserModel } from '../../models/User.ts';

/** A cohort with one session and `participants` enrolled people (cheap: no password hashing). */
export async function buildCohortWithSession(props: {
  startsAt: Date;
  participants?: number;
  offsets?: number[];
  timezone?: string;
  participantZone?: string;
  facilitatorIds?: string[];
  mode?: 'online' | 'in-person';
}) {
  const programme = await ProgrammeModel.create({
    title: 'Aspiring Leaders',
    track: 'aspiring-leader',
    summary: 'Test programme',
    status: 'published',
  });
  const cohort = await CohortModel.create({
    programmeId: programme._id,
    name: `Cohort ${Math.random().toString(36).slice(2, 7)}`,
    capacity: 10_000,
    timezone: props.timezone ?? 'Europe/London',
    startsOn: '2027-01-01',
    endsOn: '2027-12-31',
    facilitatorIds: props.facilitatorIds ?? [],
    reminderOffsetsMinutes: props.offsets ?? [1440, 60],
  });
  const session = await CohortSessionModel.create({
    cohortId: cohort._id,
    title: 'Leading difficult conversations',
    startsAt: props.startsAt,
    durationMinutes: 90,
    mode: props.mode ?? 'online',
    joinUrl: 'https://meet.example.org/abc',
    location: 'Room 4',
  });
  const suffix = Math.random().toString(36).slice(2, 8);
  const users = await UserModel.insertMany(
    Array.from({ length: props.participants ?? 1 }, (_, i) => ({
      email: `p${i}-${suffix}@example.org`,
      name: `Participant ${i}`,
      roles: ['participant'],
      timezone: props.participantZone ?? 'America/Toronto',
      status: 'active',
    })),
  );
  await EnrolmentModel.insertMany(
    users.map((u) => ({
      cohortId: cohort._id,
      userId: u._id,
      programmeId: programme._id,
      status: 'active',
      enrolledAt: new Date('2027-01-01'),
    })),
  );
  return { programme, cohort, session, users };
}
