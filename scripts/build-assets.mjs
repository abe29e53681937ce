// Part of `npm run build`: copies the one file harden needs from tree-sitter-bash (a devDependency: its sources,
// native bindings and prebuilds are not needed) into dist/grammars/, with the grammar's MIT license; removes source
// maps an earlier build left in dist/ (the build emits none: they would point at sources the package does not ship).
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const wasm = require.resolve('tree-sitter-bash/tree-sitter-bash.wasm');
const out = join(import.meta.dirname, '..', 'dist', 'grammars');
mkdirSync(out, { recursive: true });
copyFileSync(wasm, join(out, 'tree-sitter-bash.wasm'));
copyFileSync(join(dirname(wasm), 'LICENSE'), join(out, 'tree-sitter-bash.LICENSE'));

for (const e of readdirSync(join(import.meta.dirname, '..', 'dist'), { recursive: true, withFileTypes: true })) {
  if (e.isFile() && e.name.endsWith('.map')) rmSync(join(e.parentPath, e.name));
}
