/**
 * Finding files in an image's layers, newest layer first, without extracting anything.
 *
 * The search keeps a merged view of the layers scanned so far (the first, i.e. newest, entry for a path wins):
 * regular files (content kept only for "interesting" basenames, at most MAX_FILE_BYTES), symlinks, hard links,
 * directories and deletions (`.wh.<name>` whiteouts; `.wh..wh..opq` opaque directories hide everything below them
 * that comes from older layers). After each layer every requested path is walked through that view: symlinks (of the
 * file or of a parent directory, relative or absolute) are followed, a deleted path or a directory ends that path's
 * search, an undetermined path waits for older layers.
 *
 * Answer: the first of `paths` (in the caller's order) that exists as a file in the merged image filesystem, with the
 * content of its newest version. The scan stops as soon as that is certain. If a link points to a file whose basename was not interesting (its content was not kept), the search
 * restarts with that basename added (at most twice); in practice os-release style links keep their basename.
 */
import { normaliseTarPath, type TarEntry } from './tar.js';

export const MAX_FILE_BYTES = 1024 * 1024;
const MAX_LINK_HOPS = 40;
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

type Node =
  | { type: 'file'; layer: number; content?: Buffer }
  | { type: 'link'; layer: number; target: string }
  | { type: 'dir'; layer: number }
  | { type: 'deleted'; layer: number };

export type WalkResult =
  | { kind: 'found'; content: Buffer | undefined }
  | { kind: 'gone' }
  | { kind: 'unknown' }
  | { kind: 'need-content'; basename: string };

/** A file (or the certainty that none exists), or a request to restart the search keeping another basename. */
export type FileSearchResult = FileFound | { restartWith: string };

export interface FileFound {
  /** The requested path (as the caller spelled it), or null when none exists. */
  path: string | null;
  /** Content as text, or null when the file is larger than MAX_FILE_BYTES. */
  content: string | null;
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const dirname = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** One pass over the layers (newest first). Create a new pass to restart with more interesting basenames. */
export class FileSearch {
  private readonly nodes = new Map<string, Node>();
  private readonly opaque = new Map<string, number>();
  private readonly wanted: { requested: string; path: string }[];
  readonly interesting: Set<string>;

  constructor(paths: readonly string[], extraBasenames: Iterable<string> = []) {
    this.wanted = paths.map((p) => ({ requested: p, path: normaliseTarPath(p) }));
    this.interesting = new Set([...this.wanted.map((w) => basename(w.path)), ...extraBasenames]);
  }

  /**
   * Scan one layer's entries (layer 0 = newest). Returns as soon as the answer is certain: a found file, a request to
   * restart with another basename, or undefined to continue with the next (older) layer.
   */
  async scanLayer(layer: number, entries: AsyncIterable<TarEntry>): Promise<FileSearchResult | undefined> {
    for await (const e of entries) {
      const buffered = await this.record(layer, e);
      if (buffered && this.firstOpenIsFound()) return this.decide(false);
    }
    return this.decide(false);
  }

  /** After the last layer: the answer ({path: null} when none of the paths exists). */
  finish(): FileSearchResult {
    return this.decide(true) ?? { path: null, content: null };
  }

  private async record(layer: number, e: TarEntry): Promise<boolean> {
    const name = basename(e.path);
    if (name === OPAQUE) {
      const dir = dirname(e.path);
      if (!this.opaque.has(dir)) this.opaque.set(dir, layer);
      return false;
    }
    if (name.startsWith(WHITEOUT)) {
      this.put(`${dirname(e.path)}/${name.slice(WHITEOUT.length)}`.replace(/^\//, ''), { type: 'deleted', layer });
      return false;
    }
    if (this.nodes.has(e.path) || e.path === '') return false;
    switch (e.type) {
      case 'symlink':
        this.put(e.path, { type: 'link', layer, target: resolveLink(e.path, e.linkname) });
        return false;
      case 'hardlink':
        this.put(e.path, { type: 'link', layer, target: e.linkname });
        return false;
      case 'directory':
        this.put(e.path, { type: 'dir', layer });
        return false;
      case 'file': {
        const keep = this.interesting.has(name) && e.size <= MAX_FILE_BYTES;
        this.put(e.path, keep ? { type: 'file', layer, content: await e.read(e.size) } : { type: 'file', layer });
        return keep;
      }
      default:
        return false;
    }
  }

  private put(path: string, node: Node): void {
    if (!this.nodes.has(path) && !this.hiddenByOpaque(path, node.layer)) this.nodes.set(path, node);
  }

  /** Whether an entry of `layer` at `path` is hidden by an opaque directory marker in a newer layer. */
  private hiddenByOpaque(path: string, layer: number): boolean {
    for (let d = dirname(path); ; d = dirname(d)) {
      const at = this.opaque.get(d);
      if (at !== undefined && at < layer) return true;
      if (d === '') return false;
    }
  }

  /** Resolve a path through the merged view so far. */
  walk(path: string, hops = 0): WalkResult {
    if (hops > MAX_LINK_HOPS) return { kind: 'gone' };
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const node = this.nodes.get(dir);
      if (node?.type === 'link') return this.walk(normaliseTarPath(`${node.target}/${parts.slice(i).join('/')}`), hops + 1);
      if (node?.type === 'deleted' || node?.type === 'file') return { kind: 'gone' };
    }
    const node = this.nodes.get(path);
    if (!node) return this.underOpaque(path) ? { kind: 'gone' } : { kind: 'unknown' };
    if (node.type === 'link') return this.walk(node.target, hops + 1);
    if (node.type !== 'file') return { kind: 'gone' };
    if (node.content) return { kind: 'found', content: node.content };
    if (!this.interesting.has(basename(path))) return { kind: 'need-content', basename: basename(path) };
    return { kind: 'found', content: undefined };
  }

  private underOpaque(path: string): boolean {
    for (let d = dirname(path); d !== ''; d = dirname(d)) if (this.opaque.has(d)) return true;
    return false;
  }

  private firstOpenIsFound(): boolean {
    return this.decide(false) !== undefined;
  }

  /**
   * The answer if certain now: the first requested path (in `paths` order) that resolves to a file, once every path
   * before it is known to be absent. `final` = no older layers remain, so undetermined paths are absent.
   */
  private decide(final: boolean): FileSearchResult | undefined {
    for (const w of this.wanted) {
      const r = this.walk(w.path);
      if (r.kind === 'need-content') return { restartWith: r.basename };
      if (r.kind === 'found') return { path: w.requested, content: r.content ? r.content.toString('utf8') : null };
      if (r.kind === 'unknown' && !final) return undefined;
    }
    return { path: null, content: null };
  }
}

/** Absolute target of a symlink at `path` (relative targets are relative to the link's directory). */
function resolveLink(path: string, target: string): string {
  return normaliseTarPath(target.startsWith('/') ? target : `${dirname(path)}/${target}`);
}
