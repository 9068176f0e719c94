import { z } from 'zod';
import type { FieldError } from '../server/errors.ts';
import { fieldErrorsFrom } from '../server/http/validate.ts';
import { weekDays, type Window } from '../server/services/mentoring/availability.ts';
import { topics } from '../server/vocabulary.ts';

/**
 * The profile forms post flat fields (they work without JavaScript): a comma-separated list of languages, checkbox
 * groups of topics, and a fixed grid of availability rows, `avail_<day>_<row>_from|to`. They are turned into the API's
 * body and parsed by the API's own schema, so the form and the API answer the same errors; those errors are then
 * pointed back at the form's fields.
 */
export const availabilityRowsPerDay = 2;

export type AvailabilityRow = { day: (typeof weekDays)[number]; row: number; from: string; to: string };

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Her windows as the grid shows them, filled from saved windows (extra windows per day become extra rows). */
export function availabilityRows(availability: readonly Window[]): AvailabilityRow[] {
  return weekDays.flatMap((day) => {
    const saved = availability.filter((w) => w.day === day);
    const count = Math.max(availabilityRowsPerDay, saved.length);
    return Array.from({ length: count }, (_, row) => ({
      day,
      row,
      from: saved[row]?.from ?? '',
      to: saved[row]?.to ?? '',
    }));
  });
}

/** The grid as posted (blank rows dropped), with the form field each window came from. */
function postedAvailability(body: Record<string, unknown>) {
  const windows: { day: string; from: string; to: string }[] = [];
  const fieldOf: string[] = [];
  const rows: AvailabilityRow[] = [];
  for (const day of weekDays) {
    for (let row = 0; row < 10; row++) {
      const key = `avail_${day}_${row}`;
      if (!(`${key}_from` in body) && !(`${key}_to` in body)) {
        if (row >= availabilityRowsPerDay) break;
        continue;
      }
      const from = str(body[`${key}_from`]);
      const to = str(body[`${key}_to`]);
      rows.push({ day, row, from, to });
      if (from === '' && to === '') continue;
      windows.push({ day, from, to });
      fieldOf.push(key);
    }
  }
  return { windows, fieldOf, rows };
}

/** API error paths → the form's field names (`availability.3.to` → `avail_mon_1_to`). */
function toFormPaths(errors: FieldError[], fieldOf: string[]): FieldError[] {
  return errors.map((e) => {
    const m = /^availability\.(\d+)(?:\.(from|to|day))?$/.exec(e.path);
    if (!m) return e;
    const field = fieldOf[Number(m[1])];
    return field ? { ...e, path: `${field}_${m[2] === 'to' ? 'to' : 'from'}` } : e;
  });
}

const numberOrRaw = (v: unknown) => (str(v) === '' ? undefined : Number.isNaN(Number(v)) ? v : Number(v));
const languagesOf = (v: unknown) =>
  str(v)
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
const topicsOf = (v: unknown) => list(v).map(str);

export type ProfileFormResult<T> =
  | { ok: true; data: T }
  | { ok: false; errors: Record<string, string>; list: FieldError[]; values: Record<string, unknown> };

function parseWith<S extends z.ZodType>(
  schema: S,
  body: Record<string, unknown>,
  input: Record<string, unknown>,
  fieldOf: string[],
  rows: AvailabilityRow[],
): ProfileFormResult<z.output<S>> {
  const result = schema.safeParse(input);
  const values = { ...body, rows, expertise: input.expertise, goals: input.goals };
  if (result.success) return { ok: true, data: result.data };
  const list = toFormPaths(fieldErrorsFrom(result.error), fieldOf).map((e) => ({
    ...e,
    // "expertise.2" → "expertise": the checkbox group is one field.
    path: e.path.replace(/^(expertise|goals|languages)\.\d+$/, '$1').replace(/^preferences\./, 'preferences_'),
  }));
  return { ok: false, list, errors: Object.fromEntries(list.map((e) => [e.path, e.message])), values };
}

export function parseMentorForm<S extends z.ZodType>(schema: S, raw: unknown): ProfileFormResult<z.output<S>> {
  const body = (raw ?? {}) as Record<string, unknown>;
  const { windows, fieldOf, rows } = postedAvailability(body);
  const input = {
    phase: str(body.phase),
    yearsAsHead: numberOrRaw(body.yearsAsHead),
    schoolName: str(body.schoolName),
    country: str(body.country),
    region: str(body.region),
    timezone: str(body.timezone),
    languages: languagesOf(body.languages),
    expertise: topicsOf(body.expertise),
    capacity: numberOrRaw(body.capacity),
    availability: windows,
    bio: str(body.bio),
  };
  return parseWith(schema, body, input, fieldOf, rows);
}

export function parseMenteeForm<S extends z.ZodType>(schema: S, raw: unknown): ProfileFormResult<z.output<S>> {
  const body = (raw ?? {}) as Record<string, unknown>;
  const { windows, fieldOf, rows } = postedAvailability(body);
  const input = {
    goals: topicsOf(body.goals),
    phase: str(body.phase),
    schoolName: str(body.schoolName),
    country: str(body.country),
    region: str(body.region),
    timezone: str(body.timezone),
    languages: languagesOf(body.languages),
    availability: windows,
    preferences: { sameRegion: body.preferences_sameRegion === 'yes', language: str(body.preferences_language) },
  };
  return parseWith(schema, body, input, fieldOf, rows);
}

/** Saved profile → the form's values. */
export function formValuesOf(profile: Record<string, unknown> & { availability: Window[]; languages: string[] }) {
  const prefs = (profile.preferences ?? {}) as { sameRegion?: boolean; language?: string };
  return {
    ...profile,
    languages: profile.languages.join(', '),
    rows: availabilityRows(profile.availability),
    preferences_sameRegion: prefs.sameRegion ? 'yes' : '',
    preferences_language: prefs.language ?? '',
  };
}

export { topics };
