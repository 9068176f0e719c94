import { expect } from 'chai';
import { isoDateTime } from '../../server/http/validate.ts';
import { parseIsoInstant, readWallClock, startOfLocalDay } from '../../server/time.ts';

describe('server: ISO 8601 instants as clients send them', () => {
  it('reads every ISO offset form (Z, ±hh, ±hhmm, ±hh:mm) as the same instant', () => {
    const noonUtc = '2026-12-21T13:00:00.000Z';
    for (const text of [
      '2026-12-21T13:00:00Z',
      '2026-12-21T13:00Z',
      '2026-12-21T10:00:00-03',
      '2026-12-21T10:00:00-0300',
      '2026-12-21T10:00:00-03:00',
      '2026-12-21T18:30:00+0530',
      '2026-12-21T18:30:00.000+05:30',
      // The furthest offsets clocks use (Kiribati's Line Islands, Baker Island), and ISO's furthest.
      '2026-12-22T03:00:00+14:00',
      '2026-12-21T01:00:00-12:00',
      '2026-12-22T12:59:00+23:59',
    ])
      expect(parseIsoInstant(text)?.toISOString(), text).to.equal(noonUtc);
  });

  it('refuses what is not one instant: no offset, a zone name, text after it, impossible times, expanded years', () => {
    for (const text of [
      '2026-12-21T10:00:00',
      '2026-12-21T10:00:00 Europe/Paris',
      '2026-12-21T10:00:00[America/New_York]',
      '2026-12-21T10:00:99Z',
      '2026-12-21T25:00:00Z',
      '2026-02-30T10:00:00Z',
      '+275760-09-13T00:00:00Z',
      // Offsets outside ISO 8601's (hours to 23, minutes to 59): luxon alone would read them as a day or more.
      '2027-02-01T10:00:00+25:00',
      '2026-11-10T10:00:00+99:99',
      '2026-11-10T10:00:00-2400',
      '2026-11-10T10:00:00+05:60',
      '21/12/2026 10:00Z',
      '',
    ])
      expect(parseIsoInstant(text), text).to.equal(undefined);
  });

  it('the API schema passes on the instant in UTC and names the expected form when refused', () => {
    expect(isoDateTime.parse('2026-12-21T10:00:00-03')).to.equal('2026-12-21T13:00:00.000Z');
    const refused = isoDateTime.safeParse('2026-12-21T10:00:00 Europe/Paris');
    expect(refused.success).to.equal(false);
    expect(refused.error!.issues[0]!.message).to.include('with an offset');
  });

  it('an offset whose "+" a query string turned into a space is refused with that reason, not as missing', () => {
    const refused = isoDateTime.safeParse('2026-12-21T10:00:00 05:30');
    expect(refused.success).to.equal(false);
    expect(refused.error!.issues[0]!.message).to.include('write "+" as %2B');
    expect(isoDateTime.safeParse('2026-12-21T10:00:00 Europe/Paris').error!.issues[0]!.message).to.not.include('%2B');
  });

  describe('wall-clock times typed in a zone (datetime-local fields)', () => {
    const read = (local: string, zone: string) => {
      const r = readWallClock(local, zone);
      return 'instant' in r ? r.instant.toISOString() : r.problem;
    };

    it('a time the clocks skip is refused in every zone, never moved to the hour after', () => {
      for (const [local, zone] of [
        ['2027-03-28T01:30', 'Europe/London'],
        ['2027-03-14T02:30', 'America/New_York'],
        ['2027-03-14T02:30', 'America/St_Johns'],
        ['2027-10-03T02:30', 'Australia/Sydney'],
        ['2027-09-26T02:30', 'Pacific/Auckland'],
      ])
        expect(read(local!, zone!), `${local} ${zone}`).to.equal('skipped');
    });

    it('a time the clocks show twice is the first of the two (summer time) in both hemispheres', () => {
      // luxon alone read London, New York and St John's as the second (winter) one, Sydney and Auckland as the first.
      expect(read('2027-10-31T01:30', 'Europe/London')).to.equal('2027-10-31T00:30:00.000Z');
      expect(read('2027-11-07T01:30', 'America/New_York')).to.equal('2027-11-07T05:30:00.000Z');
      expect(read('2027-11-07T01:30', 'America/St_Johns')).to.equal('2027-11-07T04:00:00.000Z');
      expect(read('2027-04-04T02:30', 'Australia/Sydney')).to.equal('2027-04-03T15:30:00.000Z');
      expect(read('2027-04-04T02:30', 'Pacific/Auckland')).to.equal('2027-04-03T13:30:00.000Z');
    });

    it('reads ordinary times with half-hour offsets and zones without DST, and refuses what is no time', () => {
      expect(read('2027-03-28T09:30', 'Asia/Kolkata')).to.equal('2027-03-28T04:00:00.000Z');
      expect(read('2027-03-28T09:30:00', 'Asia/Tokyo')).to.equal('2027-03-28T00:30:00.000Z');
      expect(read('2027-07-01T09:30', 'America/St_Johns')).to.equal('2027-07-01T12:00:00.000Z');
      for (const [local, zone] of [
        ['2027-02-30T09:30', 'UTC'],
        ['2027-03-28T24:00', 'UTC'],
        ['2027-03-28', 'UTC'],
        ['2027-03-28T09:30Z', 'UTC'],
        ['2027-03-28T09:30', 'Europe/Atlantis'],
      ])
        expect(read(local!, zone!), `${local} ${zone}`).to.equal('invalid');
    });

    it('a day starts at its first minute, which in a zone changing at midnight is 01:00', () => {
      expect(startOfLocalDay('2027-10-31', 'Europe/London')!.toISOString()).to.equal('2027-10-30T23:00:00.000Z');
      expect(startOfLocalDay('2027-09-05', 'America/Santiago')!.toISOString()).to.equal('2027-09-05T04:00:00.000Z');
      expect(startOfLocalDay('not a day', 'UTC')).to.equal(undefined);
    });
  });
});
