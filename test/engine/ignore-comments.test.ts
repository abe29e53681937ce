/**
 * Ignore comments: hadolint's `# hadolint ignore=DL3020` for the codemods citing that rule, unknown harden ids
 * reported as typos, unused directives reported with --report-unused-ignores (like Ruff's RUF100 and ESLint's
 * --report-unused-disable-directives). Through the real CLI and the real dockerfile-add-to-copy codemod.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/api.js';
import { codemods } from '../../codemods/index.js';
import { hadolintMap } from '../../src/engine/suppress.js';
import { hardenInProcess } from '../support/cli.js';
import { tmpTree } from '../support/tmp.js';

const only = ['--offline', '--only', 'dockerfile-add-to-copy,npm-install-to-ci'];

describe('ignore comments', () => {
  it('maps hadolint rule ids to the codemods that cite them', () => {
    const map = hadolintMap(codemods);
    expect(map.get('DL3020')).toEqual(['dockerfile-add-to-copy']);
    expect(map.get('DL3016')).toEqual(expect.arrayContaining(['lock-npm-global']));
  });

  it('# hadolint ignore=DL3020 suppresses dockerfile-add-to-copy on the next instruction; global ignore for the file', async () => {
    const cwd = tmpTree({
      '.git/HEAD': 'x',
      'a/Dockerfile': 'FROM node:20\n# hadolint ignore=DL3003,DL3020\nADD x.txt /x\nADD y.txt /y\n',
      'b/Dockerfile': '# hadolint global ignore=DL3020\nFROM node:20\nADD x.txt /x\nADD y.txt /y\n',
    });
    const r = await check({ cwd, only: ['dockerfile-add-to-copy'], resolver: { offline: true, cacheDir: join(cwd, '.c') } });
    const byPath = Object.fromEntries(r.files.map((f) => [f.path, f]));
    expect(byPath['a/Dockerfile']?.findings.map((x) => x.line)).toEqual([4]);
    expect(byPath['a/Dockerfile']?.suppressed).toBe(1);
    expect(byPath['b/Dockerfile']?.findings).toEqual([]);
    expect(byPath['b/Dockerfile']?.suppressed).toBe(2);
    // hadolint directives are hadolint's: never reported as unknown or unused.
    expect(r.files.flatMap((f) => f.ignoreNotes ?? [])).toEqual([]);
  });

  it('reads hadolint comments in any case, and files of a run without any directive suppress nothing', async () => {
    const cwd = tmpTree({
      '.git/HEAD': 'x',
      'a/Dockerfile': 'FROM node:20\n# HADOLINT ignore=dl3020\nADD x.txt /x\nADD y.txt /y\n',
      'b/Dockerfile': 'FROM node:20\n# harden: nothing to ignore here\nADD x.txt /x\n',
      'c/compose.yaml': 'services:\n  web:\n    image: nginx  # harden-ignore pin-image-digest\n',
    });
    const r = await check({ cwd, only: ['dockerfile-add-to-copy', 'pin-image-digest'], resolver: { offline: true, cacheDir: join(cwd, '.c') } });
    const byPath = Object.fromEntries(r.files.map((f) => [f.path, f]));
    expect(byPath['a/Dockerfile']?.findings.map((x) => `${x.codemodId}:${x.line}`)).toEqual(expect.arrayContaining(['dockerfile-add-to-copy:4']));
    expect(byPath['a/Dockerfile']?.findings.filter((x) => x.codemodId === 'dockerfile-add-to-copy' && x.line === 3)).toEqual([]);
    expect(byPath['b/Dockerfile']?.findings.filter((x) => x.codemodId === 'dockerfile-add-to-copy').map((x) => x.line)).toEqual([3]);
    expect(byPath['b/Dockerfile']?.ignoreNotes).toEqual([]);
    expect(byPath['c/compose.yaml']?.findings.filter((x) => x.codemodId === 'pin-image-digest')).toEqual([]);
    expect(byPath['c/compose.yaml']?.suppressed).toBeGreaterThan(0);
  });

  it('an unknown id in harden-ignore is a warning with a suggestion (a typo suppresses nothing)', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: 'FROM node:20\n# harden-ignore dockerfile-add-to-cpy\nADD x.txt /x\n' });
    const r = await hardenInProcess(['check', ...only, '.'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Dockerfile:3:1 dockerfile-add-to-copy /m);
    expect(r.stderr).toContain("Dockerfile:2:1: warning: harden-ignore names no codemod 'dockerfile-add-to-cpy' (did you mean 'dockerfile-add-to-copy'?); it suppresses nothing");
  });

  it('--report-unused-ignores reports directives that suppressed nothing (check counts them as warnings); used ones are not', async () => {
    const text = 'FROM node:20\n# harden-ignore dockerfile-add-to-copy\nRUN echo hi\n# harden-ignore dockerfile-add-to-copy vendored\nADD x.txt /x\n';
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: text });
    const quiet = await hardenInProcess(['check', ...only, '.'], { cwd });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('unused');
    const r = await hardenInProcess(['check', ...only, '--report-unused-ignores', '.'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr.match(/warning: unused harden-ignore/g)).toHaveLength(1);
    expect(r.stderr).toContain('Dockerfile:2:1: warning: unused harden-ignore for dockerfile-add-to-copy: nothing was suppressed');
    expect((await hardenInProcess(['check', ...only, '--report-unused-ignores', '--fail-on', 'error', '.'], { cwd })).code).toBe(0);
    const fix = await hardenInProcess(['fix', ...only, '--report-unused-ignores', '.'], { cwd });
    expect(fix.stderr).toContain('Dockerfile:2:1: warning: unused harden-ignore');
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(text);
  });
});
