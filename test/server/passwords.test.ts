import { expect } from 'chai';
import { hashPassword, passwordProblem, verifyPassword } from '../../server/services/passwords.ts';

describe('passwords', () => {
  it('refuses passwords shorter than 12 characters', () => {
    expect(passwordProblem('short-pass1')).to.match(/at least 12/);
  });
  it('refuses common passwords even when long enough', () => {
    expect(passwordProblem('qwerty123456')).to.match(/too common/);
    expect(passwordProblem('1q2w3e4r5t6y')).to.match(/too common/);
  });
  it('refuses a password that contains the email name', () => {
    expect(passwordProblem('jane.doe-rocks-2027', { email: 'jane.doe@example.org' })).to.equal(
      'Do not use the part of your email address before the @ (“jane.doe”) in your password.',
    );
  });
  it('accepts a long uncommon passphrase', () => {
    expect(passwordProblem('violet lanterns over leeds')).to.equal(undefined);
  });
  it('stores argon2id hashes that verify only the right password', async () => {
    const hash = await hashPassword('violet lanterns over leeds');
    // The strength Pathways stores (test factories store a cheaper hash of their one password: test/support/factories.ts).
    const [, type, , params] = hash.split('$');
    expect(type).to.equal('argon2id');
    expect(Object.fromEntries(params!.split(',').map((p) => p.split('=')))).to.deep.equal({
      m: '65536',
      t: '3',
      p: '4',
    });
    expect(await verifyPassword(hash, 'violet lanterns over leeds')).to.equal(true);
    expect(await verifyPassword(hash, 'violet lanterns over york')).to.equal(false);
    expect(await verifyPassword(undefined, 'anything at all here')).to.equal(false);
  });
});
