/**
 * The layering of src/: its top-level folders (engine, compose, dockerfile, images, resolvers, …) form a directed
 * acyclic graph of imports. A cycle between two folders means neither can be read, tested or replaced without the
 * other (pinning once had its own compose reader because images and compose imported each other).
 *
 * Imports are read with a regular expression over the sources (static `import … from`, `export … from`, side-effect
 * `import '…'` and dynamic `import('…')`), type-only imports included: a type cycle is still a cycle of concepts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(?:ts|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:\bimport|\bexport)\s+(?:type\s+)?(?:[\w*${}\s,]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative module specifiers imported by a source text (comments removed first). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '').filter((s) => s.startsWith('.'));
}

/** The top-level folder of a file under src/ ('.' for src/ itself). */
const folderOf = (file: string): string => {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? (parts[0] as string) : '.';
};

type Graph = Map<string, Map<string, string[]>>;

/** Folder → folder → the imports (as `file → specifier`) making that edge. Files directly in src/ are left out. */
function folderGraph(): Graph {
  const g: Graph = new Map();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (from === '.') continue;
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + sep)) continue;
      const to = folderOf(target);
      if (to === from || to === '.') continue;
      const edges = g.get(from) ?? new Map<string, string[]>();
      g.set(from, edges);
      edges.set(to, [...(edges.get(to) ?? []), `${relative(SRC, file)} → ${spec}`]);
    }
  }
  return g;
}

/** Every elementary cycle found by a depth-first search, each as its folder path (first folder repeated at the end). */
export function cycles(edges: ReadonlyMap<string, Iterable<string>>): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  const nodes = [...edges.keys()].sort();
  for (const start of nodes) {
    const stack: string[] = [start];
    const visit = (n: string): void => {
      for (const next of [...(edges.get(n) ?? [])].sort()) {
        if (next === start) {
          const key = [...stack].sort().join(',');
          if (!seen.has(key)) {
            seen.add(key);
            out.push([...stack, start]);
          }
        } else if (!stack.includes(next) && next > start) {
          stack.push(next);
          visit(next);
          stack.pop();
        }
      }
    };
    visit(start);
  }
  return out;
}

describe('architecture', () => {
  it('finds cycles in a graph (the check itself works)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
    expect(importsOf("import type { X } from '../a/x.js';\nexport * from './y.js';\nconst m = await import('../b/z.js');\n// import '../c/no.js'\nimport 'node:fs';"))
      .toEqual(['../a/x.js', './y.js', '../b/z.js']);
  });

  it('has no import cycle between the top-level folders of src/', () => {
    const g = folderGraph();
    expect(g.size).toBeGreaterThan(5);
    const found = cycles(new Map([...g].map(([k, v]) => [k, [...v.keys()]])));
    const explain = found.map((c) =>
      c
        .slice(1)
        .map((to, i) => `${c[i]} → ${to} (${(g.get(c[i] as string)?.get(to) ?? []).slice(0, 3).join('; ')})`)
        .join('\n  '),
    );
    expect(explain).toEqual([]);
  });
});
