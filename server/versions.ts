/**
 * Edits of a shared record (a cohort's settings, a session, a network, a programme…) made over the version the editor
 * saw, so that a colleague's save in between is never silently undone. The one place for that concept:
 * - the editor names the version she read: a web form carries it in a hidden `version` field from the moment it was
 *   opened (versionFromForm), an API client may send the version it read (`version`, or a session's `sequence`);
 * - the write is one conditional update with that version in its filter (versionFilter) and an `$inc` of it, atomic
 *   on MongoDB and on our patched FerretDB, so of two saves over one version one lands and the other matches nothing:
 *   a 409 (ConflictError), and the web form comes back with her changes and the version now stored, saved only when
 *   she sends them again;
 * - naming no version (an API client that sends none, a script posting a form without the field) checks nothing:
 *   the last write wins, as before versions.
 * A record saved before it had a version has none stored: the form then carries '' (read as null), which matches a
 * missing field, and the first `$inc` makes it 1.
 */

/** The version an editor read: a number, null for a record stored before versions, undefined when none was named. */
export type ExpectedVersion = number | null | undefined;

/** The filter part of a write made only over the version read (nothing when no version was named). */
export const versionFilter = (expected: ExpectedVersion, field = 'version'): Record<string, number | null> =>
  expected === undefined ? {} : { [field]: expected ?? null };

/** Whether the stored version is not the one the editor read (never, when she named none). */
export const movedOn = (stored: number | null | undefined, expected: ExpectedVersion): boolean =>
  expected !== undefined && (stored ?? null) !== expected;

/**
 * The version a web form was opened at, from its hidden `version` field: '' for a record stored before versions;
 * none from a form without the field (a script), which is then not compared.
 */
export const versionFromForm = (raw: unknown): ExpectedVersion =>
  raw === undefined ? undefined : /^\d+$/.test(String(raw)) ? Number(raw) : null;

/** What the form shows in its hidden field: the stored version, '' for a record stored before versions. */
export const versionForForm = (stored: number | null | undefined): string => (stored == null ? '' : String(stored));

/** Said on the form that comes back with her changes when someone else saved the record after she opened it. */
export const savedMeanwhileMessage = (what: string): string =>
  `This ${what} was saved again after you opened it (by someone else, or by you in another tab), so your changes were not saved. They are below: open the ${what} in another tab to compare, then save again to replace the other changes with yours.`;

const savedMeanwhileOnAForm =
  /^This (.+) was saved again after you opened it \(by someone else, or by you in another tab\), so your changes were not saved\. /;

/**
 * The same refusal as an API client reads it (errorHandler): it has no form with her changes below and no tab, but a
 * version to read again. Any other message is returned as it is.
 */
export function savedMeanwhileForApi(message: string): string {
  const what = savedMeanwhileOnAForm.exec(message)?.[1];
  return what
    ? `This ${what} was saved again after the version you sent, so your change was not saved: read it again, and send your change with the version it has now.`
    : message;
}
