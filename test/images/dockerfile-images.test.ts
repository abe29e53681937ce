import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/engine/parse.js';
import { argDecls, imageRefs, parseWord, stageBaseImage } from '../../src/dockerfile/images.js';
import { findStage, parseStages, rootBase, stageAt } from '../../src/dockerfile/stages.js';

const df = (text: string) => parseDockerfile('Dockerfile', '/x/Dockerfile', text);
const at = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('parseStages', () => {
  it('names, case-insensitive stage refs, shadowing and chains', () => {
    const t = 'FROM node AS node\nFROM NODE AS Build\nFROM build\nFROM scratch AS s\nFROM s\n';
    const f = df(t);
    const st = parseStages(f.ast, f.lineStarts, t.length);
    expect(st.map((s) => s.base)).toEqual([
      { kind: 'image', raw: 'node' },
      { kind: 'stage', stage: 0 },
      { kind: 'stage', stage: 1 },
      { kind: 'scratch' },
      { kind: 'stage', stage: 3 },
    ]);
    expect(rootBase(st, 2)).toEqual({ kind: 'image', raw: 'node', stage: 0 });
    expect(rootBase(st, 4)).toEqual({ kind: 'scratch', stage: 3 });
    expect(findStage(st, 'BUILD')?.index).toBe(1);
    expect(findStage(st, 'build', 1)).toBeUndefined();
    expect(stageAt(st, 0)).toBe(0);
    expect(st[1]?.range.start).toBe(t.indexOf('FROM NODE'));
  });
  it('a later stage does not shadow an image in an earlier FROM', () => {
    const f = df('FROM alpine\nFROM debian AS alpine\n');
    expect(parseStages(f.ast, f.lineStarts)[0]?.base).toEqual({ kind: 'image', raw: 'alpine' });
  });
});

describe('parseWord', () => {
  it('splits text and variables with modifiers', () => {
    expect(parseWord('a:${B:-x:1}', 10)).toEqual([
      { kind: 'text', text: 'a:', start: 10, end: 12 },
      { kind: 'var', name: 'B', modifier: ':-', word: 'x:1', wordStart: 17, start: 12, end: 21 },
    ]);
    expect(parseWord('$A/b')?.map((s) => s.kind)).toEqual(['var', 'text']);
    expect(parseWord('${A')).toBeUndefined();
    expect(parseWord('a\\b')).toBeUndefined();
  });
});

describe('imageRefs', () => {
  it('finds every site with exact ranges', () => {
    const t = [
      '# syntax=docker/dockerfile:1',
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
      'COPY --chown=1 --from=nginx:1.25 /a /b',
      'COPY --from=build /a /b',
      'COPY --from=0 /a /b',
      'RUN --mount=type=cache,target=/c --mount=type=bind,from=alpine:3,target=/x true',
      'ONBUILD COPY --from=busybox:1 /a /b',
      'ONBUILD COPY --from=childstage /a /b',
      'FROM --platform=linux/arm64 build',
      '',
    ].join('\n');
    const refs = imageRefs(df(t));
    expect(refs.map((r) => [r.site, at(t, r.range), r.skip ?? '', r.onbuild])).toEqual([
      ['syntax', 'docker/dockerfile:1', '', false],
      ['from', 'golang:1.22', '', false],
      ['copy-from', 'nginx:1.25', '', false],
      ['copy-from', 'build', 'stage', false],
      ['copy-from', '0', 'stage-index', false],
      ['mount-from', 'alpine:3', '', false],
      ['copy-from', 'busybox:1', '', true],
      ['copy-from', 'childstage', 'stage', true],
      ['from', 'build', 'stage', false],
    ]);
    expect(refs[1]?.platform).toMatchObject({ raw: '$BUILDPLATFORM', literal: false });
    expect(refs[8]?.platform).toMatchObject({ raw: 'linux/arm64', literal: true });
  });

  it('resolves one-ARG references to an editable region and refuses composites', () => {
    const t = 'ARG BASE=node:20\nARG TAG="1.25"\nARG A=1\nFROM ${BASE}\nFROM nginx:${TAG}\nFROM x:${A}-${A}\nFROM ${NOPE:-redis:7}\nFROM $REG/x\n';
    const f = df(t);
    const res = imageRefs(f).map((r) => r.resolution);
    expect(res[0]).toMatchObject({ kind: 'resolved', ref: 'node:20', region: { kind: 'arg-default', prefix: '', text: 'node:20' } });
    expect(res[1]).toMatchObject({ kind: 'resolved', ref: 'nginx:1.25', region: { kind: 'arg-default', prefix: 'nginx:', text: '1.25' } });
    if (res[1]?.kind === 'resolved') expect(at(t, res[1].region!.range)).toBe('1.25');
    expect(res[2]).toMatchObject({ kind: 'unresolved', reason: expect.stringContaining('several variables') });
    expect(res[3]).toMatchObject({ kind: 'resolved', ref: 'redis:7', region: { kind: 'modifier-default' } });
    expect(res[4]).toMatchObject({ kind: 'unresolved' });
  });

  it('build-arg overrides replace defaults and leave no region', () => {
    const f = df('ARG BASE=node:20\nFROM ${BASE}\n');
    expect(imageRefs(f, { buildArgs: new Map([['BASE', 'node:22']]) })[0]?.resolution).toEqual({
      kind: 'resolved', ref: 'node:22', args: ['BASE'], overridden: 'node:22',
    });
  });

  it('a stage-local ARG does not apply to FROM; an ARG may expand to a stage name', () => {
    const f = df('ARG S=build\nFROM alpine AS build\nARG L=x:1\nFROM ${L}\nFROM ${S}\n');
    const refs = imageRefs(f);
    expect(refs[1]?.resolution).toMatchObject({ kind: 'unresolved', reason: expect.stringContaining('inside a stage') });
    expect(refs[2]).toMatchObject({ skip: 'stage', stageRef: 0 });
  });

  it('refuses a tag ARG whose default also flows into a stage', () => {
    const f = df('ARG V=20\nFROM node:${V}\nARG V\nRUN echo $V\n');
    expect(imageRefs(f)[0]?.resolution.kind).toBe('unresolved');
  });

  it('argDecls: quoted defaults give the inner range', () => {
    const t = 'ARG A="x:1" B=y C\nFROM z\nARG D=1\n';
    const d = argDecls(df(t));
    expect(d.map((x) => [x.name, x.stage, x.value, x.valueRange ? at(t, x.valueRange) : null])).toEqual([
      ['A', -1, 'x:1', 'x:1'],
      ['B', -1, 'y', 'y'],
      ['C', -1, undefined, null],
      ['D', 0, '1', '1'],
    ]);
  });
});

describe('stageBaseImage', () => {
  it('follows FROM <stage> chains and expands ARGs', () => {
    const f = df('ARG BASE=debian:12\nFROM ${BASE} AS base\nFROM base AS build\nFROM build\nFROM scratch\nFROM x:${A}-${B}\n');
    expect(stageBaseImage(f, 2)).toEqual({ kind: 'image', ref: 'debian:12', stage: 0 });
    expect(stageBaseImage(f, 3)).toEqual({ kind: 'scratch' });
    expect(stageBaseImage(f, 4)).toMatchObject({ kind: 'unknown' });
  });

  it('reads a reference composed of ARGs and text (not editable as one ARG, but its value is known)', () => {
    const f = df('ARG PY=3.11\nARG VARIANT\nARG REG=ghcr.io\nFROM python:${PY}-slim\nFROM ${REG}/team/app:${TAG:-1.0}\nFROM python:${PY}-${VARIANT}\nFROM x:${BUILDPLATFORM}\n');
    expect(stageBaseImage(f, 0)).toEqual({ kind: 'image', ref: 'python:3.11-slim', stage: 0 });
    expect(stageBaseImage(f, 1)).toEqual({ kind: 'image', ref: 'ghcr.io/team/app:1.0', stage: 1 });
    expect(stageBaseImage(f, 2)).toMatchObject({ kind: 'unknown' }); // VARIANT has no default
    expect(stageBaseImage(f, 3)).toMatchObject({ kind: 'unknown' }); // set by the builder
    // compose build.args (or --build-arg) win over the defaults
    expect(stageBaseImage(f, 0, { buildArgs: new Map([['PY', '3.12']]) })).toEqual({ kind: 'image', ref: 'python:3.12-slim', stage: 0 });
  });
});
