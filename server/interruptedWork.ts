/**
 * A step that writes a flag saying it is under way (`settling`, `beginning`, `announcing`, an accept's claim) and
 * clears it when done is finished by a sweep if its process stopped in between. How long a flag may stand before the
 * sweep takes its process for stopped: long enough for any live process to have finished the step.
 */
export const interruptedAfterMs = 5 * 60 * 1000;

/** When a sweep runs at `now`: flags set before this are taken for stopped work (`graceMs`, for tests, overrides). */
export function interruptedBefore(props: { now: Date; graceMs?: number }): Date {
  return new Date(props.now.getTime() - (props.graceMs ?? interruptedAfterMs));
}
