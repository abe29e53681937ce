// First step of `npm run build`: removes dist/, so a file an older build emitted (a module since renamed or
// deleted, a source map) cannot be packed with the new one.
import { rmSync } from 'node:fs';
import { join } from 'node:path';

rmSync(join(import.meta.dirname, '..', 'dist'), { recursive: true, force: true });
