import { expect } from 'chai';
import { coarsen } from '../../server/services/research/anonymise.ts';
import { consentedAt, countable } from '../../server/services/research/consent.ts';
import { suppressFigures } from '../../server/services/research/suppression.ts';
import { momentInstant } from '../../server/services/research/surveys.ts';

const count = (value: number) => ({ value, n: value });

describe('research rules (pure)', () => {
  describe('suppression', () => {
    it('withholds any figure drawn from fewer than 5 people and names it', () => {
      const result = suppressFigures({ cells: { a: count(4), b: count(5), rate: { value: 0.5, n: 3 } } });
      expect(result.values).to.deep.equal({ a: null, b: 5, rate: null });
      expect(result.suppressed).to.deep.equal(['a', 'rate']);
    });

    it('when a total and all but one part are shown, it also withholds the smallest other part (secondary)', () => {
      const result = suppressFigures({
        cells: { total: count(30), x: count(3), y: count(12), z: count(15) },
        sums: [{ total: 'total', parts: ['x', 'y', 'z'] }],
      });
      expect(result.values).to.deep.equal({ total: 30, x: null, y: null, z: 15 });
      expect(result.suppressed).to.deep.equal(['x', 'y']);
    });

    it('with a single part withheld and no other part to hide, it withholds the total', () => {
      const result = suppressFigures({
        cells: { total: count(7), only: count(2) },
        sums: [{ total: 'total', parts: ['only'] }],
      });
      expect(result.values).to.deep.equal({ total: null, only: null });
    });

    it('withholds no more than the rule needs: a part its link withholds anyway is not joined by another (whatever the order)', () => {
      // Governing boards: 3 people (primary). New heads' 7 go with them (participants add up); their "interviewed"
      // goes with their count (a link), so the aspiring leaders' 6, the same size, need not go too.
      const cells = {
        participants: count(20),
        'aspiring.participants': count(10),
        'board.participants': count(3),
        'newhead.participants': count(7),
        interviewed: count(12),
        'aspiring.interviewed': count(6),
        'board.interviewed': count(0),
        'newhead.interviewed': count(6),
      };
      const tracks = ['aspiring', 'board', 'newhead'];
      const result = suppressFigures({
        cells,
        sums: [
          { total: 'participants', parts: tracks.map((t) => `${t}.participants`) },
          { total: 'interviewed', parts: tracks.map((t) => `${t}.interviewed`) },
        ],
        links: tracks.map((t) => ({ from: `${t}.participants`, to: [`${t}.interviewed`] })),
      });
      expect(result.suppressed).to.deep.equal([
        'board.interviewed',
        'board.participants',
        'newhead.interviewed',
        'newhead.participants',
      ]);
      expect(result.values['aspiring.interviewed']).to.equal(6);
    });

    it('withholds figures linked to a withheld group, and cascades through every relation until stable', () => {
      const result = suppressFigures({
        cells: {
          participants: count(20),
          'a.participants': count(2),
          'b.participants': count(8),
          'c.participants': count(10),
          'b.rate': { value: 0.9, n: 8 },
          outcomes: count(9),
          'a.outcomes': count(0),
          'b.outcomes': count(4),
          'c.outcomes': count(5),
        },
        sums: [
          { total: 'participants', parts: ['a.participants', 'b.participants', 'c.participants'] },
          { total: 'outcomes', parts: ['a.outcomes', 'b.outcomes', 'c.outcomes'] },
        ],
        links: [
          { from: 'a.participants', to: ['a.outcomes'] },
          { from: 'b.participants', to: ['b.rate', 'b.outcomes'] },
        ],
      });
      // a is small; b is hidden so a cannot be worked out from the total; b's rate goes with it.
      expect(result.values['a.participants']).to.equal(null);
      expect(result.values['b.participants']).to.equal(null);
      expect(result.values['b.rate']).to.equal(null);
      expect(result.values['c.participants']).to.equal(10);
      expect(result.values.participants).to.equal(20);
      // Outcomes: a (0) and b (4) withheld, c shown: two unknowns, nothing recoverable.
      expect(result.values['c.outcomes']).to.equal(5);
      expect(result.values.outcomes).to.equal(9);
    });

    it('never leaves exactly one withheld member in any declared sum', () => {
      for (let seed = 1; seed < 200; seed++) {
        const rnd = (i: number) => ((seed * 9301 + i * 49297) % 233280) % 14;
        const parts = ['p0', 'p1', 'p2', 'p3'];
        const cells: Record<string, { value: number; n: number }> = {};
        parts.forEach((p, i) => (cells[p] = count(rnd(i))));
        cells.total = count(parts.reduce((s, p) => s + cells[p]!.value, 0));
        const { values } = suppressFigures({ cells, sums: [{ total: 'total', parts }] });
        const hidden = ['total', ...parts].filter((k) => values[k] === null).length;
        expect(hidden, `seed ${seed}`).to.not.equal(1);
      }
    });
  });

  describe('consent over time', () => {
    const at = (iso: string) => new Date(iso);
    const history = [
      { consented: true, at: at('2027-02-01T00:00:00Z') },
      { consented: false, at: at('2027-05-01T00:00:00Z') },
      { consented: true, at: at('2027-08-01T00:00:00Z') },
    ];

    it('is off before any choice, and follows the last change at each instant', () => {
      expect(consentedAt([], at('2027-03-01T00:00:00Z'))).to.equal(false);
      expect(consentedAt(history, at('2027-01-31T00:00:00Z'))).to.equal(false);
      expect(consentedAt(history, at('2027-03-01T00:00:00Z'))).to.equal(true);
      expect(consentedAt(history, at('2027-06-01T00:00:00Z'))).to.equal(false);
      expect(consentedAt(history, at('2027-09-01T00:00:00Z'))).to.equal(true);
    });

    it('counts a record only when made while she consented and she consents now', () => {
      const now = at('2027-09-01T00:00:00Z');
      expect(countable(history, at('2027-03-01T00:00:00Z'), now)).to.equal(true);
      expect(countable(history, at('2027-06-01T00:00:00Z'), now)).to.equal(false);
      expect(countable(history, at('2027-01-01T00:00:00Z'), now)).to.equal(false);
      expect(countable(history, at('2027-03-01T00:00:00Z'), at('2027-06-01T00:00:00Z'))).to.equal(false);
    });
  });

  describe('k-anonymity of the export', () => {
    it('coarsens region to country, then "other", so no row is unique on region × phase × track', () => {
      const rows = [
        { region: 'Yorkshire', country: 'GB', phase: 'primary', track: 'aspiring-leader', cohortYear: '2026' },
        { region: 'Yorkshire', country: 'GB', phase: 'primary', track: 'aspiring-leader', cohortYear: '2026' },
        { region: 'Kent', country: 'GB', phase: 'primary', track: 'aspiring-leader', cohortYear: '2026' },
        { region: 'Devon', country: 'GB', phase: 'primary', track: 'aspiring-leader', cohortYear: '2026' },
        { region: 'Ontario', country: 'CA', phase: 'secondary', track: 'new-head', cohortYear: '2026' },
        { region: 'Quebec', country: 'CA', phase: 'secondary', track: 'new-head', cohortYear: '2026' },
        { region: 'Lagos', country: 'NG', phase: 'special', track: 'aspiring-leader', cohortYear: '2026' },
        { region: 'Nairobi', country: 'KE', phase: 'special', track: 'aspiring-leader', cohortYear: '2026' },
      ];
      const out = coarsen(rows);
      const key = (r: { region: string; phase: string; track: string }) => `${r.region}|${r.phase}|${r.track}`;
      const counts = new Map<string, number>();
      for (const r of out) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
      expect([...counts.values()].every((c) => c >= 2)).to.equal(true);
      expect(out).to.have.length(8);
      expect(out.filter((r) => r.region === 'Yorkshire')).to.have.length(2);
      expect(out.filter((r) => r.region === 'GB')).to.have.length(2);
      expect(out.filter((r) => r.region === 'CA')).to.have.length(2);
      expect(out.filter((r) => r.region === 'other' && r.phase === 'special')).to.have.length(2);
    });

    it('counts the cohort year as identifying too: the one woman of a 2024 cohort is not a row of her own', () => {
      const row = { region: 'Kent', country: 'GB', phase: 'primary', track: 'new-head' };
      const out = coarsen([
        { ...row, cohortYear: '2026' },
        { ...row, cohortYear: '2026' },
        { ...row, cohortYear: '2026' },
        { ...row, cohortYear: '2024' },
      ]);
      const key = (r: { region: string; phase: string; track: string; cohortYear: string }) =>
        `${r.region}|${r.phase}|${r.track}|${r.cohortYear}`;
      const counts = new Map<string, number>();
      for (const r of out) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
      expect([...counts.values()].every((c) => c >= 2)).to.equal(true);
      expect(out.filter((r) => r.cohortYear === '2024')).to.deep.equal([]);
      expect(out.filter((r) => r.cohortYear === '2026')).to.have.length(3);
    });

    it('leaves out a row that stays unique after every coarsening step', () => {
      expect(
        coarsen([{ region: 'Kent', country: 'GB', phase: 'primary', track: 'new-head', cohortYear: '2026' }]),
      ).to.deep.equal([]);
    });
  });

  describe('survey moments of her enrolment', () => {
    const base = {
      enrolledAt: new Date('2027-01-10T14:00:00Z'),
      completedAt: null,
      cohortEndsOn: '2027-06-30',
      zone: 'America/Toronto',
    };
    it('start is the enrolment; end is the cohort end at 09:00 her zone unless she completed first', () => {
      expect(momentInstant({ ...base, moment: 'start' }).toISOString()).to.equal('2027-01-10T14:00:00.000Z');
      expect(momentInstant({ ...base, moment: 'end' }).toISOString()).to.equal('2027-06-30T13:00:00.000Z');
      const completedAt = new Date('2027-05-02T10:00:00Z');
      expect(momentInstant({ ...base, completedAt, moment: 'end' }).toISOString()).to.equal(completedAt.toISOString());
    });
    it('follow-ups are 6 and 12 months after the end, at 09:00 her zone', () => {
      expect(momentInstant({ ...base, moment: 'followup-6m' }).toISOString()).to.equal('2027-12-30T14:00:00.000Z');
      expect(momentInstant({ ...base, moment: 'followup-12m' }).toISOString()).to.equal('2028-06-30T13:00:00.000Z');
    });
  });
});
