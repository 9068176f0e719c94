import { expect } from 'chai';
import { isoDateTime } from '../../server/http/validate.ts';
import { parseIsoInstant } from '../../server/time.ts';

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
});
