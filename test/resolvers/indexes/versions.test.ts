/** Version ordering and range/specifier tables for the package-index resolvers (pure functions, no network). */
import { describe, expect, it } from 'vitest';
import { compareApkVersions, normaliseBranch, parseApkIndex } from '../../../src/resolvers/apk.js';
import { aptBase, compareDebianVersions, parseRelease, stripClearsign } from '../../../src/resolvers/apt.js';
import { compareSemver, packumentPath, pickNpmVersion, satisfies } from '../../../src/resolvers/npm.js';
import {
  compareVersionStrings,
  normaliseProjectName,
  parseHtmlPage,
  parseJsonPage,
  parseSpecifierSet,
  pickVersion,
  releasesFromFiles,
  requiresPythonAllows,
  supportsPython,
  versionFromFilename,
} from '../../../src/resolvers/pypi.js';

/** Every adjacent pair of `sorted` must compare < 0, and each element equal to itself. */
function expectAscending(sorted: readonly string[], cmp: (a: string, b: string) => number) {
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i] as string;
    expect(cmp(a, a), `${a} = ${a}`).toBe(0);
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j] as string;
      expect(Math.sign(cmp(a, b)), `${a} < ${b}`).toBe(-1);
      expect(Math.sign(cmp(b, a)), `${b} > ${a}`).toBe(1);
    }
  }
}

describe('Debian version ordering (policy 5.6.12)', () => {
  it('orders ~ before the end, the end before letters, letters before other characters', () => {
    expectAscending(['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a', '1.0+', '1.0.1'], compareDebianVersions);
  });

  it('orders real bookworm versions', () => {
    expectAscending(['7.88.1-10+deb12u5', '7.88.1-10+deb12u15', '7.88.2'], compareDebianVersions);
    expectAscending(['20230311+deb12u1', '20250419~deb12u2'], compareDebianVersions);
    expectAscending(['3.0.17-1~deb12u2', '3.0.20-1~deb12u2', '3.0.22-1~deb12u2'], compareDebianVersions);
    expectAscending(['2.36-9+deb12u7', '2.36-9+deb12u14'], compareDebianVersions);
    expectAscending(['6.0-28', '6.0-28+deb12u1'], compareDebianVersions);
    expectAscending(['1.14-1+b9', '1.14-1+b10'], compareDebianVersions);
    expectAscending(['2025b-0+deb12u1', '2026b-0+deb12u1', '2026f-0+deb12u1'], compareDebianVersions);
    expectAscending(['1.0~rc1-1', '1.0-1', '1.0-1.1', '1.0-2'], compareDebianVersions);
  });

  it('compares epochs first', () => {
    expectAscending(['9.1-1', '1:2.39.5-0+deb12u3', '2:4.0.2-3', '2:9.0.1378-2+deb12u2'], compareDebianVersions);
  });

  it('treats a missing epoch as 0, a missing revision as 0 and leading zeros as nothing', () => {
    expect(compareDebianVersions('0:1.0', '1.0')).toBe(0);
    expect(compareDebianVersions('1.0', '1.0-0')).toBe(0);
    expect(compareDebianVersions('1.01-1', '1.1-1')).toBe(0);
    expect(compareDebianVersions('1.0', '1.0-1')).toBeLessThan(0);
  });

  it('uses the last hyphen for the revision', () => {
    expectAscending(['1.2-3-1', '1.2-3-2', '1.2-4-1'], compareDebianVersions);
  });
});

describe('PEP 440', () => {
  it('orders the PEP 440 example list', () => {
    expectAscending(
      [
        '1.0.dev456',
        '1.0a1',
        '1.0a2.dev456',
        '1.0a12.dev456',
        '1.0a12',
        '1.0b1.dev456',
        '1.0b2',
        '1.0b2.post345.dev456',
        '1.0b2.post345',
        '1.0rc1.dev456',
        '1.0rc1',
        '1.0',
        '1.0+abc.5',
        '1.0+abc.7',
        '1.0+5',
        '1.0.post456.dev34',
        '1.0.post456',
        '1.0.15',
        '1.1.dev1',
        '1!0.1',
      ],
      compareVersionStrings,
    );
  });

  it('normalises spellings', () => {
    for (const [a, b] of [
      ['1.0', '1.0.0'],
      ['v1.0', '1.0'],
      ['1.0alpha1', '1.0a1'],
      ['1.0.a.1', '1.0a1'],
      ['1.0c1', '1.0rc1'],
      ['1.0-1', '1.0.post1'],
      ['1.0.rev1', '1.0.post1'],
      ['1.0-dev', '1.0.dev0'],
      ['1.0RC1', '1.0rc1'],
    ]) {
      expect(compareVersionStrings(a as string, b as string), `${a} == ${b}`).toBe(0);
    }
  });

  const versions = ['1.0', '1.1', '1.1.post1', '1.2a1', '1.2', '1.3rc1', '2.0', '2.0.1', '2.1.dev0', '3.0a1'];
  it.each([
    ['', '2.0.1'],
    ['>=1,<2', '1.2'],
    ['>=1, <2', '1.2'],
    ['~=1.1', '1.2'],
    ['~=1.1.0', '1.1.post1'],
    ['==1.*', '1.2'],
    ['==1.1.*', '1.1.post1'],
    ['!=2.0.1', '2.0'],
    ['!=2.*,<3', '1.2'],
    ['>1.1,<1.2', undefined],
    ['>1.1,<1.3', '1.2'],
    ['>=1.1,<=1.1', '1.1'],
    ['<=1.1', '1.1'],
    ['==1.1', '1.1'],
    ['==2.0.0', '2.0'],
    ['===1.1.post1', '1.1.post1'],
    ['>=3.0a1', '3.0a1'],
    ['>=1.2a1,<1.3', '1.2'],
    ['>2.0.1', '3.0a1'],
    ['>3', undefined],
  ])('specifier %j picks %s', (spec, expected) => {
    expect(pickVersion(versions, parseSpecifierSet(spec))).toBe(expected);
  });

  it('rejects malformed specifiers', () => {
    expect(() => parseSpecifierSet('>=1.0.*')).toThrow(/only goes with/);
    expect(() => parseSpecifierSet('~=1')).toThrow(/two release segments/);
    expect(() => parseSpecifierSet('=>1')).toThrow(/not a PEP 440 specifier/);
  });

  it('normalises project names (PEP 503)', () => {
    expect(normaliseProjectName('Python_Dateutil')).toBe('python-dateutil');
    expect(normaliseProjectName('zope.interface')).toBe('zope-interface');
    expect(normaliseProjectName('Foo--Bar__baz')).toBe('foo-bar-baz');
  });

  it.each([
    ['requests', 'requests-2.32.3-py3-none-any.whl', '2.32.3'],
    ['requests', 'requests-2.32.3.tar.gz', '2.32.3'],
    ['django', 'Django-5.1-py3-none-any.whl', '5.1'],
    ['django', 'Django-4.2.16.tar.gz', '4.2.16'],
    ['python-dateutil', 'python_dateutil-2.9.0.post0-py2.py3-none-any.whl', '2.9.0.post0'],
    ['python-dateutil', 'python-dateutil-2.9.0.post0.tar.gz', '2.9.0.post0'],
    ['python-dateutil', 'python-dateutil-1.5.zip', '1.5'],
    ['zope-interface', 'zope.interface-3.6.1-py2.6-win-amd64.egg', '3.6.1'],
    ['zope-interface', 'zope_interface-7.2.tar.gz', '7.2'],
    ['numpy', 'numpy-2.1.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', '2.1.3'],
    ['numpy', 'numpy-2.1.3-1-cp312-cp312-win_amd64.whl', '2.1.3'],
    ['requests', 'requests-toolbelt-1.0.0.tar.gz', undefined],
    ['requests', 'requests-2.32.3.exe', undefined],
    ['foo', 'foo-latest.tar.gz', undefined],
  ])('%s: %s → %s', (project, file, expected) => {
    expect(versionFromFilename(project, file)).toBe(expected);
  });

  it('reads PEP 503 anchors with entities and data-yanked', () => {
    const files = parseHtmlPage(
      '<a href="https://x/p/a-1.0.tar.gz#sha256=00" data-requires-python="&gt;=3.8">a-1.0.tar.gz</a>\n' +
        '<a href="../../p/a-1.1.tar.gz" data-yanked="">a-1.1.tar.gz</a><a href="/p/a-1.2.tar.gz"></a>',
    );
    expect(files).toStrictEqual([
      { filename: 'a-1.0.tar.gz', yanked: false, requiresPython: '>=3.8' },
      { filename: 'a-1.1.tar.gz', yanked: true },
      { filename: 'a-1.2.tar.gz', yanked: false },
    ]);
  });

  it('reads requires-python from PEP 691 JSON (null and empty mean none) and keeps it per version', () => {
    const files = parseJsonPage(
      JSON.stringify({
        files: [
          { filename: 'a-1.0-py3-none-any.whl', 'requires-python': '>=3.10', yanked: false },
          { filename: 'a-1.0.tar.gz', 'requires-python': null },
          { filename: 'a-1.1.tar.gz', 'requires-python': '' },
          { filename: 'a-1.2-py3-none-any.whl', 'requires-python': '>=3.12', yanked: 'broken' },
          { filename: 'a-1.2.tar.gz', 'requires-python': '>=3.11' },
        ],
      }),
      'a',
    );
    expect(files[0]).toStrictEqual({ filename: 'a-1.0-py3-none-any.whl', yanked: false, requiresPython: '>=3.10' });
    expect(files[1]).toStrictEqual({ filename: 'a-1.0.tar.gz', yanked: false });
    expect(releasesFromFiles('a', files)).toStrictEqual([
      { version: '1.0', requiresPython: ['>=3.10', null] },
      { version: '1.1', requiresPython: [null] },
      // The yanked wheel's requires-python does not count.
      { version: '1.2', requiresPython: ['>=3.11'] },
    ]);
    expect(supportsPython({ version: '1.2', requiresPython: ['>=3.11'] }, '3.10')).toBe(false);
    expect(supportsPython({ version: '1.0', requiresPython: ['>=3.10', null] }, '3.8')).toBe(true);
  });

  it.each([
    ['>=3.10', '3.8', false],
    ['>=3.10', '3.10', true],
    ['>=3.8', '3.8.18', true],
    ['>=3.8.1', '3.8', true], // 'X.Y' stands for its patch releases
    ['>=3.8.1', '3.8.0', false],
    ['<3.8.5', '3.8', true],
    ['!=3.0.*,!=3.1.*,!=3.2.*,>=2.7', '3.2', false],
    ['!=3.0.*,!=3.1.*,!=3.2.*,>=2.7', '3.12.1', true],
    ['>= 3.6, <4', '3.11', true],
    ['>=3.7,', '3.6', false], // a trailing comma is tolerated, as by packaging
    ['~=3.9', '4.0', false],
    ['>=3.6.*', '2.7', true], // malformed: counts as satisfied, as pip
    ['python3', '3.8', true],
  ])('requires-python %j on Python %s: %s', (rp, python, expected) => {
    expect(requiresPythonAllows(rp, python)).toBe(expected);
  });
});

describe('semver', () => {
  it('orders SemVer 2.0.0 precedence examples', () => {
    expectAscending(
      ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'],
      compareSemver,
    );
    expect(compareSemver('1.0.0+build.1', '1.0.0')).toBe(0);
  });

  it.each([
    ['1.2.3', '^1.2.3', true],
    ['1.9.0', '^1.2.3', true],
    ['2.0.0', '^1.2.3', false],
    ['2.0.0-0', '^1.2.3', false],
    ['1.2.2', '^1.2.3', false],
    ['0.2.4', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['0.1.0', '^0.x', true],
    ['1.0.0', '^0.x', false],
    ['0.0.9', '^0.0.x', true],
    ['0.1.0', '^0.0.x', false],
    ['1.5.0', '^1.x', true],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.2.9', '~1.2', true],
    ['1.9.9', '~1', true],
    ['2.0.0', '~1', false],
    ['1.2.3', '~> 1.2', true],
    ['1.2.3', '1.x', true],
    ['2.0.0', '1.x', false],
    ['1.2.3', '1.2.*', true],
    ['1.3.0', '1.2', false],
    ['1.0.0', '*', true],
    ['1.0.0', '', true],
    ['1.0.0-rc.1', '*', false],
    ['1.2.3', '1.2.3 - 2.3.4', true],
    ['2.3.4', '1.2.3 - 2.3.4', true],
    ['2.3.5', '1.2.3 - 2.3.4', false],
    ['2.3.9', '1.2 - 2.3', true],
    ['2.4.0', '1.2 - 2.3', false],
    ['2.9.9', '1 - 2', true],
    ['1.2.3-beta.2', '^1.2.3-beta.1', true],
    ['1.2.4-beta.1', '^1.2.3-beta.1', false],
    ['1.2.3-beta.1', '^1.2.3', false],
    ['3.0.0', '<2 || >=3', true],
    ['1.9.9', '<2 || >=3', true],
    ['2.5.0', '<2 || >=3', false],
    ['1.0.0', '>=1.0.0 <1.0.1', true],
    ['1.3.0', '>1.2', true],
    ['1.2.9', '>1.2', false],
    ['1.2.9', '<=1.2', true],
    ['1.3.0', '<=1.2', false],
    ['1.1.9', '<1.2', true],
    ['1.2.0', '<1.2', false],
    ['1.2.3', '= 1.2.3', true],
    ['1.2.3', 'v1.2.3', true],
    ['1.2.3', '>= 1.2.3', true],
    ['1.2.4', '1.2.3', false],
  ])('%s satisfies %j: %s', (v, r, expected) => {
    expect(satisfies(v, r)).toBe(expected);
  });

  it('rejects what it cannot parse', () => {
    expect(() => satisfies('1.0.0', 'github:foo/bar')).toThrow(/not a semver range/);
  });

  it('picks like npm: latest when it satisfies, else the highest non-deprecated', () => {
    const doc = {
      name: 'x',
      distTags: { latest: '1.5.0', next: '2.0.0-rc.1' },
      versions: ['1.0.0', '1.5.0', '1.6.0', '2.0.0-rc.1', '3.0.0', '3.1.0'],
      deprecated: ['3.1.0'],
    };
    expect(pickNpmVersion(doc, '')).toBe('1.5.0');
    expect(pickNpmVersion(doc, '^1')).toBe('1.5.0');
    expect(pickNpmVersion(doc, '>=1.6')).toBe('3.0.0');
    expect(pickNpmVersion(doc, '^3.1')).toBe('3.1.0');
    expect(pickNpmVersion(doc, 'next')).toBe('2.0.0-rc.1');
    expect(pickNpmVersion(doc, '^4')).toBeUndefined();
  });

  it('URL-encodes scoped names', () => {
    expect(packumentPath('@types/node')).toBe('@types%2Fnode');
    expect(packumentPath('express')).toBe('express');
    expect(() => packumentPath('../etc/passwd')).toThrow(/not an npm package name/);
  });
});

describe('apk versions', () => {
  it('orders suffixes, letters and revisions', () => {
    expectAscending(['1.0_alpha1', '1.0_beta1', '1.0_pre1', '1.0_rc1', '1.0', '1.0_p1', '1.0.1'], compareApkVersions);
    expectAscending(['1.0', '1.0a', '1.0b'], compareApkVersions);
    expectAscending(['1.36.1-r15', '1.36.1-r16', '1.36.2-r0'], compareApkVersions);
    expectAscending(['2.43.0_rc1-r0', '2.43.0-r0', '2.43.0-r1', '2.43.0_p1-r0'], compareApkVersions);
    expectAscending(['8.5.0-r0', '8.11.1-r0'], compareApkVersions);
    expectAscending(['2023c-r1', '2024a-r0'], compareApkVersions);
    expectAscending(['3.3.2-r0', '3.3.2_p1-r0', '3.3.3-r0'], compareApkVersions);
    expectAscending(['9.6_p1-r0', '9.7-r0'], compareApkVersions);
  });

  it('normalises branches and parses provides', () => {
    expect(normaliseBranch('3.19')).toBe('v3.19');
    expect(normaliseBranch('edge')).toBe('edge');
    const ix = parseApkIndex('P:a\nV:1.0-r0\np:cmd:a=1.0-r0 so:liba.so.1=1\n\nP:b\nV:2-r1\nk:10\np:cmd:a\n');
    expect(ix.packages.a).toBe('1.0-r0');
    expect(ix.provides['cmd:a']).toEqual([
      ['a', null],
      ['b', 10],
    ]);
    expect(ix.provides['so:liba.so.1']).toEqual([['a', null]]);
  });
});

describe('Release files', () => {
  it('strips clear-signed armour and reads SHA256 lines', () => {
    const text = [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA256',
      '',
      'Origin: Debian',
      'MD5Sum:',
      ' 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 main/binary-amd64/Packages',
      'SHA256:',
      ` ${'a'.repeat(64)}    43643 main/binary-amd64/Packages`,
      ` ${'b'.repeat(64)}    13261 main/binary-amd64/Packages.gz`,
      '- -dash-escaped: yes',
      '-----BEGIN PGP SIGNATURE-----',
      '',
      'xyz',
      '-----END PGP SIGNATURE-----',
    ].join('\n');
    expect(stripClearsign(text)).toContain('-dash-escaped: yes');
    const files = parseRelease(text);
    expect([...files.keys()]).toEqual(['main/binary-amd64/Packages', 'main/binary-amd64/Packages.gz']);
    expect(files.get('main/binary-amd64/Packages.gz')).toEqual({ sha256: 'b'.repeat(64), size: 13261 });
  });

  it('chooses archive bases per distro, pocket and arch', () => {
    const m = {
      debianMirror: 'D',
      debianSecurityMirror: 'DS',
      ubuntuMirror: 'U',
      ubuntuPortsMirror: 'UP',
      ubuntuSecurityMirror: 'US',
    };
    expect(aptBase(m, 'debian', '', 'arm64')).toBe('D');
    expect(aptBase(m, 'debian', '-security', 'amd64')).toBe('DS');
    expect(aptBase(m, 'ubuntu', '-updates', 'amd64')).toBe('U');
    expect(aptBase(m, 'ubuntu', '-security', 'amd64')).toBe('US');
    expect(aptBase(m, 'ubuntu', '-security', 'arm64')).toBe('UP');
    expect(() => aptBase(m, 'fedora', '', 'amd64')).toThrow(/unknown distro/);
  });
});
