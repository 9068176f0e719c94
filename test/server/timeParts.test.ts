import { expect } from 'chai';
import { formatterFor, partsFromIntl, partsOf } from '../../server/time.ts';

/**
 * Times are read in each person's zone through `format` and a pattern (cheaper than `formatToParts`): the parts must be
 * exactly those Intl gives, in every zone Pathways' users live in, across clock changes, midnights and year ends.
 */
describe('time: the parts of an instant in a zone', () => {
  const zones = [
    'UTC',
    'Europe/London',
    'America/Toronto',
    'America/St_Johns',
    'Asia/Dubai',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Asia/Kuala_Lumpur',
    'Australia/Sydney',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Pacific/Kiritimati',
    'America/Sao_Paulo',
  ];

  it('are the parts Intl names, for 3,000 instants over three years in 13 zones (half-hour and 45-minute offsets too)', () => {
    const start = Date.UTC(2026, 0, 1);
    let checked = 0;
    for (const zone of zones)
      for (let i = 0; i < 3_000; i++) {
        // Steps of 8 h 47 min walk over every hour and minute of the day and over every clock change of the years.
        const instant = new Date(start + i * (8 * 60 + 47) * 60_000);
        expect(partsOf(instant, zone), `${instant.toISOString()} in ${zone}`).to.deep.equal(
          partsFromIntl(formatterFor(zone), instant),
        );
        checked++;
      }
    expect(checked).to.equal(39_000);
  });

  it('asked again for an instant, in its zone or another, give the same parts as Intl each time (remembered ones included)', () => {
    const instant = new Date('2027-03-02T09:30:15.123Z');
    for (let round = 0; round < 3; round++)
      for (const zone of ['Europe/London', 'Asia/Kolkata', 'America/Sao_Paulo']) {
        const parts = partsOf(instant, zone);
        expect(parts).to.deep.equal(partsFromIntl(formatterFor(zone), instant));
        expect(Object.isFrozen(parts)).to.equal(true);
      }
    expect(partsOf(instant, 'Asia/Kolkata')).to.include({ hour: '15', minute: '00' });
    expect(partsOf(new Date(instant.getTime() + 60_000), 'Asia/Kolkata')).to.include({ hour: '15', minute: '01' });
  });

  it('read midnight as 00, and name the zone as Intl does on either side of a clock change', () => {
    const spring = new Date('2027-03-28T00:59:00Z');
    const after = new Date('2027-03-28T01:00:00Z');
    expect(partsOf(spring, 'Europe/London')).to.include({ hour: '00', minute: '59', timeZoneName: 'GMT' });
    expect(partsOf(after, 'Europe/London')).to.include({ hour: '02', minute: '00', timeZoneName: 'GMT+1' });
    expect(partsOf(new Date('2026-12-31T23:30:00Z'), 'Asia/Kolkata')).to.include({
      year: '2027',
      month: 'January',
      day: '1',
      hour: '05',
      timeZoneName: 'GMT+5:30',
    });
  });
});
