import type { Types } from 'mongoose';
import { CohortModel } from '../../models/Cohort.ts';
import { CohortSessionModel } from '../../models/CohortSession.ts';
import { EnrolmentModel } from '../../models/Enrolment.ts';
import { ProgrammeModel } from '../../models/Programme.ts';
import { SeatModel } from '../../models/Seat.ts';

export async function buildProgramme(overrides: Partial<{ title: string }> = {}) {
  return ProgrammeModel.create({
    title: overrides.title ?? 'Aspiring leaders',
    track: 'aspiring-leader',
    summary: 'A programme',
    status: 'published',
  });
}

export async function buildCohort(
  overrides: Partial<{
    name: string;
    capacity: number;
    timezone: string;
    startsOn: string;
    endsOn: string;
    facilitatorIds: string[];
    selfEnrolment: boolean;
    attendanceThreshold: number;
    lateAfterMinutes: number;
  }> = {},
) {
  const programme = await buildProgramme();
  return CohortModel.create({
    programmeId: programme._id,
    name: overrides.name ?? 'Spring cohort',
    capacity: overrides.capacity ?? 20,
    timezone: overrides.timezone ?? 'Europe/London',
    startsOn: overrides.startsOn ?? '2027-01-01',
    endsOn: overrides.endsOn ?? '2027-12-31',
    facilitatorIds: overrides.facilitatorIds ?? [],
    selfEnrolment: overrides.selfEnrolment ?? false,
    attendanceThreshold: overrides.attendanceThreshold ?? 75,
    lateAfterMinutes: overrides.lateAfterMinutes ?? 10,
  });
}

/** An active enrolment with its seat, enrolled at a chosen time (for report arithmetic). */
export async function enrolDirectly(
  cohort: { _id: Types.ObjectId; programmeId: Types.ObjectId },
  userId: string,
  enrolledAt = new Date('2026-01-01T00:00:00Z'),
) {
  const number = (await SeatModel.countDocuments({ cohortId: cohort._id })) + 1;
  await SeatModel.create({ cohortId: cohort._id, number, userId });
  return EnrolmentModel.create({
    cohortId: cohort._id,
    userId,
    programmeId: cohort.programmeId,
    status: 'active',
    enrolledAt,
  });
}

export async function buildSession(
  cohortId: Types.ObjectId,
  overrides: Partial<{
    title: string;
    startsAt: Date;
    durationMinutes: number;
    status: 'scheduled' | 'cancelled';
    checkInCode: string;
  }> = {},
) {
  return CohortSessionModel.create({
    cohortId,
    title: overrides.title ?? 'Workshop',
    startsAt: overrides.startsAt ?? new Date('2027-03-02T09:30:00Z'),
    durationMinutes: overrides.durationMinutes ?? 60,
    mode: 'online',
    joinUrl: 'https://meet.example.org/x',
    status: overrides.status ?? 'scheduled',
    ...(overrides.checkInCode ? { checkInCode: overrides.checkInCode } : {}),
  });
}
