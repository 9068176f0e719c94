import { expect } from 'chai';
import { DateTime } from 'luxon';
import {
  heatMapOf,
  insideWakingDay,
  isOverEverywhere,
  rankMeetingTimes,
  startMinutesOf,
} from '../../server/services/networks/meetingTimes.ts';

const fiveCities = ['Europe/London', 'America/Toronto', 'Asia/Dubai', 'Asia/Kuala_Lumpur', 'Australia/Sydney'];
/** Asked before any of the days these tests rank. */
const asked = new Date('2027-01-01T00:00:00Z');
const hourOf = (d: Date) => d.toISOString().slice(11, 16);
const countAt = (items: ReturnType<typeof rankMeetingTimes>, iso: string) =>
  items.find((i) => i.startsAt.toISOString() === iso)!.inWakingHours;

describe('networks: find a time ranks hourly starts by members inside 08:00–21:00 of their own day', () => {
  it('in January, an hour-long meeting suits four of the five cities best at 08:00 UTC', () => {
    // 13 January 2027, offsets: London +0, Toronto −5 (EST), Dubai +4, Kuala Lumpur +8, Sydney +11 (AEDT).
    // A start at h UTC is inside for: London 08–20, Toronto 13–23 and 00–01, Dubai 04–16, KL 00–12,
    // Sydney 00–09 and 21–23. Four at 08:00 and 09:00 (London 08:00, Dubai 12:00, KL 16:00, Sydney 19:00;
    // Toronto 03:00 is out), nowhere five; ties go to the earliest, so 08:00 first, 09:00 second.
    const items = rankMeetingTimes({ zones: fiveCities, durationMinutes: 60, from: '2027-01-13', days: 1, now: asked });
    expect(items).to.have.length(24);
    expect(items.slice(0, 2).map((i) => [i.startsAt.toISOString(), i.inWakingHours])).to.deep.equal([
      ['2027-01-13T08:00:00.000Z', 4],
      ['2027-01-13T09:00:00.000Z', 4],
    ]);
    expect(items[0]).to.include({ members: 5, share: 0.8 });
    // Toronto's 19:00 on the 12th is inside her own day, with KL and Sydney mornings: three at 00:00 UTC.
    expect(countAt(items, '2027-01-13T00:00:00.000Z')).to.equal(3);
    // 12:00 UTC: London, Dubai and KL (20:00) only; Sydney is at 23:00 and Toronto at 07:00.
    expect(countAt(items, '2027-01-13T12:00:00.000Z')).to.equal(3);
    expect(items[2]!.inWakingHours).to.equal(3);
  });

  it('in July, daylight saving moves the best hour to 07:00 UTC, and 12:00 UTC now suits four', () => {
    // 14 July 2027: London +1 (BST), Toronto −4 (EDT), Dubai +4, KL +8, Sydney +10 (AEST).
    // Inside: London 07–19, Toronto 12–23 and 00, Dubai 04–16, KL 00–12, Sydney 00–10 and 22–23.
    // Four at 07:00–10:00 (London, Dubai, KL, Sydney) and at 12:00 (London 13:00, Toronto 08:00, Dubai 16:00,
    // KL 20:00); the earliest of them is 07:00, an hour earlier than in January.
    const items = rankMeetingTimes({ zones: fiveCities, durationMinutes: 60, from: '2027-07-14', days: 1, now: asked });
    expect(items.slice(0, 5).map((i) => hourOf(i.startsAt))).to.deep.equal([
      '07:00',
      '08:00',
      '09:00',
      '10:00',
      '12:00',
    ]);
    expect(items.slice(0, 5).every((i) => i.inWakingHours === 4)).to.equal(true);
    expect(countAt(items, '2027-07-14T11:00:00.000Z')).to.equal(3);
    // The same hour in January suited only three (Toronto was at 07:00).
    const january = rankMeetingTimes({
      zones: fiveCities,
      durationMinutes: 60,
      from: '2027-01-13',
      days: 1,
      now: asked,
    });
    expect(countAt(january, '2027-01-13T12:00:00.000Z')).to.equal(3);
  });

  it('counts members, not zones: two in Sydney outweigh one each in London and Dubai', () => {
    // 13 January 2027, 90 minutes. Sydney (+11) is inside for starts 21:00–08:30 UTC; London 08:00–19:30;
    // Dubai 04:00–15:30. At 04:00 UTC: Dubai 08:00 + two in Sydney (15:00) = 3; at 08:00: London, Dubai,
    // both Sydney (19:00, ends 20:30) = 4; at 09:00 Sydney ends 21:30: out, so 2.
    const zones = ['Australia/Sydney', 'Australia/Sydney', 'Europe/London', 'Asia/Dubai'];
    const items = rankMeetingTimes({ zones, durationMinutes: 90, from: '2027-01-13', days: 1, now: asked });
    expect(hourOf(items[0]!.startsAt)).to.equal('08:00');
    expect(items[0]!.inWakingHours).to.equal(4);
    expect(countAt(items, '2027-01-13T04:00:00.000Z')).to.equal(3);
    expect(countAt(items, '2027-01-13T09:00:00.000Z')).to.equal(2);
  });

  it('never counts a meeting that crosses local midnight, even when it ends before 21:00 on the clock', () => {
    const london = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/London' });
    // 20:00 + 5 hours ends at 01:00 the next day: the clock says 01:00 ≤ 21:00, but it is not one waking day.
    expect(insideWakingDay(london('2027-01-13T20:00'), 300)).to.equal(false);
    expect(insideWakingDay(london('2027-01-13T16:00'), 300)).to.equal(true);
    expect(insideWakingDay(london('2027-01-13T16:01'), 300)).to.equal(false);
    expect(insideWakingDay(london('2027-01-13T07:59'), 30)).to.equal(false);
    const items = rankMeetingTimes({
      zones: ['Europe/London'],
      durationMinutes: 300,
      from: '2027-01-13',
      days: 1,
      now: asked,
    });
    expect(items.filter((i) => i.inWakingHours === 1).map((i) => hourOf(i.startsAt))).to.deep.equal([
      '08:00',
      '09:00',
      '10:00',
      '11:00',
      '12:00',
      '13:00',
      '14:00',
      '15:00',
      '16:00',
    ]);
  });

  it('follows a member across her own change of clocks within the range, best first, earliest among equals', () => {
    // London springs forward on Sunday 28 March 2027: 08:00 local is 08:00 UTC on the 27th and 07:00 UTC on the
    // 28th, so the 28th's 07:00 UTC start counts and the 27th's does not; 13 starts each day.
    const items = rankMeetingTimes({
      zones: ['Europe/London'],
      durationMinutes: 60,
      from: '2027-03-27',
      days: 2,
      now: asked,
    });
    expect(items).to.have.length(48);
    const inside = items.filter((i) => i.inWakingHours === 1).map((i) => i.startsAt.toISOString());
    expect(inside[0]).to.equal('2027-03-27T08:00:00.000Z');
    expect(inside).to.not.include('2027-03-27T07:00:00.000Z');
    expect(inside).to.include('2027-03-28T07:00:00.000Z');
    // 20:00 UTC is 20:00 GMT on the 27th (inside) but 21:00 BST on the 28th (too late).
    expect(inside).to.include('2027-03-27T20:00:00.000Z');
    expect(inside).to.not.include('2027-03-28T20:00:00.000Z');
    expect(inside).to.have.length(26);
    const times = items.map((i) => i.startsAt.getTime());
    const firstOutside = items.findIndex((i) => i.inWakingHours === 0);
    expect(times.slice(0, firstOutside)).to.deep.equal([...times.slice(0, firstOutside)].sort((a, b) => a - b));
  });

  it('on the night London’s clocks go back, its repeated hour keeps the better of its two starts; the skipped hour in spring is empty', () => {
    // 31 October 2027: 01:00 BST (00:00 UTC) and 01:00 GMT (01:00 UTC) both fall in London's 01:00 cell.
    const at = (iso: string, share: number) => ({
      startsAt: new Date(iso),
      inWakingHours: share * 4,
      members: 4,
      share,
    });
    const autumn = heatMapOf([at('2027-10-31T00:00:00Z', 0.75), at('2027-10-31T01:00:00Z', 0.25)], 'Europe/London');
    expect(autumn[0]!.cells[1]!.share).to.equal(0.75);
    const reversed = heatMapOf([at('2027-10-31T00:00:00Z', 0.25), at('2027-10-31T01:00:00Z', 0.75)], 'Europe/London');
    expect(reversed[0]!.cells[1]!.share).to.equal(0.75);
    // 28 March 2027: 00:00 and 01:00 UTC are 00:00 GMT and 02:00 BST; nothing starts at 01:00 London time.
    const spring = heatMapOf([at('2027-03-28T00:00:00Z', 0.5), at('2027-03-28T01:00:00Z', 0.5)], 'Europe/London');
    expect(spring[0]!.cells[1]).to.equal(undefined);
    expect(spring[0]!.cells[2]!.share).to.equal(0.5);
  });

  it('in a zone on a quarter or half hour (Kathmandu, +05:45), each cell names its real start and the columns their minutes', () => {
    const at = (iso: string, share: number) => ({
      startsAt: new Date(iso),
      inWakingHours: share * 4,
      members: 4,
      share,
    });
    // 03:00 UTC is 08:45 in Kathmandu: the 08 column, whose heading must say 08:45, not 08:00.
    const rows = heatMapOf([at('2027-01-13T03:00:00Z', 1), at('2027-01-13T07:00:00Z', 0.5)], 'Asia/Kathmandu');
    expect(rows[0]!.cells[8]!.share).to.equal(1);
    expect(rows[0]!.starts[8]).to.equal('08:45');
    expect(rows[0]!.starts[12]).to.equal('12:45');
    expect(startMinutesOf(rows)).to.equal('45');
    expect(startMinutesOf(heatMapOf([at('2027-01-13T03:00:00Z', 1)], 'Europe/London'))).to.equal('00');
    // Lord Howe's clocks move by half an hour: on the morning they go back, the minutes change with them.
    const change = heatMapOf([at('2027-04-03T13:00:00Z', 1), at('2027-04-03T16:00:00Z', 1)], 'Australia/Lord_Howe');
    expect(change.flatMap((r) => r.starts.filter(Boolean))).to.deep.equal(['00:00', '02:30']);
  });

  it('leaves out every start at or before the moment of asking: asked at 08:00 UTC, the best is 09:00', () => {
    const now = new Date('2027-01-13T08:00:00Z');
    const items = rankMeetingTimes({ zones: fiveCities, durationMinutes: 60, from: '2027-01-13', days: 1, now });
    expect(items).to.have.length(15);
    expect(items.every((i) => i.startsAt > now)).to.equal(true);
    expect(hourOf(items[0]!.startsAt)).to.equal('09:00');
  });

  it('a day is over everywhere at 12:00 UTC of the next, when it ends in UTC−12', () => {
    expect(isOverEverywhere('2027-01-13', new Date('2027-01-14T11:59:59Z'))).to.equal(false);
    expect(isOverEverywhere('2027-01-13', new Date('2027-01-14T12:00:00Z'))).to.equal(true);
  });

  it('answers a share of 0, not NaN, for a network with no members', () => {
    const items = rankMeetingTimes({ zones: [], durationMinutes: 60, from: '2027-01-13', days: 1, now: asked });
    expect(items[0]).to.include({ inWakingHours: 0, members: 0, share: 0 });
  });
});
