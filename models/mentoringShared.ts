import { Schema } from 'mongoose';

/** Days of API.md's weekly availability, Monday first (luxon's weekday numbering is this index + 1). */
export const weekDays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekDay = (typeof weekDays)[number];

/** One weekly window `{ day, from, to }` in the person's own zone (HH:MM, `to` after `from`, same day). */
export const availabilityWindowSchema = new Schema(
  {
    day: { type: String, enum: weekDays, required: true },
    from: { type: String, required: true, match: /^([01]\d|2[0-3]):[0-5]\d$/ },
    to: { type: String, required: true, match: /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/ },
  },
  { _id: false },
);
