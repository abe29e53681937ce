/**
 * Parser directives of a Dockerfile (`# syntax=…`, `# escape=…`, `# check=…`): the comment lines at the very top that
 * BuildKit reads before anything else.
 *
 * BuildKit's rules, followed here: directives are `# key=value` lines (blanks allowed around `#`, key and `=`; keys
 * case-insensitive) at the start of the file; the first line that is not a known directive (an empty line, another
 * comment, an unknown `# key=value`, an instruction) ends them, and later directive-looking lines are plain comments.
 * A new directive is therefore inserted as the first line of the file, which keeps every existing one a directive.
 */
import type { Range } from '../engine/types.js';
import { shortRepository, splitRef } from '../images/reference.js';

export const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);

export interface Directive {
  /** Lower-case key. */
  key: string;
  value: string;
  /** The whole line, without its line break. */
  range: Range;
  /** The value's range. */
  valueRange: Range;
}

/** The parser directives at the top of `text` (BOM already removed). */
export function parserDirectives(text: string): Directive[] {
  const out: Directive[] = [];
  let p = 0;
  while (p < text.length) {
    const nl = text.indexOf('\n', p);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(p, end).replace(/\r$/, '');
    const m = /^([ \t]*#[ \t]*)([A-Za-z][A-Za-z0-9_-]*)([ \t]*=[ \t]*)(.*?)[ \t]*$/.exec(line);
    if (!m) break;
    const key = (m[2] as string).toLowerCase();
    if (!KNOWN_DIRECTIVES.has(key) || out.some((d) => d.key === key)) break;
    const valueStart = p + (m[1] as string).length + (m[2] as string).length + (m[3] as string).length;
    out.push({ key, value: m[4] as string, range: { start: p, end: p + line.length }, valueRange: { start: valueStart, end: valueStart + (m[4] as string).length } });
    if (nl < 0) break;
    p = nl + 1;
  }
  return out;
}

export type FrontendSupport = { ok: true } | { ok: false; reason: string };

/** Docker's own Dockerfile frontends, as shortRepository names them (any spelling of Docker Hub). */
const DOCKER_FRONTENDS = new Set(['docker/dockerfile', 'docker/dockerfile-upstream']);

/**
 * Whether the Dockerfile frontend named by a `# syntax=` value is docker/dockerfile `1.<minor>` or later, which
 * `feature` needs. The value is read by the one reference parser (src/images/reference.ts), so every spelling of
 * Docker Hub counts (`docker/dockerfile`, `docker.io/…`, `index.docker.io/…`). Floating tags (none, `1`, `latest`,
 * `labs`, `1-labs`, `master`, `mainline`) count as recent; an image by digest alone, an earlier version, a tag that
 * is not a version (`1.4-experimental`, `1.10.0-rc1`) or another frontend do not.
 */
export function frontendAtLeast(value: string, minor: number, feature: string): FrontendSupport {
  const v = value.trim();
  const parts = splitRef(v);
  if (!parts || !DOCKER_FRONTENDS.has(shortRepository(v).name)) {
    return { ok: false, reason: `the frontend ${v} is not docker/dockerfile, so harden cannot tell whether it supports ${feature}` };
  }
  const tag = parts.tag;
  if (tag === undefined) {
    if (parts.digest) return { ok: false, reason: `the frontend ${v} is pinned by digest alone, so harden cannot tell its version` };
    return { ok: true };
  }
  if (/^(latest|labs|master|mainline)$/i.test(tag)) return { ok: true };
  const n = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-labs)?$/.exec(tag);
  if (!n) return { ok: false, reason: `the frontend tag ${tag} of ${v} is not a version harden knows` };
  const major = Number(n[1]);
  if (major !== 1) return major > 1 ? { ok: true } : { ok: false, reason: `the frontend ${v} is older than docker/dockerfile:1.${minor}` };
  if (n[2] === undefined || Number(n[2]) >= minor) return { ok: true };
  return { ok: false, reason: `the frontend ${v} is pinned before docker/dockerfile:1.${minor}, which ${feature} needs` };
}

/** Whether the frontend of a `# syntax=` value supports `ADD --checksum` (docker/dockerfile 1.6 or later). */
export function frontendAtLeast16(value: string): FrontendSupport {
  return frontendAtLeast(value, 6, 'ADD --checksum');
}
