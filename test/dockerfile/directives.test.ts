import { describe, expect, it } from 'vitest';
import { frontendAtLeast16, parserDirectives } from '../../src/dockerfile/directives.js';
import { syntaxSupportsSecretEnv } from '../../src/secrets/dockerfile.js';

describe('parserDirectives', () => {
  it('reads known directives at the very top, with blanks and any case, CRLF too', () => {
    const text = '#  Syntax = docker/dockerfile:1.7 \r\n#escape=`\r\n# check=skip=all\r\nFROM x\r\n';
    expect(parserDirectives(text).map((d) => [d.key, d.value, text.slice(d.valueRange.start, d.valueRange.end)])).toEqual([
      ['syntax', 'docker/dockerfile:1.7', 'docker/dockerfile:1.7'],
      ['escape', '`', '`'],
      ['check', 'skip=all', 'skip=all'],
    ]);
  });

  it('stops at a blank line, a plain comment, an unknown directive or a repeated one', () => {
    expect(parserDirectives('\n# syntax=docker/dockerfile:1\n')).toEqual([]);
    expect(parserDirectives('# a comment\n# syntax=docker/dockerfile:1\n')).toEqual([]);
    expect(parserDirectives('# foo=bar\n# syntax=docker/dockerfile:1\n')).toEqual([]);
    expect(parserDirectives('# escape=`\n# escape=\\\n').map((d) => d.value)).toEqual(['`']);
    expect(parserDirectives('FROM x\n# syntax=docker/dockerfile:1\n')).toEqual([]);
  });
});

describe('frontendAtLeast16', () => {
  it.each([
    ['docker/dockerfile:1', true],
    ['docker/dockerfile', true],
    ['docker.io/docker/dockerfile:1.6', true],
    ['docker/dockerfile:1.7-labs', true],
    ['docker/dockerfile:1.10.0', true],
    ['docker/dockerfile:labs', true],
    ['docker/dockerfile-upstream:master', true],
    ['docker/dockerfile:1.6@sha256:' + 'a'.repeat(64), true],
    ['docker/dockerfile:1.5', false],
    ['docker/dockerfile:1.4.3-labs', false],
    ['docker/dockerfile:0.9', false],
    ['docker/dockerfile@sha256:' + 'a'.repeat(64), false],
    ['example.com/my/frontend:1', false],
    ['index.docker.io/docker/dockerfile:1.6', true],
    ['registry-1.docker.io/docker/dockerfile-upstream:1.7', true],
    ['localhost:5000/docker/dockerfile:1', false],
    ['docker/dockerfile:1.6.0-rc1', false],
  ])('%s → %s', (value, ok) => {
    expect(frontendAtLeast16(value).ok).toBe(ok);
  });
});

describe('syntaxSupportsSecretEnv: the same frontend reading, for 1.10', () => {
  it.each([
    ['docker/dockerfile:1', true],
    ['docker/dockerfile', true],
    ['docker/dockerfile:1.10', true],
    ['docker/dockerfile:1.10.0-labs', true],
    ['docker.io/docker/dockerfile:1.11', true],
    ['index.docker.io/docker/dockerfile:1-labs', true],
    ['docker/dockerfile:master', true],
    ['docker/dockerfile:2', true],
    ['docker/dockerfile:1.9', false],
    ['docker/dockerfile:1.4', false],
    ['docker/dockerfile@sha256:' + 'a'.repeat(64), false],
    ['example.com/frontend:1.10', false],
  ])('%s → %s', (value, ok) => {
    expect(syntaxSupportsSecretEnv(value)).toBe(ok);
  });
});
