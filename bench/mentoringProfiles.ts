import { Types } from 'mongoose';
import type { Window } from '../server/services/mentoring/availability.ts';
import { topics } from '../server/vocabulary.ts';

/**
 * Mentor and mentee profile documents for the mentoring benches: the six places (London, Yorkshire, Toronto,
 * Dubai, Kuala Lumpur, Sydney), varied goals, expertise and weekly windows, so that some pairs share time and some do
 * not. Deterministic (the n-th profile is always the same).
 */
const places = [
  { country: 'GB', region: 'London', timezone: 'Europe/London' },
  { country: 'GB', region: 'Yorkshire', timezone: 'Europe/London' },
  { country: 'CA', region: 'Ontario', timezone: 'America/Toronto' },
  { country: 'AE', region: 'Dubai', timezone: 'Asia/Dubai' },
  { country: 'MY', region: 'Kuala Lumpur', timezone: 'Asia/Kuala_Lumpur' },
  { country: 'AU', region: 'New South Wales', timezone: 'Australia/Sydney' },
] as const;
const phases = ['primary', 'secondary', 'all-through', 'special'] as const;
const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const pad = (h: number) => `${String(h).padStart(2, '0')}:00`;

function windows(n: number): Window[] {
  const start = 7 + (n % 11); // 07:00 … 17:00 local
  const length = 2 + (n % 3);
  return [0, 2, 4].map((offset) => ({ day: days[(n + offset) % 7]!, from: pad(start), to: pad(start + length) }));
}
const pick = (n: number, k: number) => [0, 1, 2, 3].slice(0, k).map((i) => topics[(n * 5 + i * 3) % topics.length]!);

export function mentorProfileDoc(userId: Types.ObjectId, n: number) {
  const place = places[n % places.length]!;
  const capacity = 1 + (n % 3);
  return {
    _id: new Types.ObjectId(),
    userId,
    phase: phases[n % phases.length],
    yearsAsHead: 3 + (n % 15),
    schoolName: `Bench School ${n % 700}`,
    ...place,
    languages: n % 5 === 4 ? ['English', 'Malay'] : ['English'],
    expertise: pick(n, 4),
    capacity,
    freePlaces: n % 10 === 9 ? 0 : capacity,
    availability: windows(n),
    bio: 'Serving head, happy to help with applications and interviews.',
  };
}

export function menteeProfileDoc(userId: Types.ObjectId, n: number) {
  const place = places[(n * 7) % places.length]!;
  return {
    _id: new Types.ObjectId(),
    userId,
    goals: pick(n + 1, 2),
    phase: phases[(n * 3) % phases.length],
    schoolName: `Bench School ${(n * 13) % 900}`,
    ...place,
    languages: ['English'],
    availability: windows(n * 3 + 1),
    preferences: { sameRegion: n % 9 === 0, language: '' },
  };
}
