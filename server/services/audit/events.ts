import type { Types } from 'mongoose';
import { AuditEventModel, type AuditAction } from '../../../models/AuditEvent.ts';

export interface AuditActor {
  id: string | Types.ObjectId;
  name: string;
}

export interface AuditEventInput {
  action: AuditAction;
  /** Who did it; null when nobody was signed in. */
  actor: AuditActor | null;
  target?: { type: string; id: string | Types.ObjectId } | null;
  /** The client address as Express sees it (after TRUST_PROXY). */
  ip?: string | null;
  detail?: string;
  at?: Date;
}

/** Appends one event to the audit trail. Events are never edited; the retention job alone removes old ones. */
export async function recordAuditEvent(input: AuditEventInput): Promise<void> {
  await AuditEventModel.create({
    at: input.at ?? new Date(),
    action: input.action,
    actorId: input.actor?.id ?? null,
    actorName: input.actor?.name ?? null,
    targetType: input.target?.type ?? null,
    targetId: input.target ? String(input.target.id) : null,
    ip: input.ip ?? null,
    detail: input.detail ?? '',
  });
}

/**
 * An admin acting on another person's records (enrolling or withdrawing her, taking a register, recording her
 * training) is audited; the same action by the facilitator or chair whose work it is, or by the person herself, is
 * ordinary work and is not. The event names the person (or, for a register, the session).
 */
export async function auditAdminAction(props: {
  actor: { id: string; name: string; roles: readonly string[] } | 'system';
  action: AuditAction;
  /** The person whose records changed; a register names its session instead. */
  target: { type: string; id: string | Types.ObjectId };
  /** The people concerned, to leave out an admin's own records. */
  subjectUserIds?: string[];
  detail?: string;
}): Promise<void> {
  const { actor } = props;
  if (actor === 'system' || !actor.roles.includes('admin')) return;
  const subjects = props.subjectUserIds ?? (props.target.type === 'user' ? [String(props.target.id)] : []);
  if (subjects.length > 0 && subjects.every((id) => id === actor.id)) return;
  await recordAuditEvent({ action: props.action, actor, target: props.target, detail: props.detail });
}
