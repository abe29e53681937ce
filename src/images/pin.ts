/**
 * The decision for ONE image reference, shared by the Dockerfile and compose sides of pin-image-digest:
 * which lookups it needs, and what to report once they are answered.
 */
import { isOk, type KeyOf } from '../engine/lookups.js';
import type { Answer, Answers, Edit, GlobalSettings, LookupKey, Range, Report } from '../engine/types.js';
import { exactTagCandidates, mostSpecific } from './exact-tags.js';
import { minimalDiff, shortDigest, splitRef, type RefParts } from './reference.js';

export interface PinTarget {
  /** The reference's value (ARGs / `${VAR:-…}` expanded). */
  ref: string;
  /** Platform to resolve a platform manifest digest for; undefined = the index digest. */
  platform?: string;
  /** The editable text: `ref === region.prefix + region.text`. Absent: report without a fix, saying `noFixReason`. */
  region?: { range: Range; prefix: string; text: string };
  noFixReason?: string;
  /** Where the finding goes. */
  range: Range;
}

export interface PinOptions {
  exactTags: boolean;
  refresh: boolean;
  maxCandidates: number;
  /** The run has no network (`--no-network`): nothing is looked up, floating references are reported as they are. */
  offline: boolean;
}

export function pinOptions(options: Readonly<Record<string, unknown>>, global: GlobalSettings): PinOptions {
  const max = Number(options.maxCandidates ?? 10);
  return {
    exactTags: global.exactTags === true || options.exactTags === true,
    refresh: global.refresh === true || options.refresh === true,
    maxCandidates: Number.isInteger(max) && max >= 0 ? Math.min(max, 50) : 10,
    offline: global.network === false,
  };
}

const digestKey = (ref: string, platform: string | undefined): KeyOf<'image-digest'> =>
  platform ? { kind: 'image-digest', ref, platform } : { kind: 'image-digest', ref };
const tagsKey = (name: string): KeyOf<'image-tags'> => ({ kind: 'image-tags', ref: name });

/** The tag a reference stands for: untagged means `latest`. */
function tagged(p: RefParts): { name: string; tag: string; lookupRef: string } {
  const tag = p.tag ?? 'latest';
  return { name: p.name, tag, lookupRef: `${p.name}:${tag}` };
}

/** What to look up for this target, given the answers so far (exact-tag candidates need the tags list first). */
export function pinLookups(t: PinTarget, o: PinOptions, answers: Answers | undefined): LookupKey[] {
  const p = splitRef(t.ref);
  if (o.offline || !p || (p.digest !== undefined && p.tag === undefined)) return [];
  const { name, tag, lookupRef } = tagged(p);
  const keys: LookupKey[] = [digestKey(lookupRef, t.platform)];
  if (o.exactTags && p.digest === undefined && t.region) {
    keys.push(tagsKey(name));
    const tags = answers?.get(tagsKey(name));
    if (isOk(tags)) for (const c of exactTagCandidates(tag, tags.ok.tags, o.maxCandidates)) keys.push(digestKey(`${name}:${c}`, t.platform));
  }
  return keys;
}

function digestKind(platform: string | undefined, mediaType: string): string {
  if (platform) return `${platform} manifest digest`;
  return /index|manifest\.list/.test(mediaType) ? 'index digest' : 'manifest digest';
}

function failure(t: PinTarget, ref: string, a: Answer | undefined, pinned: boolean): Report {
  const err = a && 'error' in a ? a.error : { code: 'no-answer', message: 'the lookup was not answered' };
  return {
    range: t.range,
    severity: 'error',
    message: `${ref}: digest lookup failed (${err.code}: ${err.message}); ${pinned ? 'its pinned digest was not verified' : 'not pinned'}`,
    data: { ref, lookupFailed: true, code: err.code },
  };
}

/**
 * What is wrong with a reference that has no digest, said from the file alone (no lookup): untagged (hadolint DL3006),
 * `:latest` (DL3007), or a tag without a digest. Reported when the digest cannot be looked up (`--no-network`, a
 * failed lookup), so a floating reference is never only "lookup failed".
 */
export function floatingReport(t: PinTarget, p: RefParts): Report {
  const { lookupRef } = tagged(p);
  const how =
    p.tag === undefined
      ? { floating: 'untagged', rule: 'DL3006', message: `${t.ref} has no tag, so it means ${lookupRef}: whatever image that tag names when it is pulled (hadolint DL3006); name a version tag and pin its digest` }
      : p.tag === 'latest'
        ? { floating: 'latest', rule: 'DL3007', message: `${lookupRef} uses the latest tag, which moves with every release (hadolint DL3007); name a version tag and pin its digest` }
        : { floating: 'tag', rule: undefined, message: `${lookupRef} has a tag but no digest: a re-pushed tag changes what is built or run; pin its digest` };
  return {
    range: t.range,
    severity: 'warning',
    message: how.message,
    data: { ref: lookupRef, floating: how.floating, ...(how.rule ? { rule: `hadolint:${how.rule}` } : {}) },
  };
}

/**
 * The reports for this target: the pin (or its verification) when the digest is known; else what is wrong with the
 * reference, from the file alone, and the failed lookup (if one was made) as a report of its own.
 */
export function pinReports(t: PinTarget, o: PinOptions, answers: Answers): Report[] {
  const p = splitRef(t.ref);
  if (p && !(p.digest !== undefined && p.tag === undefined)) {
    if (o.offline) return p.digest === undefined ? [floatingReport(t, p)] : [];
    if (p.digest === undefined && !isOk(answers.get(digestKey(tagged(p).lookupRef, t.platform)))) {
      const failed = pinReport(t, o, answers);
      return failed ? [floatingReport(t, p), failed] : [floatingReport(t, p)];
    }
  }
  const r = pinReport(t, o, answers);
  return r ? [r] : [];
}

/** Build the edit turning the region into the one spelling `newRef`, or undefined when the prefix does not allow it. */
function regionEdit(t: PinTarget, newRef: string): Edit | undefined {
  const r = t.region;
  if (!r || !newRef.startsWith(r.prefix)) return undefined;
  const d = minimalDiff(r.text, newRef.slice(r.prefix.length));
  return { start: r.range.start + d.start, end: r.range.start + d.end, text: d.text };
}

/** The report for this target, or undefined when there is nothing to say (already pinned and current, digest-only). */
export function pinReport(t: PinTarget, o: PinOptions, answers: Answers): Report | undefined {
  const p = splitRef(t.ref);
  if (!p) {
    return { range: t.range, severity: 'warning', message: `${t.ref}: not a valid image reference; not pinned`, data: { ref: t.ref } };
  }
  if (p.digest !== undefined && p.tag === undefined) return undefined;
  const { name, tag, lookupRef } = tagged(p);
  const a = answers.get(digestKey(lookupRef, t.platform));
  if (!isOk(a)) return failure(t, lookupRef, a, p.digest !== undefined);
  const { digest, registry, mediaType } = a.ok;
  const kind = digestKind(t.platform, mediaType);
  const data = { ref: lookupRef, digest, source: a.source ?? registry, registry, ...(t.platform ? { platform: t.platform } : {}) };

  if (p.digest !== undefined) {
    if (p.digest === digest) return undefined;
    const base = `${lookupRef}@${shortDigest(p.digest)} no longer matches its tag, which is now ${shortDigest(digest)} (${kind} from ${registry})`;
    if (!o.refresh) {
      return { range: t.range, severity: 'warning', message: `${base}; rerun with --refresh to update it`, data: { ...data, pinned: p.digest } };
    }
    const edit = regionEdit(t, `${p.name}:${p.tag}@${digest}`);
    const message = `${lookupRef} → digest refreshed from ${shortDigest(p.digest)} to ${shortDigest(digest)} (${kind} from ${registry})`;
    if (!edit) return { range: t.range, severity: 'warning', message: `${base}; ${t.noFixReason ?? 'it cannot be edited here'}`, data };
    return { range: t.range, message, data: { ...data, previous: p.digest }, fix: { title: message, safety: 'safe', edits: [edit] } };
  }

  let newTag = tag;
  let note = '';
  if (o.exactTags && t.region) {
    const tags = answers.get(tagsKey(name));
    if (!isOk(tags)) note = ` (tags list unavailable: ${'error' in (tags ?? {}) ? (tags as { error: { code: string } }).error.code : 'no answer'})`;
    else {
      const cands = exactTagCandidates(tag, tags.ok.tags, o.maxCandidates);
      const same = cands.filter((c) => {
        const ca = answers.get(digestKey(`${name}:${c}`, t.platform));
        return isOk(ca) && ca.ok.digest === digest;
      });
      const best = mostSpecific(same);
      if (best && t.region && `${name}:${best}`.startsWith(t.region.prefix)) newTag = best;
      else note = ` (no more specific tag of ${name} has this digest${cands.length ? `; checked ${cands.length}` : ''})`;
    }
  }
  const newRef = `${name}:${newTag}@${digest}`;
  const shown = newTag === tag ? lookupRef : `${lookupRef} → ${name}:${newTag}`;
  const message = `${shown} → pinned to ${shortDigest(digest)} (${kind} from ${registry})${note}`;
  const edit = regionEdit(t, newRef);
  const fullData = { ...data, pinned: newRef, ...(newTag !== tag ? { exactTag: newTag } : {}) };
  if (!edit) {
    return {
      range: t.range,
      severity: 'warning',
      message: `${lookupRef} is not pinned to a digest (${shortDigest(digest)}, ${kind} from ${registry}); ${t.noFixReason ?? 'it cannot be edited here'}`,
      data: fullData,
    };
  }
  return { range: t.range, message, data: fullData, fix: { title: message, safety: 'safe', edits: [edit] } };
}
