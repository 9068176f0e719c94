import { expect } from 'chai';
import { presentRecruitment, recruitmentSums } from '../../server/services/research/recruitment.ts';

const round = (members: string[], ready: boolean) => ({
  readinessRecord: { ready, members: members.map((status) => ({ status })) },
});

describe('research: the panels’ figures are withheld together', () => {
  it('one round of three members: its share is withheld, and so are the rounds and how many were ready, which would give it away', () => {
    const shown = presentRecruitment(recruitmentSums([round(['valid', 'valid', 'valid'], true)]));
    expect(shown.panels).to.deep.equal({ rounds: null, readyBeforeInterview: null, trainedShare: null });
  });

  it('five members or more: all three are shown; no round at all is a plain zero', () => {
    const shown = presentRecruitment(
      recruitmentSums([round(['valid', 'valid', 'valid'], true), round(['valid', 'not-started'], false)]),
    );
    expect(shown.panels).to.deep.equal({ rounds: 2, readyBeforeInterview: 1, trainedShare: 0.8 });
    expect(presentRecruitment(recruitmentSums([])).panels).to.deep.equal({
      rounds: 0,
      readyBeforeInterview: 0,
      trainedShare: null,
    });
  });
});
