import { expect } from 'chai';
import type { Window } from '../../server/services/mentoring/availability.ts';
import {
  scorePair,
  scoreWeights,
  type MenteeForMatching,
  type MentorForMatching,
} from '../../server/services/mentoring/matching.ts';
import { topics } from '../../server/vocabulary.ts';

const now = new Date('2027-03-08T00:00:00Z'); // London GMT, Toronto EST
const mentor = (over: Partial<MentorForMatching> = {}): MentorForMatching => ({
  userId: 'mentor-1',
  freePlaces: 2,
  schoolName: 'Hillside Academy',
  phase: 'secondary',
  country: 'GB',
  region: 'Yorkshire',
  timezone: 'Europe/London',
  languages: ['English'],
  expertise: ['interviews', 'salary-negotiation', 'leading-change'],
  availability: [{ day: 'mon', from: '13:00', to: '15:00' }],
  ...over,
});
const mentee = (over: Partial<MenteeForMatching> = {}): MenteeForMatching => ({
  userId: 'mentee-1',
  schoolName: 'Riverside Primary',
  phase: 'secondary',
  country: 'GB',
  region: 'Yorkshire',
  timezone: 'Europe/London',
  languages: ['English'],
  goals: ['interviews', 'salary-negotiation'],
  availability: [{ day: 'mon', from: '12:00', to: '16:00' }],
  preferences: {},
  ...over,
});

describe('mentoring: hard rules and the score of a pair', () => {
  it('when every rule holds, the pair is eligible and the reasons say why in plain words, times in her zone', () => {
    const torontoMentor = mentor({
      timezone: 'America/Toronto',
      availability: [{ day: 'mon', from: '08:00', to: '10:00' }],
    });
    const result = scorePair({ mentor: torontoMentor, mentee: mentee(), now });
    expect(result.eligible).to.equal(true);
    expect(result.excludedBy).to.deep.equal([]);
    expect(result.overlapMinutesPerWeek).to.equal(120);
    expect(result.sharedTopics).to.deep.equal(['interviews', 'salary-negotiation']);
    expect(result.reasons).to.include('you share 2 goals: interviews, salary negotiation');
    expect(result.reasons).to.include('2 hours a week when you are both free: Mondays 13:00–15:00 your time');
  });

  it('never lets a woman mentor herself', () => {
    expect(
      scorePair({ mentor: mentor({ userId: 'same' }), mentee: mentee({ userId: 'same' }), now }).excludedBy,
    ).to.deep.equal(['herself']);
  });

  it('excludes a mentor with no free place (a paused mentor, capacity 0, or one who is full)', () => {
    for (const freePlaces of [0, -1]) {
      const result = scorePair({ mentor: mentor({ freePlaces }), mentee: mentee(), now });
      expect(result.eligible).to.equal(false);
      expect(result.excludedBy).to.deep.equal(['no-free-place']);
    }
  });

  it('excludes a mentor from her own school, comparing names ignoring case, spaces, invisible characters and how accents were typed; an empty school name never matches', () => {
    const result = scorePair({
      mentor: mentor({ schoolName: "St Mary's  High School" }),
      mentee: mentee({ schoolName: " st mary's high  school " }),
      now,
    });
    expect(result.excludedBy).to.deep.equal(['same-school']);
    expect(
      scorePair({ mentor: mentor({ schoolName: '' }), mentee: mentee({ schoolName: '' }), now }).eligible,
    ).to.equal(true);
    // Profiles saved before names were stored composed, or pasted with an invisible character, compare alike.
    for (const [theirs, hers] of [
      ['École Sainte-Thérèse', 'École Sainte-Thérèse'.normalize('NFD')],
      ['École Sainte-Thérèse', 'École Sainte\u200b-Thérèse\ufeff'],
      ['Großmann-Schule', 'GROSSMANN-SCHULE'],
    ])
      expect(
        scorePair({ mentor: mentor({ schoolName: theirs }), mentee: mentee({ schoolName: hers }), now }).excludedBy,
        hers,
      ).to.deep.equal(['same-school']);
    expect(
      scorePair({ mentor: mentor({ schoolName: '\u200b' }), mentee: mentee({ schoolName: '\u200d' }), now }).eligible,
    ).to.equal(true);
  });

  it('excludes a pair sharing under 120 minutes in the coming seven days, and keeps one sharing exactly 120', () => {
    const justUnder = mentor({ availability: [{ day: 'mon', from: '12:01', to: '14:00' }] });
    expect(scorePair({ mentor: justUnder, mentee: mentee(), now }).excludedBy).to.deep.equal([
      'too-little-shared-time',
    ]);
    const exactly = mentor({ availability: [{ day: 'mon', from: '12:00', to: '14:00' }] });
    expect(scorePair({ mentor: exactly, mentee: mentee(), now }).eligible).to.equal(true);
  });

  it('applies the 120-minute rule to the week at hand: a London–Toronto pair drops out in the week only Toronto has changed', () => {
    const torontoMentor = mentor({
      timezone: 'America/Toronto',
      availability: [{ day: 'mon', from: '08:00', to: '10:00' }],
    });
    const londonMentee = mentee({ availability: [{ day: 'mon', from: '13:00', to: '15:00' }] });
    expect(
      scorePair({ mentor: torontoMentor, mentee: londonMentee, now: new Date('2027-03-08T00:00:00Z') }).eligible,
    ).to.equal(true);
    const gap = scorePair({ mentor: torontoMentor, mentee: londonMentee, now: new Date('2027-03-15T00:00:00Z') });
    expect(gap.overlapMinutesPerWeek).to.equal(60);
    expect(gap.excludedBy).to.deep.equal(['too-little-shared-time']);
  });

  it('the weights add up to 100 and a pair that fits on every count scores 100', () => {
    expect(Object.values(scoreWeights).reduce((a, b) => a + b, 0)).to.equal(100);
    const everyHour = (['mon', 'tue', 'wed'] as const).map((day) => ({ day, from: '09:00', to: '11:00' })) as Window[];
    const result = scorePair({
      mentor: mentor({ availability: everyHour }),
      mentee: mentee({ availability: everyHour }),
      now,
    });
    expect(result.overlapMinutesPerWeek).to.equal(360);
    expect(result.score).to.equal(100);
  });

  it('honours her preferences: asking for her own region takes the same-country half point away; asking for a language', () => {
    const otherRegion = mentor({ region: 'London' });
    const plain = scorePair({ mentor: otherRegion, mentee: mentee(), now });
    const asked = scorePair({ mentor: otherRegion, mentee: mentee({ preferences: { sameRegion: true } }), now });
    expect(plain.score - asked.score).to.equal(scoreWeights.region / 2);
    expect(asked.reasons).to.include('she is not in your region, which you asked for');
    const welsh = scorePair({
      mentor: mentor({ languages: ['English', 'Welsh'] }),
      mentee: mentee({ preferences: { language: 'welsh' } }),
      now,
    });
    const noWelsh = scorePair({ mentor: mentor(), mentee: mentee({ preferences: { language: 'Welsh' } }), now });
    expect(welsh.score - noWelsh.score).to.equal(scoreWeights.language);
    expect(noWelsh.reasons).to.include('she does not speak Welsh, the language you asked for');
  });

  it('on random pairs, the score is the rounded sum of the parts the reasons come from, and the same with or without words', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const zones = ['Europe/London', 'America/Toronto', 'Asia/Dubai', 'Asia/Kuala_Lumpur', 'Australia/Sydney'];
    const windows = (): Window[] =>
      (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const)
        .filter(() => random() < 0.5)
        .map((day) => {
          const from = 6 + Math.floor(random() * 12);
          return {
            day,
            from: `${String(from).padStart(2, '0')}:00`,
            to: `${String(from + 1 + Math.floor(random() * 4)).padStart(2, '0')}:00`,
          };
        });
    for (let i = 0; i < 200; i++) {
      const m = mentor({
        timezone: pick(zones),
        availability: windows(),
        expertise: topics.filter(() => random() < 0.3),
        phase: pick(['primary', 'secondary']),
        languages: random() < 0.5 ? ['English'] : ['Malay'],
      });
      const e = mentee({
        timezone: pick(zones),
        availability: windows(),
        goals: topics.filter(() => random() < 0.3),
        phase: pick(['primary', 'secondary']),
        preferences: { sameRegion: random() < 0.3 },
      });
      const at = new Date(Date.UTC(2027, 0, 1) + Math.floor(random() * 365) * 86_400_000);
      const worded = scorePair({ mentor: m, mentee: e, now: at });
      const bare = scorePair({ mentor: m, mentee: e, now: at, describe: false });
      expect(worded.score).to.equal(Math.round(worded.parts.reduce((s, p) => s + p.points, 0)));
      expect(worded.score).to.be.within(0, 100);
      expect(bare.score).to.equal(worded.score);
      expect(bare.eligible).to.equal(worded.eligible);
      expect(worded.reasons).to.deep.equal(worded.parts.filter((p) => p.reason).map((p) => p.reason));
      for (const p of worded.parts) if (p.points > 0) expect(p.reason, p.factor).to.be.a('string');
    }
  });
});
