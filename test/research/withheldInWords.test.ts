import { expect } from 'chai';
import { withheldInWords } from '../../server/services/research/withheldInWords.ts';

describe('research: a withheld figure is named in words on the dashboard', () => {
  const names = {
    trackNames: { 'new-head': 'New heads' },
    programmeTitles: { '67748580acc1d4c45eb22609': 'Aspiring to headship' },
    questionPrompts: { confidence: 'How confident are you to apply for headship?' },
  };

  it('names the group, then the figure, never the API key', () => {
    expect(withheldInWords('participants', names)).to.equal('Everyone: participants');
    expect(withheldInWords('byTrack.new-head.attendanceRate', names)).to.equal('New heads: attendance rate');
    expect(withheldInWords('byProgramme.67748580acc1d4c45eb22609.completionRate', names)).to.equal(
      'Aspiring to headship: completion rate',
    );
    expect(withheldInWords('byTrack.new-head.outcomes.appointed', names)).to.equal(
      'New heads: appointed within 12 months',
    );
    expect(withheldInWords('likert.confidence.start.mean', names)).to.equal(
      'Everyone: “How confident are you to apply for headship?” at the start, mean answer',
    );
    expect(withheldInWords('likert.confidence.followup-6m.n', names)).to.equal(
      'Everyone: “How confident are you to apply for headship?” 6 months after the end, how many answered',
    );
    expect(withheldInWords('panels.trainedShare', names)).to.equal('Everyone: interview panel members trained in time');
  });
});
