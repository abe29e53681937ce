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
