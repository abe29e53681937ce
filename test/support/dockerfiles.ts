/** The Dockerfiles of the project's fixtures and examples (every file whose name says dockerfile), for tests that
 * compare a patched library with the real one. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function fixtureDockerfiles(): string[] {
  const roots = ['fixtures', 'examples'].map((d) => join(import.meta.dirname, '..', '..', d));
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/dockerfile/i.test(e.name)) files.push(p);
    }
  };
  roots.forEach(walk);
  return files;
}

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  ' ', ' ', '\t', '\n', '\r\n', '\r', '\\', '\\\n', '\\\r\n', '\\\r', '\\ \n', '\\\t\r\n', '\\ x', '\\  \\', '\\ \t', '`', '`\n', '` \n', '` y',
  '#', '# c\n', '\\\n# c\n', '\\\n  # c \\\n', '\\\n#', '$', '\\$', 'a', 'bc', '"', "'", '<<EOF\nx\nEOF\n', '<<-E\n\tx\n\tE\n', '<<', '[', ']', ',', '=',
  'RUN', '--mount=type=cache,target=/x', '--network=none ', '["sh", "-c", "a && b"]', '[ "x" , \\\n "y" ]', '[]', '["a\\"b", "c\\\\"]', '"\\\n"',
];
const KEYWORDS = ['RUN', 'RUN', 'run', 'CMD', 'COPY', 'ENV', 'ARG', 'FROM', 'ONBUILD RUN', 'HEALTHCHECK CMD', 'SHELL', 'ENTRYPOINT', 'USER', 'R\\\nUN', 'RUN\\', '#', ''];

/** A random Dockerfile-like text full of escapes, line continuations, comments inside them, CRs, heredocs and JSON. */
export function generatedDockerfile(seed: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  let text = r() < 0.2 ? pick(['# escape=`\n', '# escape=\\\n', '# syntax=x\n# escape=`\r\n', '\uFEFF']) : '';
  const lines = 1 + Math.floor(r() * 6);
  for (let l = 0; l < lines; l++) {
    text += `${pick(KEYWORDS)}${pick([' ', '\t', '', '\n'])}`;
    const len = Math.floor(r() * 25);
    for (let k = 0; k < len; k++) text += pick(PIECES);
    if (r() < 0.8) text += pick(['\n', '\r\n', '\r', '\n\n']);
  }
  return text;
}
