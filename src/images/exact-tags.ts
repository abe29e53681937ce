/**
 * `--exact-tags`: candidates for replacing a floating tag (`20-alpine`, `latest`) by the most specific tag of the same
 * shape (`20.11.0-alpine3.19`, `7.0.3`). Pure string work: which candidate really is the same image is decided by
 * comparing digests, so only a bounded number of candidates (most specific and newest first) is ever looked up.
 */

export interface TagShape {
  /** 'v' when the tag is written `v1.2`. */
  prefix: string;
  /** Numeric version components; empty for `latest`, `alpine`, `bookworm`. */
  version: number[];
  /** The rest after the version, without a leading '-' or '_' (`alpine3.19`, ''), or the whole tag when there is no version. */
  suffix: string;
}

export function tagShape(tag: string): TagShape {
  const m = /^(v?)(\d+(?:\.\d+)*)(?:[-_](.*))?$/.exec(tag);
  if (m && (m[3] !== undefined || !/[^\d.]/.test(tag.slice((m[1] ?? '').length)))) {
    return { prefix: m[1] ?? '', version: (m[2] ?? '').split('.').map(Number), suffix: m[3] ?? '' };
  }
  return { prefix: '', version: [], suffix: tag === 'latest' ? '' : tag };
}

/** Whether the candidate suffix is the floating suffix made more specific (`alpine` → `alpine3.19`, `alpine3` → `alpine3.19`). */
function suffixRefines(floating: string, candidate: string): boolean {
  if (candidate === floating) return true;
  if (floating === '' || !candidate.startsWith(floating)) return false;
  const rest = candidate.slice(floating.length);
  return /\d$/.test(floating) ? /^(?:\.\d+)+$/.test(rest) : /^\d+(?:\.\d+)*$/.test(rest);
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x !== y) return x - y;
  }
  return 0;
}

/** How many numeric components a tag pins (version and suffix together): the "specificity" of a tag. */
export function specificity(tag: string): number {
  return (tag.match(/\d+/g) ?? []).length;
}

/**
 * Candidate tags for `floating`, most specific and newest first, at most `limit`.
 * A candidate has the floating tag's prefix and version components as a strict prefix of its own (`20` → `20.11.0`;
 * `latest` and `alpine` → any version), and the same suffix or a more specific one (`alpine` → `alpine3.19`).
 */
export function exactTagCandidates(floating: string, tags: readonly string[], limit = 10): string[] {
  const f = tagShape(floating);
  const out: { tag: string; shape: TagShape }[] = [];
  for (const tag of new Set(tags)) {
    if (tag === floating) continue;
    const c = tagShape(tag);
    // A versioned floating tag keeps its spelling (`v2` → `v2.48.0`); `latest` may become either (`7.0.3`, `v2.48.0`).
    if (c.version.length === 0 || (f.version.length > 0 && c.prefix !== f.prefix)) continue;
    if (c.version.length < f.version.length || f.version.some((v, i) => c.version[i] !== v)) continue;
    if (!suffixRefines(f.suffix, c.suffix)) continue;
    if (c.version.length === f.version.length && c.suffix === f.suffix) continue;
    out.push({ tag, shape: c });
  }
  out.sort(
    (a, b) =>
      compareVersions(b.shape.version, a.shape.version) ||
      specificity(b.tag) - specificity(a.tag) ||
      compareVersions(suffixVersion(b.shape.suffix), suffixVersion(a.shape.suffix)) ||
      (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0),
  );
  return out.slice(0, limit).map((c) => c.tag);
}

function suffixVersion(s: string): number[] {
  const m = /(\d+(?:\.\d+)*)$/.exec(s);
  return m?.[1] ? m[1].split('.').map(Number) : [];
}

/** Of the candidates whose digest matched, the most specific (ties: the longer, then the first). */
export function mostSpecific(matching: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const t of matching) {
    if (best === undefined || specificity(t) > specificity(best) || (specificity(t) === specificity(best) && t.length > best.length)) best = t;
  }
  return best;
}
