import { expect } from 'chai';
import { finishEach, interruptedBefore } from '../../server/interruptedWork.ts';

describe('server: the sweeps that finish stopped work', () => {
  it('an item whose work fails is left for the next run; the items after it are done now', async () => {
    const done: string[] = [];
    const finished = await finishEach('test', [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }], async (item) => {
      if (item._id === 'a') throw new Error('always fails');
      done.push(item._id);
    });
    expect(finished).to.equal(2);
    expect(done).to.deep.equal(['b', 'c']);
  });

  it('takes work flagged more than 5 minutes ago for stopped', () => {
    const now = new Date('2027-01-01T12:00:00Z');
    expect(interruptedBefore({ now }).toISOString()).to.equal('2027-01-01T11:55:00.000Z');
  });
});
