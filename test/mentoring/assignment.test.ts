import { expect } from 'chai';
import { optimalAssignment, type AssignmentProblem } from '../../server/services/mentoring/assignment.ts';

/** Every assignment, tried one by one: the most mentees matched, then the highest total score. */
function bruteForce(problem: AssignmentProblem): { matched: number; totalScore: number } {
  const places = [...problem.mentorPlaces];
  let best = { matched: 0, totalScore: 0 };
  const choose = (i: number, matched: number, total: number) => {
    if (i === problem.menteeCount) {
      if (matched > best.matched || (matched === best.matched && total > best.totalScore))
        best = { matched, totalScore: total };
      return;
    }
    choose(i + 1, matched, total);
    for (const p of problem.pairs.filter((p) => p.mentee === i)) {
      if (places[p.mentor]! <= 0) continue;
      places[p.mentor]!--;
      choose(i + 1, matched + 1, total + p.score);
      places[p.mentor]!++;
    }
  };
  choose(0, 0, 0);
  return best;
}

/** What a first-come assignment does: each mentee in turn takes her best mentor with a place left. */
function firstCome(problem: AssignmentProblem) {
  const places = [...problem.mentorPlaces];
  let matched = 0;
  for (let i = 0; i < problem.menteeCount; i++) {
    const options = problem.pairs
      .filter((p) => p.mentee === i && places[p.mentor]! > 0)
      .sort((a, b) => b.score - a.score);
    if (options[0]) {
      places[options[0].mentor]!--;
      matched++;
    }
  }
  return matched;
}

describe('mentoring: the optimal assignment (min-cost max-flow)', () => {
  it('matches both when one mentee fits two mentors and another fits only one of them, where first-come matches one', () => {
    // Amina fits Xin (score 90) and Yusra (60); Beth fits only Xin (50). One place each.
    const problem: AssignmentProblem = {
      menteeCount: 2,
      mentorPlaces: [1, 1],
      pairs: [
        { mentee: 0, mentor: 0, score: 90 },
        { mentee: 0, mentor: 1, score: 60 },
        { mentee: 1, mentor: 0, score: 50 },
      ],
    };
    expect(firstCome(problem)).to.equal(1);
    const result = optimalAssignment(problem);
    expect(result.pairs).to.have.deep.members([
      { mentee: 0, mentor: 1, score: 60 },
      { mentee: 1, mentor: 0, score: 50 },
    ]);
    expect(result.totalScore).to.equal(110);
    expect(result.unassigned).to.deep.equal([]);
  });

  it('matches as many mentees as the rules allow before it looks at scores', () => {
    // One 90-point pair, or two pairs of 10 and 5 points: two mentees matched wins.
    const result = optimalAssignment({
      menteeCount: 2,
      mentorPlaces: [1, 1],
      pairs: [
        { mentee: 0, mentor: 0, score: 90 },
        { mentee: 0, mentor: 1, score: 5 },
        { mentee: 1, mentor: 0, score: 10 },
      ],
    });
    expect(result.pairs).to.have.length(2);
    expect(result.totalScore).to.equal(15);
  });

  it('among assignments matching as many, picks the highest total score, and never exceeds a mentor’s free places', () => {
    const result = optimalAssignment({
      menteeCount: 4,
      mentorPlaces: [2, 1, 0],
      pairs: [
        { mentee: 0, mentor: 0, score: 40 },
        { mentee: 1, mentor: 0, score: 80 },
        { mentee: 2, mentor: 0, score: 70 },
        { mentee: 2, mentor: 1, score: 75 },
        { mentee: 3, mentor: 1, score: 90 },
        { mentee: 3, mentor: 2, score: 100 }, // no free place: never used
      ],
    });
    expect(result.pairs).to.have.deep.members([
      { mentee: 1, mentor: 0, score: 80 },
      { mentee: 2, mentor: 0, score: 70 },
      { mentee: 3, mentor: 1, score: 90 },
    ]);
    expect(result.unassigned).to.deep.equal([0]);
  });

  it('leaves a mentee with no eligible pair unassigned, and handles no mentors at all', () => {
    expect(optimalAssignment({ menteeCount: 2, mentorPlaces: [], pairs: [] })).to.deep.equal({
      pairs: [],
      totalScore: 0,
      unassigned: [0, 1],
    });
  });

  it('on 500 random small instances, matches as many mentees and as high a total as trying every assignment', () => {
    let seed = 2027;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 500; round++) {
      const menteeCount = 1 + Math.floor(random() * 6);
      const mentorPlaces = Array.from({ length: 1 + Math.floor(random() * 3) }, () => Math.floor(random() * 3));
      const pairs: AssignmentProblem['pairs'][number][] = [];
      for (let mentee = 0; mentee < menteeCount; mentee++) {
        for (let mentor = 0; mentor < mentorPlaces.length; mentor++) {
          if (random() < 0.6) pairs.push({ mentee, mentor, score: Math.floor(random() * 101) });
        }
      }
      const problem = { menteeCount, mentorPlaces, pairs };
      const result = optimalAssignment(problem);
      const best = bruteForce(problem);
      expect({ matched: result.pairs.length, totalScore: result.totalScore }, JSON.stringify(problem)).to.deep.equal(
        best,
      );
      // A valid assignment: each mentee at most once, each mentor within her places, only eligible pairs.
      expect(new Set(result.pairs.map((p) => p.mentee)).size).to.equal(result.pairs.length);
      mentorPlaces.forEach((places, j) =>
        expect(result.pairs.filter((p) => p.mentor === j).length).to.be.at.most(Math.max(0, places)),
      );
      for (const p of result.pairs) expect(pairs).to.deep.include(p);
    }
  });
});
