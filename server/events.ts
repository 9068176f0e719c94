import type { Types } from 'mongoose';

/**
 * Domain events: one area announces what happened, others react (the reminders planner re-plans a session's
 * reminders when it is rescheduled; readiness of recruitment rounds changes when a certificate is issued).
 * Handlers run in order and are awaited, so when the announcing call returns, the reactions are written too.
 * A failing handler fails the call: nothing is silently skipped.
 */
type Id = string | Types.ObjectId;
export type DomainEvents = {
  'session.scheduled': { sessionId: Id };
  'session.rescheduled': { sessionId: Id };
  'session.cancelled': { sessionId: Id };
  'enrolment.activated': { cohortId: Id; userId: Id; promotedFromWaitlist: boolean };
  'enrolment.withdrawn': { cohortId: Id; userId: Id };
  'module.completed': { userId: Id; moduleId: Id; cohortId: Id };
  /** A module was retired from its programme: it no longer counts toward finishing it. */
  'module.archived': { moduleId: Id; programmeId: Id };
  /** A module now counts toward finishing its programme: it was created in it, or restored. */
  'module.added': { moduleId: Id; programmeId: Id };
  'certificate.issued': { certificateId: Id; userId: Id };
  'cohort.updated': { cohortId: Id };
  /** A cohort now runs another programme (its enrolments were moved with it). */
  'cohort.moved': { cohortId: Id; programmeId: Id };
  /** A programme was created, or its title or settings changed. */
  'programme.saved': { programmeId: Id };
  /** A recruitment round was closed (its readiness record kept), or its gender figures were recorded. */
  'round.recorded': { roundId: Id };
  /**
   * An emailed link proved she holds her account's address where only an LMS had vouched for it (`emailUnverified`
   * was set): a password chosen through a reset or an invitation, or an email change confirmed.
   */
  'address.proved': { userId: Id };
  /** She blocked another person (again, too: a repeat block runs the reactions again, so a crash between is mended). */
  'person.blocked': { blockerId: Id; blockedId: Id };
};

type Handler<K extends keyof DomainEvents> = (payload: DomainEvents[K]) => Promise<void>;
const handlers: { [K in keyof DomainEvents]?: Handler<K>[] } = {};

export function onDomainEvent<K extends keyof DomainEvents>(name: K, handler: Handler<K>): void {
  const list = (handlers[name] ??= []) as Handler<K>[];
  list.push(handler);
}

export async function emitDomainEvent<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): Promise<void> {
  for (const handler of (handlers[name] as Handler<K>[] | undefined) ?? []) await handler(payload);
}
