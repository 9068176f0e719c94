import { expect } from 'chai';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ValidationError } from '../../server/errors.ts';
import { fieldErrorsFrom } from '../../server/http/validate.ts';
import {
  availabilitySchema,
  describeSlots,
  intervalsInComingWeek,
  sharedIntervals,
  slotsInZone,
  totalMinutes,
  type Window,
} from '../../server/services/mentoring/availability.ts';

/**
 * 2027 daylight-saving dates used below: Toronto springs forward on 14 March and falls back on 7 November; London on
 * 28 March and 31 October; Sydney falls back on 4 April and springs forward on 3 October; Dubai and Kuala Lumpur
 * never change.
 */
const shared = (
  a: { availability: Window[]; timezone: string },
  b: { availability: Window[]; timezone: string },
  now: string,
) => {
  const at = new Date(now);
  return sharedIntervals(intervalsInComingWeek({ ...a, now: at }), intervalsInComingWeek({ ...b, now: at }));
};
const iso = (ms: number) => new Date(ms).toISOString();

describe('mentoring: weekly availability in UTC across daylight-saving changes', () => {
  const londonMentee = {
    timezone: 'Europe/London',
    availability: [{ day: 'mon', from: '13:00', to: '15:00' }] as Window[],
  };
  const torontoMentor = {
    timezone: 'America/Toronto',
    availability: [{ day: 'mon', from: '08:00', to: '10:00' }] as Window[],
  };

  it('when Toronto has sprung forward and London not yet (15–21 March), a London–Toronto pair shares an hour less', () => {
    // 8 March week: London GMT (UTC+0), Toronto EST (UTC−5): Toronto 08:00–10:00 is London 13:00–15:00.
    expect(totalMinutes(shared(londonMentee, torontoMentor, '2027-03-08T00:00:00Z'))).to.equal(120);
    // 15 March week: Toronto on EDT (UTC−4), London still GMT: Toronto 08:00–10:00 is London 12:00–14:00.
    const gapWeek = shared(londonMentee, torontoMentor, '2027-03-15T00:00:00Z');
    expect(totalMinutes(gapWeek)).to.equal(60);
    expect(gapWeek.map((i) => [iso(i.start), iso(i.end)])).to.deep.equal([
      ['2027-03-15T13:00:00.000Z', '2027-03-15T14:00:00.000Z'],
    ]);
    expect(describeSlots(slotsInZone(gapWeek, 'Europe/London'))).to.equal('Mondays 13:00–14:00');
    // 29 March week: both on summer time again (BST UTC+1, EDT UTC−4): back to two hours.
    expect(totalMinutes(shared(londonMentee, torontoMentor, '2027-03-29T00:00:00Z'))).to.equal(120);
  });

  it('when London has fallen back and Toronto not yet (1–7 November), the same pair shares an hour less', () => {
    expect(totalMinutes(shared(londonMentee, torontoMentor, '2027-10-25T00:00:00Z'))).to.equal(120);
    expect(totalMinutes(shared(londonMentee, torontoMentor, '2027-11-01T00:00:00Z'))).to.equal(60);
    expect(totalMinutes(shared(londonMentee, torontoMentor, '2027-11-08T00:00:00Z'))).to.equal(120);
  });

  it("converts each day's windows on that date, so a change inside the week moves only the days after it", () => {
    const daily = (['thu', 'fri', 'sat', 'sun', 'mon', 'tue', 'wed'] as const).map((day) => ({
      day,
      from: '09:00',
      to: '10:00',
    }));
    const intervals = intervalsInComingWeek({
      availability: daily,
      timezone: 'Europe/London',
      now: new Date('2027-03-25T00:00:00Z'),
    });
    expect(intervals.map((i) => iso(i.start))).to.deep.equal([
      '2027-03-25T09:00:00.000Z', // Thursday, GMT
      '2027-03-26T09:00:00.000Z',
      '2027-03-27T09:00:00.000Z',
      '2027-03-28T08:00:00.000Z', // Sunday: BST from 01:00 UTC
      '2027-03-29T08:00:00.000Z',
      '2027-03-30T08:00:00.000Z',
      '2027-03-31T08:00:00.000Z',
    ]);
  });

  it('when Sydney falls back (4 April 2027), a London–Sydney overlap on Sunday evening London time shrinks by an hour', () => {
    const sydneyMentor = {
      timezone: 'Australia/Sydney',
      availability: [{ day: 'mon', from: '07:00', to: '09:00' }] as Window[],
    };
    const londonSunday = {
      timezone: 'Europe/London',
      availability: [{ day: 'sun', from: '21:00', to: '23:00' }] as Window[],
    };
    // Week of 22 March: Sydney Monday 29 March 07:00 AEDT (UTC+11) = Sunday 28 March 20:00 UTC = 21:00 BST.
    const before = shared(londonSunday, sydneyMentor, '2027-03-22T00:00:00Z');
    expect(totalMinutes(before)).to.equal(120);
    expect(describeSlots(slotsInZone(before, 'Europe/London'))).to.equal('Sundays 21:00–23:00');
    // Week of 29 March: Sydney Monday 5 April 07:00 AEST (UTC+10) = Sunday 4 April 21:00 UTC = 22:00 BST.
    const after = shared(londonSunday, sydneyMentor, '2027-03-29T00:00:00Z');
    expect(totalMinutes(after)).to.equal(60);
    expect(describeSlots(slotsInZone(after, 'Europe/London'))).to.equal('Sundays 22:00–23:00');
    expect(describeSlots(slotsInZone(after, 'Australia/Sydney'))).to.equal('Mondays 07:00–08:00');
  });

  it('in the week Sydney springs forward, a weekday met on two dates is said of each date, so the slots add up to the time stated', () => {
    const friday = {
      timezone: 'Australia/Sydney',
      availability: [{ day: 'fri', from: '07:30', to: '10:00' }] as Window[],
    };
    // Friday 2 October 2026, 08:00 AEST: the seven days run to Friday 9 October 09:00 AEDT (clocks forward on the 4th).
    const week = shared(friday, { ...friday }, '2026-10-01T22:00:00Z');
    const slots = slotsInZone(week, 'Australia/Sydney');
    expect(describeSlots(slots)).to.equal('Friday 2 October 08:00–10:00, Friday 9 October 07:30–09:00');
    expect(slots.reduce((sum, s) => sum + s.minutes, 0)).to.equal(totalMinutes(week));
    // A week with no change keeps the weekly wording: today's rest and next week's start are one window.
    const plain = shared(friday, { ...friday }, '2026-11-05T22:00:00Z');
    expect(describeSlots(slotsInZone(plain, 'Australia/Sydney'))).to.equal('Fridays 07:30–10:00');
  });

  it('the hour Sydney repeats when its clocks go back is said, not dropped: the slots add up to the time stated', () => {
    const sydney = {
      timezone: 'Australia/Sydney',
      availability: [{ day: 'sun', from: '00:00', to: '06:00' }] as Window[],
    };
    const utc = {
      timezone: 'UTC',
      availability: [
        { day: 'sat', from: '15:00', to: '16:00' },
        { day: 'sat', from: '18:00', to: '19:00' },
      ] as Window[],
    };
    // Sunday 4 April 2027: 15:00–16:00 UTC is 02:00 summer time until the clocks go back to 02:00 at 16:00 UTC.
    const week = shared(sydney, utc, '2027-03-30T00:00:00Z');
    expect(totalMinutes(week)).to.equal(120);
    const slots = slotsInZone(week, 'Australia/Sydney');
    expect(slots.reduce((sum, s) => sum + s.minutes, 0)).to.equal(120);
    expect(describeSlots(slots)).to.equal('Sundays 02:00–03:00, Sundays 04:00–05:00');
  });

  it('Dubai and Kuala Lumpur never change, so their overlap is the same in every week of the year', () => {
    const dubai = { timezone: 'Asia/Dubai', availability: [{ day: 'mon', from: '10:00', to: '12:00' }] as Window[] };
    const kualaLumpur = {
      timezone: 'Asia/Kuala_Lumpur',
      availability: [{ day: 'mon', from: '14:00', to: '16:00' }] as Window[],
    };
    for (const week of ['2027-01-04', '2027-03-15', '2027-03-29', '2027-11-01']) {
      expect(totalMinutes(shared(dubai, kualaLumpur, `${week}T00:00:00Z`)), week).to.equal(120);
    }
    // A London–Dubai pair does change: London 12:00–14:00 meets Dubai 16:00–18:00 in winter only.
    const londonNoon = {
      timezone: 'Europe/London',
      availability: [{ day: 'tue', from: '12:00', to: '14:00' }] as Window[],
    };
    const dubaiAfternoon = {
      timezone: 'Asia/Dubai',
      availability: [{ day: 'tue', from: '16:00', to: '18:00' }] as Window[],
    };
    expect(totalMinutes(shared(londonNoon, dubaiAfternoon, '2027-03-22T00:00:00Z'))).to.equal(120);
    expect(totalMinutes(shared(londonNoon, dubaiAfternoon, '2027-03-29T00:00:00Z'))).to.equal(60);
  });

  it('counts every weekly window once whatever moment the seven days start at, and describes a cut window whole', () => {
    const now = '2027-03-08T14:00:00Z'; // in the middle of the Monday window
    const pair = shared(londonMentee, torontoMentor, now);
    expect(totalMinutes(pair)).to.equal(120);
    expect(pair).to.have.length(2);
    expect(describeSlots(slotsInZone(pair, 'Europe/London'))).to.equal('Mondays 13:00–15:00');
  });

  it('describes a shared window across midnight as one slot on each day, in the reader’s zone', () => {
    const kl = {
      timezone: 'Asia/Kuala_Lumpur',
      availability: [{ day: 'tue', from: '06:00', to: '09:00' }] as Window[],
    };
    const toronto = {
      timezone: 'America/Toronto',
      availability: [{ day: 'mon', from: '17:00', to: '24:00' }] as Window[],
    };
    // 2027-01-11 week: Toronto EST (UTC−5): Monday 17:00–24:00 = Monday 22:00–Tuesday 05:00 UTC;
    // KL Tuesday 06:00–09:00 = Monday 22:00–Tuesday 01:00 UTC. Shared: 3 hours, Monday 17:00–20:00 in Toronto.
    const both = shared(toronto, kl, '2027-01-11T00:00:00Z');
    expect(totalMinutes(both)).to.equal(180);
    expect(describeSlots(slotsInZone(both, 'America/Toronto'))).to.equal('Mondays 17:00–20:00');
    expect(describeSlots(slotsInZone(both, 'Asia/Kuala_Lumpur'))).to.equal('Tuesdays 06:00–09:00');
    expect(describeSlots(slotsInZone(both, 'UTC'))).to.equal('Mondays 22:00–24:00, Tuesdays 00:00–01:00');
  });
});

describe('mentoring: the fast path for weeks without a change agrees with a date-by-date conversion', () => {
  /** The plain way: every window placed on every local date with luxon (slow, obviously right). */
  const reference = (availability: Window[], zone: string, now: Date) => {
    const from = now.getTime();
    const until = from + 7 * 86_400_000;
    const out: [number, number][] = [];
    let date = DateTime.fromMillis(from, { zone }).startOf('day');
    while (date.toMillis() < until) {
      for (const w of availability.filter(
        (w) => ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'][date.weekday - 1] === w.day,
      )) {
        const at = (hhmm: string) =>
          hhmm === '24:00'
            ? date.plus({ days: 1 }).startOf('day').toMillis()
            : date.set({ hour: Number(hhmm.slice(0, 2)), minute: Number(hhmm.slice(3)) }).toMillis();
        const s = Math.max(at(w.from), from);
        const e = Math.min(at(w.to), until);
        if (e > s) out.push([s, e]);
      }
      date = date.plus({ days: 1 }).startOf('day');
    }
    return out.sort((a, b) => a[0] - b[0]);
  };

  it('on random windows, zones and moments through 2027, gives the same UTC intervals', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const zones = ['Europe/London', 'America/Toronto', 'Asia/Dubai', 'Asia/Kuala_Lumpur', 'Australia/Sydney'];
    for (let i = 0; i < 300; i++) {
      const availability: Window[] = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const)
        .filter(() => random() < 0.6)
        .map((day) => {
          const from = Math.floor(random() * 20);
          return {
            day,
            from: `${String(from).padStart(2, '0')}:30`,
            to: from + 4 >= 24 ? '24:00' : `${String(from + 4).padStart(2, '0')}:00`,
          };
        });
      const zone = zones[Math.floor(random() * zones.length)]!;
      const now = new Date(Date.UTC(2027, 0, 1) + Math.floor(random() * 365 * 96) * 900_000);
      const ours = intervalsInComingWeek({ availability, timezone: zone, now }).map((x) => [x.start, x.end]);
      expect(ours, `${zone} ${now.toISOString()}`).to.deep.equal(reference(availability, zone, now));
    }
  });
});

describe('mentoring: availability input is checked field by field', () => {
  const body = z.strictObject({ availability: availabilitySchema });
  const errorsOf = (availability: unknown) => {
    const result = body.safeParse({ availability });
    return result.success ? [] : fieldErrorsFrom(result.error);
  };

  it('when a window ends before or when it starts, the error names the field and the window', () => {
    const errors = errorsOf([
      { day: 'mon', from: '09:00', to: '10:00' },
      { day: 'tue', from: '15:00', to: '13:00' },
      { day: 'wed', from: '11:00', to: '11:00' },
    ]);
    expect(errors).to.deep.equal([
      {
        path: 'availability.1.to',
        message: 'the Tuesday window 15:00–13:00 ends before or when it starts: the end must be after the start',
      },
      {
        path: 'availability.2.to',
        message: 'the Wednesday window 11:00–11:00 ends before or when it starts: the end must be after the start',
      },
    ]);
  });

  it('when two windows overlap on the same day, the error names both; touching windows and other days are fine', () => {
    expect(
      errorsOf([
        { day: 'mon', from: '09:00', to: '12:00' },
        { day: 'mon', from: '12:00', to: '13:00' },
        { day: 'tue', from: '11:00', to: '14:00' },
        { day: 'mon', from: '11:30', to: '12:30' },
      ]),
    ).to.deep.equal([
      {
        path: 'availability.3',
        message: 'the Monday window 11:30–12:30 overlaps the Monday window 09:00–12:00',
      },
    ]);
  });

  it('when a time or day is not one, or a window carries an unknown field, it is refused with the field named', () => {
    const errors = errorsOf([{ day: 'someday', from: '9am', to: '25:00', extra: 1 }]);
    const paths = errors.map((e) => e.path);
    expect(paths).to.include.members([
      'availability.0.day',
      'availability.0.from',
      'availability.0.to',
      'availability.0',
    ]);
  });

  it('when the zone is unknown, computing intervals is a 422 naming the timezone field', () => {
    let error: unknown;
    try {
      intervalsInComingWeek({ availability: [], timezone: 'Mars/Olympus_Mons', now: new Date() });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ValidationError);
    expect((error as ValidationError).status).to.equal(422);
    expect((error as ValidationError).errors[0]?.path).to.equal('timezone');
  });
});
