import type { Types } from 'mongoose';

/**
 * How an area declares the personal data it stores (UK GDPR articles 15, 17, 20): what goes into "Download my data",
 * and how an erasure removes her while keeping every figure other people rely on. Each area exports one of these from
 * `server/services/<area>/personalData.ts`, made by `personalDataArea`; `personalDataAreas` in
 * `server/services/privacy/areas.ts` lists them all, so the export and the erasure cannot forget an area that is listed.
 */
export interface PersonalDataArea {
  /** The key of this area's section in the export ("mentoring", "directory"…). */
  area: string;
  /** Everything stored about her in this area, as plain JSON; never another person's private data. */
  exportFor(userId: Types.ObjectId): Promise<unknown>;
  /** The columns of each list of the section in the spreadsheet export (`ExportColumns`). */
  columns: Readonly<Record<string, readonly string[]>>;
  /**
   * Removes what identifies her (text she wrote, profiles, notes) and keeps the rows others' records need, which
   * then show "Former member". Idempotent: running it twice changes nothing more.
   */
  eraseFor(userId: Types.ObjectId): Promise<void>;
}

/** What one row of a list is: each entry of a list, a single object itself, nothing for plain values (names). */
type RowOf<T> = T extends readonly (infer Entry)[]
  ? RowOf<Entry>
  : T extends Date
    ? never
    : T extends object
      ? T
      : never;

/**
 * The columns of each list of an area's section, as its CSV in the zip names them whether she has anything in it or
 * not (a file of a list she has nothing in still says what is kept there): for a list of objects (or a single object,
 * a profile) its keys, each checked to be one; for a list of plain values (the names she blocked) its one column.
 */
export type ExportColumns<Export> = {
  [List in keyof Export]-?: [RowOf<NonNullable<Export[List]>>] extends [never]
    ? readonly [string]
    : readonly Extract<keyof RowOf<NonNullable<Export[List]>>, string>[];
};

/** An area's declaration, its columns checked against what its export returns: every list named, every column a key. */
export function personalDataArea<Export extends object>(declaration: {
  area: string;
  exportFor(userId: Types.ObjectId): Promise<Export>;
  columns: NoInfer<ExportColumns<Export>>;
  eraseFor(userId: Types.ObjectId): Promise<void>;
}): PersonalDataArea {
  return { ...declaration, columns: declaration.columns as Readonly<Record<string, readonly string[]>> };
}
