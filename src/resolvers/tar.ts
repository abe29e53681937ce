/**
 * A small streaming tar reader (ustar, GNU long names/links, pax extended headers), enough to find files in image
 * layers. Bodies are read only when asked for; everything else is skipped chunk by chunk, so a layer is never buffered
 * whole.
 */
import { LookupFailure } from './errors.js';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'directory' | 'other';

export interface TarEntry {
  /** Normalised path: no leading './' or '/', no trailing '/', '.' and '..' resolved. */
  path: string;
  type: TarEntryType;
  /** Normalised target for hard links; the raw target for symlinks. */
  linkname: string;
  size: number;
  /** Read up to `max` bytes of the body (once, before asking for the next entry). */
  read(max: number): Promise<Buffer>;
}

const BLOCK = 512;

/** Pulls exact byte counts out of a chunked async source. */
class ByteSource {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;

  constructor(private readonly it: AsyncIterator<Buffer | Uint8Array | string>) {}

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      this.chunks.push(b);
      this.buffered += b.length;
    }
  }

  /** Exactly n bytes, or fewer at end of stream. */
  async take(n: number): Promise<Buffer> {
    await this.fill(n);
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, Math.min(n, all.length));
    const rest = all.subarray(out.length);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  /** Discard n bytes without keeping them. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0) {
        await this.fill(1);
        if (this.buffered === 0) throw truncated();
      }
      const head = this.chunks[0] as Buffer;
      if (head.length <= left) {
        left -= head.length;
        this.buffered -= head.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = head.subarray(left);
        this.buffered -= left;
        left = 0;
      }
    }
  }
}

const truncated = () => new LookupFailure('invalid', 'layer tar stream is truncated');

/** Resolve '.', '..', duplicate and leading/trailing slashes ('..' above the root stays at the root). */
export function normaliseTarPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

function cString(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function numeric(b: Buffer, start: number, len: number): number {
  const field = b.subarray(start, start + len);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let v = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + (field[i] ?? 0);
    return v;
  }
  const text = cString(b, start, len).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
  return sum === numeric(h, 148, 8);
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(body.subarray(i, space).toString('utf8'), 10);
    if (!(len > 0)) break;
    const record = body.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

function entryType(flag: string): TarEntryType {
  if (flag === '0' || flag === '\0' || flag === '' || flag === '7') return 'file';
  if (flag === '1') return 'hardlink';
  if (flag === '2') return 'symlink';
  if (flag === '5') return 'directory';
  return 'other';
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

interface Overrides {
  path?: string;
  linkname?: string;
  size?: number;
}

/** Iterate the entries of a tar stream. Skipping an entry's body costs no memory beyond one chunk. */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<TarEntry> {
  const src = new ByteSource(source[Symbol.asyncIterator]());
  let next: Overrides = {};
  let global: Overrides = {};
  for (;;) {
    const h = await src.take(BLOCK);
    if (h.length === 0 || h.every((x) => x === 0)) return;
    if (h.length < BLOCK) throw truncated();
    if (!checksumOk(h)) throw new LookupFailure('invalid', 'layer tar stream has a corrupt header');
    const flag = String.fromCharCode(h[156] ?? 0);
    const size = next.size ?? global.size ?? numeric(h, 124, 12);
    if (flag === 'L' || flag === 'K' || flag === 'x' || flag === 'g') {
      const body = await src.take(size);
      await src.skip(padding(size));
      if (flag === 'L') next.path = cString(body, 0, body.length);
      else if (flag === 'K') next.linkname = cString(body, 0, body.length);
      else {
        const pax = paxOverrides(parsePax(body));
        if (flag === 'x') next = { ...next, ...pax };
        else global = { ...global, ...pax };
      }
      continue;
    }
    const entry = makeEntry(h, flag, size, { ...global, ...next }, src);
    next = {};
    yield entry.entry;
    await src.skip(size - entry.consumed() + padding(size));
  }
}

function paxOverrides(pax: Record<string, string>): Overrides {
  const o: Overrides = {};
  if (pax.path !== undefined) o.path = pax.path;
  if (pax.linkpath !== undefined) o.linkname = pax.linkpath;
  if (pax.size !== undefined) o.size = Number(pax.size);
  return o;
}

function headerPath(h: Buffer): string {
  const name = cString(h, 0, 100);
  const magic = h.subarray(257, 263).toString('latin1');
  const prefix = magic === 'ustar\0' ? cString(h, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function makeEntry(h: Buffer, flag: string, size: number, o: Overrides, src: ByteSource) {
  let consumed = 0;
  const type = entryType(flag);
  const rawLink = o.linkname ?? cString(h, 157, 100);
  const entry: TarEntry = {
    path: normaliseTarPath(o.path ?? headerPath(h)),
    type,
    linkname: type === 'hardlink' ? normaliseTarPath(rawLink) : rawLink,
    size,
    async read(max: number): Promise<Buffer> {
      if (consumed > 0) throw new Error('tar entry body already read');
      const n = Math.min(max, size);
      const body = await src.take(n);
      if (body.length < n) throw truncated();
      consumed = n;
      return body;
    },
  };
  return { entry, consumed: () => consumed };
}
