import { expect } from 'chai';
import { submissionKey, textRepeatWindowMinutes } from '../../server/submissions.ts';

describe('submission keys: what counts as the same create sent again', () => {
  const at = (iso: string) => new Date(iso);

  it('a client key decides alone: the same key is the same submission, whatever the text or the time', () => {
    const first = submissionKey({ scope: ['u1', 'p1'], clientKey: 'key-12345', content: ['Thanks!'], text: true });
    const again = submissionKey({
      scope: ['u1', 'p1'],
      clientKey: 'key-12345',
      content: ['Thanks again'],
      text: true,
      now: at('2030-01-01T00:00:00Z'),
    });
    expect(again).to.equal(first);
    expect(submissionKey({ scope: ['u2', 'p1'], clientKey: 'key-12345', content: [] })).to.not.equal(first);
  });

  it(`without a key, the same text is the same submission within ${textRepeatWindowMinutes} minutes, and a new one later`, () => {
    const reply = (iso: string) =>
      submissionKey({ scope: ['u1', 'p1'], content: ['Thanks!'], text: true, now: at(iso) });
    expect(reply('2027-03-01T09:00:01Z')).to.equal(reply('2027-03-01T09:00:04Z'));
    expect(reply('2027-03-01T09:00:01Z')).to.not.equal(reply('2027-03-08T09:00:01Z'));
    expect(
      submissionKey({ scope: ['u1', 'p1'], content: ['Thank you!'], text: true, now: at('2027-03-01T09:00:01Z') }),
    ).to.not.equal(reply('2027-03-01T09:00:01Z'));
  });

  it('without a key, a fact (an outcome’s kind, day and detail) is the same one whenever it is sent again', () => {
    const outcome = (iso: string) =>
      submissionKey({ scope: ['u1'], content: ['appointed', '2026-11-30', 'Head of Hillside'], now: at(iso) });
    expect(outcome('2027-01-01T00:00:00Z')).to.equal(outcome('2027-06-01T00:00:00Z'));
  });

  it('never carries the text itself (erasure blanks the text, not the key)', () => {
    const key = submissionKey({ scope: ['u1'], content: ['Aisha Rahman wrote this'], text: true });
    expect(key).to.not.include('Aisha');
  });
});
