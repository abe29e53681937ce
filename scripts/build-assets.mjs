// Part of `npm run build`: copies the one file harden needs from tree-sitter-bash (a devDependency: its sources,
// native bindings and prebuilds are not needed) into dist/grammars/, with the grammar's MIT license. (dist/ was
// emptied by scripts/clean-dist.mjs first; the build emits no source maps.)
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const wasm = require.resolve('tree-sitter-bash/tree-sitter-bash.wasm');
const out = join(import.meta.dirname, '..', 'dist', 'grammars');
mkdirSync(out, { recursive: true });
copyFileSync(wasm, join(out, 'tree-sitter-bash.wasm'));
copyFileSync(join(dirname(wasm), 'LICENSE'), join(out, 'tree-sitter-bash.LICENSE'));

