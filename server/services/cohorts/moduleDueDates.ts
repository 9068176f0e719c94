import { Types } from 'mongoose';
import { CohortModel, type Cohort } from '../../../models/Cohort.ts';
import { ConflictError, ValidationError, type FieldError } from '../../errors.ts';
import { emitDomainEvent } from '../../events.ts';
import { movedOn, savedMeanwhileMessage, versionFilter, type ExpectedVersion } from '../../versions.ts';
import { modulesOf } from '../learning/programmes.ts';
import { addDays, wallClockOn } from '../reminders/time.ts';
import { loadRunCohort } from './cohorts.ts';

/**
 * Pacing: the date by which a cohort is asked to have finished each module of its programme (optional, per module).
 * A due date is a calendar date in the cohort's zone and means "by the end of that day" there, which is another hour,
 * even another day, for a participant elsewhere; so pages show its last minute in her zone too. The reminders area
 * reads the same dates for its nudges ("due in 3 days", "overdue"), and a facilitator's digest for who is behind.
 */

const messages = {
  notAModule: 'is not a module of this cohort’s programme',
  outsideCohort: (from: string, to: string, zone: string) =>
    `must fall within the cohort's dates, ${from} to ${to} (${zone})`,
  twice: 'is given twice',
  leftOutside: (count: number, side: 'before' | 'after', due: { title: string; dueOn: string }) =>
    `${count === 1 ? '1 module due date falls' : `${count} module due dates fall`} ${side} this date ` +
    `(${side === 'before' ? 'the first' : 'the last'}: “${due.title}” on ${due.dueOn}); ` +
    'move or clear them on the due dates page first, or choose a date that keeps them',
  savedMeanwhile: savedMeanwhileMessage('cohort'),
};

export type ModuleDueDateInput = { moduleId: string; dueOn: string | null };

/** A module of the cohort's programme, in the programme's order, with its due date when one is set. */
export type ModuleDueDate = {
  moduleId: string;
  title: string;
  dueOn: string | null;
  /** The last minute of the due day in the cohort's zone (23:59 there), as an instant. */
  dueBy: Date | null;
};

/** The instant a module due on `dueOn` (in `zone`) is late: the start of the next day there. */
export function moduleDeadline(dueOn: string, zone: string): { deadline: Date; dueBy: Date } {
  const deadline = wallClockOn(addDays(dueOn, 1), 0, 0, zone);
  return { deadline, dueBy: new Date(deadline.getTime() - 60_000) };
}

/** Whether a due date falls within the cohort's dates (calendar dates as YYYY-MM-DD compare as strings). */
const fallsWithin = (dueOn: string, dates: { startsOn: string; endsOn: string }) =>
  dueOn >= dates.startsOn && dueOn <= dates.endsOn;

/**
 * The due dates that a cohort's dates moved to `startsOn`–`endsOn` would leave outside them, named at the date field
 * that leaves them out (as sessionsOutsideDates names sessions): one left after the cohort's end would still nudge its
 * people after it ended, and make every save of the due-dates form a 422. Only current modules' dates count; a retired
 * module's, which nothing shows, is dropped by the change instead (dueDatesWithin).
 */
export async function dueDatesOutsideDates(props: {
  cohort: Cohort;
  startsOn: string;
  endsOn: string;
}): Promise<FieldError[]> {
  const dated = (await moduleDueDatesOf(props.cohort))
    .filter((d): d is ModuleDueDate & { dueOn: string } => !!d.dueOn)
    .sort((a, b) => a.dueOn.localeCompare(b.dueOn));
  const before = dated.filter((d) => d.dueOn < props.startsOn);
  const after = dated.filter((d) => d.dueOn > props.endsOn);
  const problems: FieldError[] = [];
  if (before.length)
    problems.push({ path: 'startsOn', message: messages.leftOutside(before.length, 'before', before[0]!) });
  if (after.length)
    problems.push({ path: 'endsOn', message: messages.leftOutside(after.length, 'after', after.at(-1)!) });
  return problems;
}

/** The stored due dates that fall within the given cohort dates (the others dropped). */
export const dueDatesWithin = <T extends { dueOn?: string | null }>(
  dueDates: readonly T[],
  dates: { startsOn: string; endsOn: string },
): T[] => dueDates.filter((d) => !d.dueOn || fallsWithin(d.dueOn, dates));

/** The programme's current modules, in order, each with the cohort's due date for it (if any). */
export async function moduleDueDatesOf(cohort: Cohort): Promise<ModuleDueDate[]> {
  const modules = await modulesOf(cohort.programmeId);
  const dueOn = new Map((cohort.moduleDueDates ?? []).map((d) => [String(d.moduleId), d.dueOn ?? null]));
  return modules.map((m) => {
    const due = dueOn.get(String(m._id)) ?? null;
    return {
      moduleId: String(m._id),
      title: m.title,
      dueOn: due,
      dueBy: due ? moduleDeadline(due, cohort.timezone).dueBy : null,
    };
  });
}

/** The due dates as the API gives them: only the modules that have one, in the programme's order. */
export function presentModuleDueDates(dates: ModuleDueDate[]) {
  return {
    items: dates
      .filter((d) => d.dueOn)
      .map((d) => ({ moduleId: d.moduleId, title: d.title, dueOn: d.dueOn!, dueBy: d.dueBy!.toISOString() })),
  };
}

type DueDatesSave = {
  actor: Express.User;
  cohortId: string;
  dueDates: readonly ModuleDueDateInput[];
  expectedVersion?: ExpectedVersion;
};

/**
 * Sets the due dates of a cohort's modules (those who run it). What is sent replaces what was stored for the
 * programme's current modules: a module not sent, or sent with no date, has none. The date of a module retired
 * meanwhile is kept: neither the form nor the API lists it or may name it, so a save (another module's date changed)
 * would have dropped it for good, and restored, the module would have lost its pacing. Each date must fall within the cohort's dates, each module must be one of its
 * programme's current modules; otherwise nothing is written and every problem is named (`items.<i>.dueOn`, by the
 * position sent). With `expectedVersion`, written only over the version read (a 409 otherwise, server/versions.ts):
 * the cohort's settings and its due dates share one version, as they share one record. The nudges are planned again
 * at once ('cohort.updated'): a due date moved drops the nudges planned for the old one.
 */
export async function setModuleDueDates(props: DueDatesSave): Promise<ModuleDueDate[]> {
  // Checked against the cohort as read (its dates, its programme's modules) and written only over the version read:
  // a change of the cohort landing in between (narrower dates, another programme) is read and checked again, so no
  // date is saved outside the cohort or for another programme's module. A client that sent the version it read gets
  // the 409 instead (server/versions.ts).
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const saved = await writeModuleDueDates(props);
    if (saved) return saved;
  }
  throw new ConflictError(messages.savedMeanwhile);
}

/** One read, check and conditional write of setModuleDueDates; null when the cohort changed in between. */
async function writeModuleDueDates(props: DueDatesSave): Promise<ModuleDueDate[] | null> {
  const cohort = await loadRunCohort({ actor: props.actor, cohortId: props.cohortId });
  if (movedOn(cohort.version, props.expectedVersion)) throw new ConflictError(messages.savedMeanwhile);
  const modules = await modulesOf(cohort.programmeId, { includeArchived: true });
  const current = new Set(modules.filter((m) => !m.archived).map((m) => String(m._id)));
  const retired = new Set(modules.filter((m) => m.archived).map((m) => String(m._id)));
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  props.dueDates.forEach(({ moduleId, dueOn }, i) => {
    if (!current.has(moduleId)) problems.push({ path: `items.${i}.moduleId`, message: messages.notAModule });
    else if (seen.has(moduleId)) problems.push({ path: `items.${i}.moduleId`, message: messages.twice });
    seen.add(moduleId);
    if (dueOn && !fallsWithin(dueOn, cohort))
      problems.push({
        path: `items.${i}.dueOn`,
        message: messages.outsideCohort(cohort.startsOn, cohort.endsOn, cohort.timezone),
      });
  });
  if (problems.length) throw new ValidationError('The due dates could not be saved.', problems);
  // Within the cohort's dates, as every due date (updateCohort drops a retired module's the dates left outside).
  const kept = dueDatesWithin(
    (cohort.moduleDueDates ?? []).filter((d) => retired.has(String(d.moduleId))),
    cohort,
  );
  const moduleDueDates = [
    ...props.dueDates
      .filter((d) => d.dueOn)
      .map((d) => ({ moduleId: new Types.ObjectId(d.moduleId), dueOn: d.dueOn! })),
    ...kept.map((d) => ({ moduleId: d.moduleId, dueOn: d.dueOn })),
  ];
  const written = await CohortModel.updateOne(
    { _id: cohort._id, ...versionFilter(cohort.version ?? null) },
    { $set: { moduleDueDates }, $inc: { version: 1 } },
  );
  // Saved by someone else between the read above and this write (another process).
  if (written.matchedCount !== 1) {
    if (props.expectedVersion !== undefined) throw new ConflictError(messages.savedMeanwhile);
    return null;
  }
  await emitDomainEvent('cohort.updated', { cohortId: cohort._id });
  const saved = await CohortModel.findById(cohort._id).lean<Cohort>();
  return moduleDueDatesOf(saved ?? cohort);
}
