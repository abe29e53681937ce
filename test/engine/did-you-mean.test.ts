/** One "did you mean" for every misspelt name: config keys, codemod options and ids, ignore ids. */
import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/engine/did-you-mean.js';

const ids = ['pin-image-digest', 'lock-apt-install', 'lock-pip-install', 'compose-read-only', 'npm-install-to-ci'];

describe('did you mean', () => {
  it('edit distance ignores case', () => {
    expect(editDistance('mirorr', 'mirror')).toBe(2);
    expect(editDistance('Mirror', 'mirror')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });
  it('suggests the closest name within a third of its length (at least 2 edits), or one it is a prefix of', () => {
    expect(closest('pin-imge-digest', ids)).toBe('pin-image-digest');
    expect(closest('lock-pip-instal', ids)).toBe('lock-pip-install');
    expect(closest('pin-image', ids)).toBe('pin-image-digest');
    expect(closest('compose-read-only-x', ids)).toBe('compose-read-only');
    expect(closest('uidd', ['uid', 'gid', 'name'])).toBe('uid');
    expect(closest('mirorr', ['mirrors', 'cache', 'unsafe'])).toBe('mirrors');
  });
  it('suggests nothing for a far name, a short prefix, or the name itself', () => {
    expect(closest('totally-different', ids)).toBeUndefined();
    expect(closest('pin', ids)).toBeUndefined();
    expect(closest('pin-image-digest', ids)).toBeUndefined();
    expect(didYouMean('xyz', ids)).toBe('');
    expect(didYouMean('lock-apt-instal', ids)).toBe(" (did you mean 'lock-apt-install'?)");
  });
});
