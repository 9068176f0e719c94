import type { Types } from 'mongoose';

/**
 * How an area declares the personal data it stores (UK GDPR articles 15, 17, 20): what goes into "Download my data",
 * and how an erasure removes her while keeping every figure other people rely on. Each area exports one of these from
 * `server/services/<area>/personalData.ts`; `personalDataAreas` in `server/services/privacy/areas.ts` lists them all,
 * so the export and the erasure cannot forget an area that is listed.
 */
export interface PersonalDataArea {
  /** The key of this area's section in the export ("mentoring", "directory"…). */
  area: string;
  /** Everything stored about her in this area, as plain JSON; never another person's private data. */
  exportFor(userId: Types.ObjectId): Promise<unknown>;
  /**
   * Removes what identifies her (text she wrote, profiles, notes) and keeps the rows others' records need, which
   * then show "Former member". Idempotent: running it twice changes nothing more.
   */
  eraseFor(userId: Types.ObjectId): Promise<void>;
}
