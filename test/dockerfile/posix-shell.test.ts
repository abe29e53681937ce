/** posixShellAt: a shell-form RUN runs under a POSIX shell unless SHELL names another or the stage's base is Windows. */
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/engine/parse.js';
import { posixShellAt, staged } from '../../src/dockerfile/instructions.js';

function runs(text: string): boolean[] {
  const file = parseDockerfile('Dockerfile', undefined, text);
  const sf = staged(file);
  return sf.all.filter((i) => i.kw === 'RUN').map((i) => posixShellAt(file, sf, i));
}

describe('posixShellAt', () => {
  it('is false on Windows bases (by name or tag), through FROM <stage> chains', () => {
    expect(runs('FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir\n')).toEqual([false]);
    expect(runs('FROM mcr.microsoft.com/powershell:lts-nanoserver-1809 AS w\nRUN dir\nFROM w\nRUN dir\n')).toEqual([false, false]);
    expect(runs('FROM example/app:WindowsServerCore-ltsc2019\nRUN dir\n')).toEqual([false]);
    expect(runs('ARG BASE=mcr.microsoft.com/windows/nanoserver:ltsc2022\nFROM $BASE\nRUN dir\n')).toEqual([false]);
  });

  it('is true on other bases unless SHELL names a non-POSIX shell', () => {
    expect(runs('FROM alpine:3.19\nRUN ls\nFROM debian AS d\nRUN ls\nSHELL ["powershell", "-c"]\nRUN ls\nSHELL ["/bin/bash", "-c"]\nRUN ls\n')).toEqual([true, true, false, true]);
    expect(runs('FROM ${UNSET}\nRUN ls\nFROM scratch\nRUN ls\n')).toEqual([true, true]);
  });
});
