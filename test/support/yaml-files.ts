/** The YAML files of the project's fixtures, examples and test data, and the corpus's compose files when present, for
 * tests that compare a patched library with the real one. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from './compose-schema.js';

export function yamlFiles(): string[] {
  const root = join(import.meta.dirname, '..', '..');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/i.test(e.name)) files.push(p);
    }
  };
  ['fixtures', 'examples', 'test/fixtures-data'].map((d) => join(root, d)).filter(existsSync).forEach(walk);
  const corpus = join(CORPUS, 'compose');
  if (existsSync(corpus)) files.push(...readdirSync(corpus).map((n) => join(corpus, n)));
  return files;
}
