// Shared by the hand-run trimming scripts of the Debian and Ubuntu index fixtures (never run by the tests).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** Keep the stanzas (byte-identical, in file order) of `src/file` whose Package field is in `names`. */
export function trim(src, file, names) {
  const wanted = new Set(names);
  const text = readFileSync(join(src, file), 'utf8');
  const kept = text.split('\n\n').filter((s) => wanted.has(/^Package: (\S+)$/m.exec(s)?.[1] ?? ''));
  return kept.map((s) => `${s.replace(/\n+$/, '')}\n`).join('\n');
}

/** The real Release header (everything before the first checksum section) of a clear-signed InRelease in `src`. */
export function releaseHeader(src, inRelease) {
  const text = readFileSync(join(src, inRelease), 'utf8');
  const body = text.split('\n\n').slice(1).join('\n\n');
  const lines = [];
  for (const line of body.split('\n')) {
    if (/^(MD5Sum|SHA1|SHA256|SHA512):/.test(line)) break;
    lines.push(line);
  }
  return lines.join('\n');
}

/** A writer of files under `out` that returns what it wrote. */
export function writerUnder(out) {
  return (rel, data) => {
    const p = join(out, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
    return data;
  };
}
