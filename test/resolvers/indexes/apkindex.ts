/**
 * Packs an APKINDEX text into APKINDEX.tar.gz the way Alpine publishes it: two concatenated gzip members, the first
 * a tar segment holding only the signature entry (no end-of-archive blocks), the second a tar with DESCRIPTION and
 * APKINDEX and the end-of-archive blocks.
 */
import { gzipSync } from 'node:zlib';

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar entry: header + body padded to 512 bytes. */
export function tarEntry(name: string, body: Buffer, mtime = 1701900000): Buffer {
  const h = Buffer.alloc(512, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(body.length, 12), 124, 'latin1');
  h.write(octal(mtime, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write('0', 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write('root', 265, 'latin1');
  h.write('root', 297, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512, 0);
  return Buffer.concat([h, body, pad]);
}

export function apkIndexTarGz(apkindex: string, description = 'v3.19.0-0-g0000000000'): Buffer {
  const signature = tarEntry('.SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub', Buffer.alloc(512, 0x5a));
  const index = Buffer.concat([
    tarEntry('DESCRIPTION', Buffer.from(description)),
    tarEntry('APKINDEX', Buffer.from(apkindex)),
    Buffer.alloc(1024, 0),
  ]);
  return Buffer.concat([gzipSync(signature), gzipSync(index)]);
}
