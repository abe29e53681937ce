/**
 * The fast tree reader (web-tree-sitter's WASM cursor functions called directly, src/shell/tree-read.ts) against the
 * public-API reader: the same tree for every RUN script of the corpus, and the fallback when the internals it relies
 * on are missing or wrong. Rerun this after any upgrade of web-tree-sitter.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '../../src/dockerfile/run-script.js';
import { parseDockerfile } from '../../src/engine/parse.js';
import { loadShell, parseScript } from '../../src/shell/index.js';
import { fastReaderFallbackReason, getParser } from '../../src/shell/load.js';
import { FAST_READER_FUNCTIONS, enableFastReader, fastReaderEnabled, readTree, readTreePublic, sameTree, useFastReader } from '../../src/shell/tree-read.js';
import { ShellLimitError, type ShellNode, type ShellScript, type SimpleCommand } from '../../src/shell/types.js';
import { CORPUS } from '../support/compose-schema.js';

const DOCKERFILES = join(CORPUS, 'dockerfiles');
const present = existsSync(DOCKERFILES);
if (!present) console.warn('tree reader corpus comparison skipped: ../shared/corpus/dockerfiles is absent');

beforeAll(async () => {
  await loadShell();
});

/** Every RUN script of the corpus Dockerfiles, as the project's Dockerfile parsing hands them to the shell. */
function corpusScripts(): string[] {
  const out: string[] = [];
  for (const name of readdirSync(DOCKERFILES).sort()) {
    const text = readFileSync(join(DOCKERFILES, name), 'utf8');
    let file;
    try {
      file = parseDockerfile(name, undefined, text);
    } catch {
      continue;
    }
    for (const ins of file.ast.getInstructions()) {
      const rs = runScript(file, ins);
      if (rs) out.push(rs.script);
    }
  }
  return out;
}

/** A parse as comparable data, or the error thrown. */
function shape(text: string): string {
  let s: ShellScript;
  try {
    s = parseScript(text);
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
  // Each node once, under its field; `children`, `commands` and a pipeline's back-reference as the list of extents
  // they hold (written out in full, shared subtrees would double at every level).
  const ref = (n: ShellNode) => `${n.kind}@${n.range.start}-${n.range.end}`;
  return JSON.stringify(s, (k, v: unknown) => {
    if (k === 'parent') return undefined;
    if (k === 'children' || k === 'commands') return (v as ShellNode[]).map(ref);
    if (k === 'pipeline') {
      const p = v as NonNullable<SimpleCommand['pipeline']>;
      return { node: ref(p.node), index: p.index, length: p.length, commands: p.commands.map(ref) };
    }
    return v;
  });
}

const NON_ASCII = [
  'echo "héllo wörld 🐳" && apt-get install -y curl="7.*" || exit 1',
  'A="日本語" B=ü; [ "$A" = "日本語" ] && echo "${B:-ö}" $(printf "✓ %s" "é") | tee /tmp/ä',
  'cat <<EOF > /etc/motd && echo ok\nWillkommen, ünïcødé 🐳 $(hostname)\nEOF\necho "después"',
];

describe('fast tree reader', () => {
  it('is used: web-tree-sitter passed the checks', () => {
    expect(fastReaderFallbackReason()).toBeNull();
    expect(fastReaderEnabled()).toBe(true);
  });

  it.skipIf(!present)('reads every RUN script of the corpus exactly as the public API does', () => {
    const scripts = [...corpusScripts(), ...NON_ASCII];
    expect(scripts.length).toBeGreaterThan(1000);
    let differences = 0;
    for (const text of scripts) {
      const tree = getParser().parse(text);
      if (!tree) throw new Error('no tree');
      try {
        const diff = sameTree(readTreePublic(tree, text), readTree(tree, text));
        if (diff && differences++ < 5) expect.soft(diff, text.slice(0, 200)).toBeNull();
      } finally {
        tree.delete();
      }
      useFastReader(false);
      const slow = shape(text);
      useFastReader(true);
      const fast = shape(text);
      if (fast !== slow && differences++ < 5) expect.soft(fast, text.slice(0, 200)).toBe(slow);
    }
    expect(differences).toBe(0);
  });

  it('keeps offsets in UTF-16 code units for non-ASCII RUN lines', () => {
    const text = `FROM debian\nRUN echo "héllo 🐳 wörld" && apt-get install -y cürl \\\n    && echo "日本" > /tmp/ä\n`;
    const file = parseDockerfile('Dockerfile', undefined, text);
    const ins = file.ast.getInstructions()[1];
    const rs = ins && runScript(file, ins);
    if (!rs) throw new Error('no RUN script');
    const s = parseScript(rs.script);
    expect(s.commands.map((c) => [c.name?.value, ...c.args.map((a) => a.value)])).toEqual([
      ['echo', 'héllo 🐳 wörld'],
      ['apt-get', 'install', '-y', 'cürl'],
      ['echo', '日本'],
    ]);
    const words = s.commands.flatMap((c) => [c.name, ...c.args, ...c.redirects.map((r) => r.target)]).filter((w) => w !== null);
    for (const w of words) expect(rs.script.slice(w.range.start, w.range.end)).toBe(w.raw);
    const target = s.commands[2]?.redirects[0]?.target;
    if (!target) throw new Error('no redirect');
    const r = rs.toFileRange(target.range);
    expect(text.slice(r.start, r.end)).toBe('/tmp/ä');
    for (const t of NON_ASCII) {
      useFastReader(false);
      const slow = shape(t);
      useFastReader(true);
      expect(shape(t)).toBe(slow);
    }
  });

  it('stops at the same depth as the public API, inside tests and heredoc bodies too', () => {
    const deep = [
      `${'echo $('.repeat(300)}x${')'.repeat(300)}`,
      `[[ ${'( '.repeat(300)}x${' )'.repeat(300)} ]]`,
      `echo "${'$(echo "'.repeat(150)}"${'")'.repeat(150)}`,
    ];
    for (const text of deep) {
      const tree = getParser().parse(text);
      if (!tree) throw new Error('no tree');
      try {
        const want = readTreePublic(tree, text);
        expect(sameTree(want, readTree(tree, text))).toBeNull();
      } finally {
        tree.delete();
      }
      useFastReader(false);
      const slow = shape(text);
      useFastReader(true);
      expect(shape(text)).toBe(slow);
    }
    expect(() => parseScript(deep[0] as string)).toThrow(ShellLimitError);
  });
});

describe('fallback to the public API', () => {
  // What the module's JS reports at init (any pair: the fake modules below are built to hold it, or not).
  const versions = { language: 15, minCompatible: 13 };
  const sample = ['echo "a" && b | c'];

  it('is taken when the module lacks the functions, or they do not read the sample as the public API does', () => {
    const before = [...NON_ASCII, 'set -e; for x in 1 2; do [ -f "$x" ] && cat <<EOF; done\nb\nEOF', 'echo "unterminated $('].map(shape);
    // web-tree-sitter initialised without the object harden gives it (or a version without these exports).
    expect(enableFastReader({}, versions, getParser(), sample)).toMatch(/has no _ts_init/);
    expect(fastReaderEnabled()).toBe(false);
    // Functions of the expected names that do something else: caught by the sample comparison, not trusted.
    const heap = new Int32Array(64);
    heap[4] = versions.language;
    heap[5] = versions.minCompatible;
    const liar: Record<string, unknown> = { HEAP32: heap, _ts_init: () => 16 };
    for (const f of FAST_READER_FUNCTIONS.filter((name) => name !== '_ts_init')) {
      liar[f] = () => 0;
    }
    expect(enableFastReader(liar, versions, getParser(), sample)).toMatch(/differs from the public API/);
    expect(fastReaderEnabled()).toBe(false);
    // A transfer buffer without the language versions: not the layout expected.
    expect(enableFastReader({ ...liar, _ts_init: () => 32 }, versions, getParser(), sample)).toMatch(/language versions/);
    // Parses still work, through the public API, with the same trees.
    expect([...NON_ASCII, 'set -e; for x in 1 2; do [ -f "$x" ] && cat <<EOF; done\nb\nEOF', 'echo "unterminated $('].map(shape)).toEqual(before);
  });
});
