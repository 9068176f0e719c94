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
