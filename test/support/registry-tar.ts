/** Tiny deterministic tar(.gz) writer for test layers: files, directories, symlinks, whiteouts. */
import { gzipSync } from 'node:zlib';

export type TarSpec = Record<string, string | { symlink: string } | { dir: true } | { hardlink: string }>;

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, '0') + '\0';
}

function header(name: string, size: number, type: string, linkname = '', mode = 0o644): Buffer {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(name) > 100) throw new Error(`test tar: name too long: ${name}`);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** A ustar archive of the entries, in the given order. */
export function tar(spec: TarSpec): Buffer {
  const parts: Buffer[] = [];
  for (const [name, v] of Object.entries(spec)) {
    if (typeof v === 'string') {
      const body = Buffer.from(v, 'utf8');
      parts.push(header(name, body.length, '0'), body, Buffer.alloc((512 - (body.length % 512)) % 512));
    } else if ('symlink' in v) parts.push(header(name, 0, '2', v.symlink, 0o777));
    else if ('hardlink' in v) parts.push(header(name, 0, '1', v.hardlink));
    else parts.push(header(name.endsWith('/') ? name : `${name}/`, 0, '5', '', 0o755));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function tarGz(spec: TarSpec): Buffer {
  return gzipSync(tar(spec), { level: 9 });
}
