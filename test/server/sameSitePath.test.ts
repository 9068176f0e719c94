import { expect } from 'chai';
import { sameSitePath } from '../../server/http/sameSitePath.ts';

/**
 * Where sign-in sends her back (and any other redirect or link built from what a request says) is a path of Pathways:
 * nothing a browser would read as another site.
 */
describe('a same-site path to go back to after sign-in', () => {
  it('is followed when it is a path of this site, with its query', () => {
    expect(sameSitePath('/cohorts/5f0c9a7e2b1d4c3a9e8f7a6b?tab=register')).to.equal(
      '/cohorts/5f0c9a7e2b1d4c3a9e8f7a6b?tab=register',
    );
    expect(sameSitePath('/')).to.equal('/');
    expect(sameSitePath('/directory?q=a\\b')).to.equal('/directory?q=a\\b');
  });

  it('is none for anything a browser reads as another site or as no path', () => {
    for (const value of [
      '//evil.example',
      '/\\evil.example',
      '/\\/evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/\r\n/evil.example',
      '/ /evil.example',
      '/\u0000x',
      'https://evil.example/',
      'javascript:alert(1)',
      '\\\\evil.example',
      'evil.example',
      '',
      `/${'a'.repeat(5000)}`,
      undefined,
      null,
      ['/a'],
      { toString: () => '/a' },
    ]) {
      expect(sameSitePath(value), JSON.stringify(value)).to.equal(null);
    }
  });
});
