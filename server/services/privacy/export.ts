import { Types } from 'mongoose';
import { NotFoundError } from '../../errors.ts';
import { recordAuditEvent, type AuditActor } from '../audit/events.ts';
import { personalDataAreas } from './areas.ts';

/**
 * "Download my data" (UK GDPR articles 15 and 20): one JSON document, a section per area, each built by the area from
 * her own records only. Audited as `data-exported`.
 */
export async function exportPersonalData(props: {
  actor: AuditActor & { ip?: string | null };
  userId: string;
  now?: Date;
}): Promise<{ exportedAt: string; userId: string; areas: Record<string, unknown> }> {
  if (!Types.ObjectId.isValid(props.userId)) throw new NotFoundError();
  const userId = new Types.ObjectId(props.userId);
  const areas: Record<string, unknown> = {};
  for (const area of personalDataAreas) areas[area.area] = await area.exportFor(userId);
  await recordAuditEvent({
    action: 'data-exported',
    actor: props.actor,
    target: { type: 'user', id: userId },
    ip: props.actor.ip ?? null,
    detail: `areas: ${personalDataAreas.map((a) => a.area).join(', ')}`,
  });
  return { exportedAt: (props.now ?? new Date()).toISOString(), userId: props.userId, areas };
}
