/**
 * The bundle's linear duplicate-key check (scripts/yaml-unique-keys.mjs) answers as yaml's `mapIncludes`: replayed
 * key by key over every mapping of every compose fixture and corpus file and over generated keys (numbers and their
 * strings, NaN, ±0, null, booleans, merge keys, collections as keys, one node twice), with `uniqueKeys` true, false and
 * a function; and, after `npm run build`, dist's yaml reports the same duplicate-key errors as the installed one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, parseAllDocuments, Scalar, visit, YAMLMap, type YAMLError } from 'yaml';
import { SCAN_BELOW, UNIQUE_KEYS_SOURCE, uniqueKeysFor, YAML_UNIQUE_KEYS } from '../../scripts/yaml-unique-keys.mjs';
import { yamlFiles } from '../support/yaml-files.js';
import { rng as random } from '../support/dockerfiles.js';

const ROOT = join(import.meta.dirname, '..', '..');
const YAML_DIR = dirname(createRequire(import.meta.url).resolve('yaml/package.json'));
const FILE = join(YAML_DIR, YAML_UNIQUE_KEYS.file);

type MapIncludes = (ctx: { options: { uniqueKeys?: unknown } }, items: readonly { key: unknown }[], search: unknown) => boolean;
const lib = (createRequire(FILE)('./util-map-includes.js') as { mapIncludes: MapIncludes }).mapIncludes;
const linear = ((): MapIncludes => {
  const module = { exports: {} as { mapIncludes?: MapIncludes } };
  const fn = new Function('exports', 'require', 'module', UNIQUE_KEYS_SOURCE) as (...a: unknown[]) => void;
  fn(module.exports, createRequire(FILE), module);
  return module.exports.mapIncludes!;
})();

const OPTIONS: { label: string; uniqueKeys: unknown }[] = [
  { label: 'true', uniqueKeys: true },
  { label: 'false', uniqueKeys: false },
  { label: 'a function', uniqueKeys: (a: unknown, b: unknown) => a instanceof Scalar && b instanceof Scalar && String(a.value) === String(b.value) },
];

/** Adds keys one by one, as the composer does, asking both checks before each. */
function replay(keys: readonly unknown[], label: string): number {
  let dups = 0;
  for (const { uniqueKeys, label: opt } of OPTIONS) {
    const ctx = { options: { uniqueKeys } };
    const a: { key: unknown }[] = [];
    const b: { key: unknown }[] = [];
    keys.forEach((key, i) => {
      const want = lib(ctx, a, key);
      expect(linear(ctx, b, key), `${label}, uniqueKeys ${opt}, key ${i}`).toBe(want);
      if (want && uniqueKeys === true) dups++;
      a.push({ key });
      b.push({ key });
    });
  }
  return dups;
}



describe('linear duplicate-key check (the bundle)', () => {
  it('replaces the installed yaml file (a new version needs its util-map-includes.js reviewed, and its hash entered)', () => {
    const text = readFileSync(FILE, 'utf8');
    expect(uniqueKeysFor(text).reason).toBeUndefined();
    expect(uniqueKeysFor(`${text}\n`).reason).toMatch(/not the version/);
  });

  it('answers as the library for every mapping of every compose fixture, example and corpus file', () => {
    const files = yamlFiles();
    expect(files.length).toBeGreaterThan(20);
    let maps = 0;
    let long = 0;
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(f, 'utf8'), { uniqueKeys: false })) {
        visit(doc, {
          Map(_, map) {
            maps++;
            if (map.items.length >= SCAN_BELOW) long++;
            replay(map.items.map((p) => p.key), f);
          },
        });
      }
    }
    expect(long).toBeGreaterThan(100);
    expect(maps).toBeGreaterThan(1000);
  });

  it('answers as the library for generated keys, long and short mappings, duplicates among them', () => {
    const rnd = random(5);
    const shared = new Scalar('same node');
    const merge = (): Scalar => new Scalar(Symbol('<<'));
    const pool = (): unknown => {
      const kinds: (() => unknown)[] = [
        () => new Scalar(Math.floor(rnd() * 40)),
        () => new Scalar(String(Math.floor(rnd() * 40))),
        () => new Scalar(`k${Math.floor(rnd() * 60)}`),
        () => new Scalar(Number.NaN),
        () => new Scalar(rnd() < 0.5 ? 0 : -0),
        () => new Scalar(null),
        () => new Scalar(rnd() < 0.5),
        merge,
        () => shared,
        () => new YAMLMap(),
        () => null,
        () => Number.NaN,
      ];
      return kinds[Math.floor(rnd() * kinds.length)]!();
    };
    let dups = 0;
    for (let n = 0; n < 400; n++) {
      const len = Math.floor(rnd() * 60);
      dups += replay(Array.from({ length: len }, pool), `sequence ${n}`);
    }
    expect(dups).toBeGreaterThan(1000);
  });

  it('rebuilds its index for an array that shrank or whose last key changed', () => {
    const ctx = { options: { uniqueKeys: true } };
    const keys = Array.from({ length: 20 }, (_, i) => new Scalar(`k${i}`));
    const items = keys.map((key) => ({ key }));
    expect(linear(ctx, items, new Scalar('k3'))).toBe(true);
    items.length = 10;
    expect(linear(ctx, items, new Scalar('k15'))).toBe(lib(ctx, items, new Scalar('k15')));
    for (let i = 10; i < 20; i++) items.push({ key: new Scalar(`j${i}`) });
    items[19] = { key: new Scalar('z') };
    expect(linear(ctx, items, new Scalar('j19'))).toBe(lib(ctx, items, new Scalar('j19')));
    expect(linear(ctx, items, new Scalar('z'))).toBe(true);
  });

  it.skipIf(!existsSync(join(ROOT, 'dist', 'vendor', 'yaml.js')))('gives the library errors in the built bundle (after npm run build)', async () => {
    const bundle = (await import(join(ROOT, 'dist', 'vendor', 'yaml.js'))) as { parseAllDocuments: typeof parseAllDocuments; isMap: typeof isMap };
    const keys = ['a', 'b', '1', '"1"', '1.0', '.nan', '.NaN', '0', '-0', '~', 'null', '""', 'true', 'True', '<<', '[x]', '{y: 1}', '? z'];
    const rnd = random(9);
    const texts: string[] = [];
    for (let n = 0; n < 60; n++) {
      const len = 1 + Math.floor(rnd() * 40);
      const ks = Array.from({ length: len }, () => keys[Math.floor(rnd() * keys.length)]!);
      texts.push(ks.map((k) => (k.startsWith('?') ? `${k}\n: v\n` : `${k}: v\n`)).join(''));
      texts.push(`{${ks.filter((k) => !k.startsWith('?')).map((k) => `${k}: v`).join(', ')}}\n`);
      texts.push(`s:\n${ks.map((k) => `  ${k.startsWith('?') ? 'q' : k}: {a: 1}`).join('\n')}\n`);
    }
    texts.push(`services:\n${Array.from({ length: 3000 }, (_, i) => `  s${i % 2999}:\n    image: x\n`).join('')}`);
    let errors = 0;
    for (const text of texts) {
      for (const options of [{ uniqueKeys: true, merge: true }, {}]) {
        const problems = (docs: unknown): unknown =>
          Array.from(docs as { errors: YAMLError[]; warnings: YAMLError[] }[], (d) => [...d.errors, ...d.warnings].map((e) => [e.code, e.message, e.pos, e.linePos]));
        const want = problems(parseAllDocuments(text, options));
        expect(problems(bundle.parseAllDocuments(text, options)), text).toEqual(want);
        errors += JSON.stringify(want).split('DUPLICATE_KEY').length - 1;
      }
    }
    expect(errors).toBeGreaterThan(100);
  });
});
