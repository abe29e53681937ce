/** compose-resource-limits: `deploy.resources` limits/reservations and `pids_limit`, with defaults per image family. */
import { dirname } from 'node:path';
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isMap, isScalar, type YAMLMap } from 'yaml';
import { derived } from '../src/engine/derive.js';
import { fix } from '../src/engine/edits.js';
import type { CodemodContext, Edit, JsonSchema, ParsedCompose, RunIndex } from '../src/engine/types.js';
import { fillEmpty, insertPair, lookup, lookupMerged, ownPair, rangeOf, resolveNode, services, servicesUsing, sharedWhere, type ComposeService, type NewValue } from '../src/compose/index.js';
import {
  aliasAnchorNote, buildLookups, extendedPlans, insertPairs, kbSource, lookupView, mergeInsertions, serviceImage, serviceOverrides, serviceViews, siblingFiles, type ServiceImage, type ServiceView,
} from '../src/compose/hardening.js';
import { FAMILY_RESOURCES, type Family, type ResourceProfile } from '../src/compose/image-kb.js';
import { sameRepository, type RootCache } from '../src/compose/repository.js';

const QUANTITY = { type: ['string', 'number'] } as const;
const LIMITS = { type: 'object', additionalProperties: false, properties: { cpus: QUANTITY, memory: QUANTITY } } as const;
/** The options schema of one resource profile: `{ limits: { cpus, memory }, reservations: { cpus, memory }, pids }`. */
const PROFILE_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { limits: LIMITS, reservations: LIMITS, pids: { anyOf: [{ type: 'integer', minimum: 1 }, { const: false }] } },
};

interface PartialProfile {
  limits?: { cpus?: string | number; memory?: string };
  reservations?: { cpus?: string | number; memory?: string };
  pids?: number | false;
}

interface Wanted {
  limits: Record<string, string>;
  reservations: Record<string, string>;
  pids?: number;
}

/** `512M`, `1g`, `1.5`, `2048k` as a number (bytes for sizes, cores for cpus); undefined when not a plain amount. */
function amount(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

const FAMILIES = Object.keys(FAMILY_RESOURCES) as (Family | 'default')[];

/** A redis-style size (`256mb`, `1gb`, `100000000`: `k`/`m`/`g` count in 1000s, `kb`/`mb`/`gb` in 1024s) in bytes. */
function serverBytes(v: string): number | undefined {
  const m = /^(\d+)(?:([kmg])(b?))?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const exp = unit === '' ? 0 : unit === 'k' ? 1 : unit === 'm' ? 2 : 3;
  return Number(m[1]) * (m[3] ? 1024 : 1000) ** exp;
}

/** The value an argv gives an option (`--maxmemory 256mb` or `--maxmemory=256mb`); the last one wins, as in redis. */
function optionValue(argv: readonly string[], flag: string): string | undefined {
  let out: string | undefined;
  argv.forEach((a, i) => {
    if (a === flag && i + 1 < argv.length) out = argv[i + 1];
    else if (a.startsWith(`${flag}=`)) out = a.slice(flag.length + 1);
  });
  return out;
}

/**
 * For a server that keeps its whole data set in memory (`memoryBound` in the knowledge base): why the family's memory
 * limit does not fit it, or undefined when the service's command bounds the data to at most half the limit (the other
 * half is for the server itself and a save's copy-on-write).
 */
function unboundedMemory(view: ServiceView, flag: string, limit: string): string | undefined {
  const v = optionValue(serviceOverrides(view).command ?? [], flag);
  if (v === undefined) return `the service's command sets no \`${flag}\``;
  const bytes = serverBytes(v);
  const max = amount(limit);
  if (bytes === 0) return `its \`${flag} 0\` sets no bound`;
  if (bytes === undefined) return `its \`${flag} ${v}\` is not a size harden can read`;
  if (max === undefined || bytes * 2 > max) return `its \`${flag} ${v}\` leaves less than half of ${limit} for the server and a save's copy-on-write`;
  return undefined;
}

function merge(base: ResourceProfile, p: PartialProfile | undefined): { limits: Record<string, string>; reservations: Record<string, string>; pids: number | false } {
  const str = (v: unknown, d: string): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : d);
  return {
    limits: { cpus: str(p?.limits?.cpus, base.limits.cpus), memory: str(p?.limits?.memory, base.limits.memory) },
    reservations: { cpus: str(p?.reservations?.cpus, base.reservations.cpus), memory: str(p?.reservations?.memory, base.reservations.memory) },
    pids: p?.pids === false ? false : typeof p?.pids === 'number' ? p.pids : base.pids,
  };
}

const asRecord = (v: unknown): Record<string, PartialProfile> => (v && typeof v === 'object' ? (v as Record<string, PartialProfile>) : {});

/** Child map of `map` at `key` (aliases resolved), or null when the key is absent, or 'other' for a non-map value. */
function child(svc: ComposeService, map: YAMLMap | undefined, key: string): YAMLMap | null | 'empty' | 'other' {
  if (!map) return null;
  const p = ownPair(map, key);
  if (!p) return null;
  const v = resolveNode(svc.doc, p.value);
  if (v === null || (isScalar(v) && v.value === null)) return 'empty';
  return isMap(v) ? v : 'other';
}

interface Plan {
  view: ServiceView;
  wanted: Wanted;
  deploy: ReturnType<typeof lookup>;
  message: string;
  safety: 'safe' | 'unsafe';
}

/** A size a service may have: `deploy.resources.<section>.<key>` where this codemod writes it, or `pids_limit`. */
type SizeKey = 'limits.cpus' | 'limits.memory' | 'reservations.cpus' | 'reservations.memory' | 'pids';
const SIZE_KEYS: readonly SizeKey[] = ['limits.cpus', 'limits.memory', 'reservations.cpus', 'reservations.memory', 'pids'];
const SIZE_LABEL: Record<SizeKey, string> = {
  'limits.cpus': 'limits cpus',
  'limits.memory': 'limits memory',
  'reservations.cpus': 'reservations cpus',
  'reservations.memory': 'reservations memory',
  pids: 'pids_limit',
};

/** One size a service states, and where. */
interface Size {
  value: string;
  /** 1-based line of the value in its file. */
  line: number;
  /**
   * Written where this codemod writes that size (`deploy.resources.{limits,reservations}.{cpus,memory}`, `pids_limit`);
   * false for the forms only a maintainer writes (`mem_limit`, `cpus`, `mem_reservation`, `deploy.resources.limits.pids`).
   */
  asWritten: boolean;
}

/** What a service's own text says of its image, for the defaults this codemod would write for it (plain values). */
interface ImageKey {
  /** Built here (`build:`): its family comes from its Dockerfile, which the run index does not read. */
  built: boolean;
  /** The knowledge-base family of a pulled image, if it has an entry. */
  family?: Family;
  /** The entry runs whatever application it is given (node, python): no defaults unless the options give sizes. */
  appDependent?: boolean;
  /** The entry keeps its whole data set in memory (redis): no memory limit unless its command bounds the data. */
  memoryBound?: true;
  /** The key of the `images` option for it: the entry's repository, else the reference's repository. */
  imageKey?: string;
}

/** Sizes the repository states for a service of the same name in other compose files of this run, and where. */
interface Stated {
  limits: { cpus?: string; memory?: string };
  reservations: { cpus?: string; memory?: string };
  pids?: number;
  /** Where each size was taken from (the finding names the ones it adds). */
  from: Map<SizeKey, { entry: StatedEntry; line: number }>;
}

/**
 * The sizes a service has (`deploy.resources`, `mem_limit`, `cpus`, `pids_limit`…), with their lines, and which sizes
 * it sets at all (a variable, `${MEM:-1g}`, sets one but states no size), if any.
 */
function sizesOf(f: ParsedCompose, o: ComposeService): { sizes: Partial<Record<SizeKey, Size>>; set: SizeKey[] } | undefined {
  const setKeys = new Set<SizeKey>();
  let current: SizeKey = 'pids';
  const read = (n: unknown, asWritten: boolean): Size | undefined => {
    setKeys.add(current);
    const v = resolveNode(o.doc, n);
    if (!isScalar(v) || !(typeof v.value === 'string' || typeof v.value === 'number') || String(v.value).includes('$')) return undefined;
    return { value: String(v.value), line: f.lineCounter.linePos(v.range?.[0] ?? 0).line, asWritten };
  };
  const d = lookup(o, 'deploy');
  const deploy: unknown = d ? resolveNode(o.doc, d.value) : null;
  const at = (path: readonly string[], asWritten = true): Size | undefined => {
    let cur = deploy;
    for (const k of path) {
      if (!isMap(cur)) return undefined;
      const p = ownPair(cur, k);
      if (!p) return undefined;
      cur = p.value;
    }
    return read(cur, asWritten);
  };
  const top = (k: string, asWritten = false): Size | undefined => { const l = lookup(o, k); return l ? read(l.value, asWritten) : undefined; };
  const out: Partial<Record<SizeKey, Size>> = {};
  const set = (k: SizeKey, s: () => Size | undefined) => {
    current = k;
    const v = s();
    if (v !== undefined) out[k] = v;
  };
  set('limits.memory', () => at(['resources', 'limits', 'memory']) ?? top('mem_limit'));
  set('limits.cpus', () => at(['resources', 'limits', 'cpus']) ?? top('cpus'));
  set('reservations.memory', () => at(['resources', 'reservations', 'memory']) ?? top('mem_reservation'));
  set('reservations.cpus', () => at(['resources', 'reservations', 'cpus']));
  set('pids', () => at(['resources', 'limits', 'pids'], false) ?? top('pids_limit', true));
  if (out.pids !== undefined && !/^\d+$/.test(out.pids.value)) delete out.pids;
  return setKeys.size ? { sizes: out, set: SIZE_KEYS.filter((k) => setKeys.has(k)) } : undefined;
}

/** A service of the run's compose files that has sizes (an entry of `STATED_SIZES`). */
interface StatedEntry {
  name: string;
  path: string;
  absPath: string | undefined;
  docIndex: number;
  sizes: Partial<Record<SizeKey, Size>>;
  /** The sizes it sets, stated or not (a variable). */
  set: readonly SizeKey[];
  image: ImageKey;
}

/** What the index keeps of a service's image: enough to know which defaults this codemod would have written for it. */
function imageKeyOf(svc: ComposeService): ImageKey {
  const img = serviceImage(svc);
  const m = img.built ? undefined : img.match;
  const key = m ? m.repository : img.ref !== undefined ? img.ref.replace(/[:@].*$/, '') : undefined;
  return {
    built: img.built,
    ...(m ? { family: m.family, ...(m.appDependent ? { appDependent: true } : {}), ...(m.memoryBound ? { memoryBound: true as const } : {}) } : {}),
    ...(key !== undefined ? { imageKey: key } : {}),
  };
}

/**
 * The services that have sizes, from every compose file of the run (whatever batch it is processed in), each size
 * with its line and whether it is written where this codemod writes sizes: whether it was stated by the maintainer or
 * written by harden is decided when it is read (`originOf`, with the options). A file whose text has none of the keys
 * `sizesOf` reads has none, so it is not parsed for the index.
 */
const STATED_SIZES: RunIndex<StatedEntry> = {
  id: 'compose-resource-limits/stated-sizes',
  kinds: ['compose'],
  mayHave: (text) => /mem_limit|mem_reservation|cpus|pids|memory/.test(text),
  entries(file) {
    if (file.kind !== 'compose') return [];
    const out: StatedEntry[] = [];
    for (const svc of services(file)) {
      const had = sizesOf(file, svc);
      if (had) out.push({ name: svc.name, path: file.path, absPath: file.absPath, docIndex: svc.docIndex, ...had, image: imageKeyOf(svc) });
    }
    return out;
  },
};

/** The profile this codemod starts from for a family and an image (`families` and `images` options over the defaults). */
function profileOf(options: CodemodContext['options'], family: Family | 'default', imageKey: string | undefined) {
  const famOpts = asRecord(options.families);
  const byImage = imageKey !== undefined ? asRecord(options.images)[imageKey] : undefined;
  const base = merge(FAMILY_RESOURCES[family], famOpts[family]);
  const prof = byImage ? merge({ ...base, pids: base.pids === false ? 0 : base.pids } as ResourceProfile, byImage) : base;
  return { prof, byImage, familyOption: famOpts[family] !== undefined };
}

const sizeIn = (p: ReturnType<typeof profileOf>['prof'], k: SizeKey): string | undefined => {
  if (k === 'pids') return p.pids !== false && p.pids > 0 ? String(p.pids) : undefined;
  const [section, key] = k.split('.') as ['limits' | 'reservations', 'cpus' | 'memory'];
  return p[section][key];
};

/**
 * The profiles this codemod may have written for a service from defaults, with no size stated elsewhere: a pulled
 * image's family profile when the knowledge base knows it or the options give sizes, else none; a built image's family
 * comes from its Dockerfile, which the index does not read: any family's.
 */
function writtenProfiles(img: ImageKey, options: CodemodContext['options']): ReturnType<typeof profileOf>['prof'][] {
  const out: ReturnType<typeof profileOf>['prof'][] = [];
  const families: readonly (Family | 'default')[] = img.built ? FAMILIES : [img.family ?? 'default'];
  for (const family of families) {
    const { prof, byImage, familyOption } = profileOf(options, family, img.imageKey);
    const known = img.built ? family !== 'default' : img.family !== undefined && !img.appDependent;
    if (known || byImage !== undefined || familyOption) out.push(prof);
  }
  return out;
}

/**
 * Whether a size was stated by the maintainer or written by harden. Harden writes a profile's values where it writes
 * sizes (`deploy.resources…`, `pids_limit`), and every size the service lacked: a size there whose value is the
 * profile's, in a service that sets every size (or lacks only what harden leaves out: a memory limit for a server
 * holding its data in memory, a reservation beside a smaller limit, `pids_limit` when the options give none), is
 * harden's own (a previous run's, or the same guess, which states nothing the defaults do not), and never lent. The
 * sizes `others` (the service's definitions in other files of its directory: override files) set count as set: harden
 * left them out. Every other size is the maintainer's. A size a previous run copied from another file is the value of
 * the size it copied, so lending it lends what its origin lends.
 */
function originOf(e: StatedEntry, k: SizeKey, options: CodemodContext['options'], others: readonly StatedEntry[]): 'stated' | 'harden' | undefined {
  const s = e.sizes[k];
  if (!s) return undefined;
  if (!s.asWritten) return 'stated';
  const isSet = (j: SizeKey) => e.set.includes(j) || others.some((o) => o.set.includes(j));
  const guessed = writtenProfiles(e.image, options).some((p) => {
    if (sizeIn(p, k) !== s.value) return false;
    return SIZE_KEYS.every((j) => isSet(j)
      || (j === 'limits.memory' && (e.image.built || e.image.memoryBound === true))
      || (j === 'reservations.memory' && isSet('limits.memory'))
      || (j === 'reservations.cpus' && isSet('limits.cpus'))
      || (j === 'pids' && sizeIn(p, 'pids') === undefined));
  });
  return guessed ? 'harden' : 'stated';
}

/** The index's entries by service name, files in path order: made once per run, not per service asking. */
const statedByName = derived((entries: readonly StatedEntry[]): Map<string, StatedEntry[]> => {
  const index = new Map<string, StatedEntry[]>();
  for (const e of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    const list = index.get(e.name);
    if (list) list.push(e);
    else index.set(e.name, [e]);
  }
  return index;
});

/** The git roots found in one run (the index's entries are made once per run). */
const runRoots = derived((_entries: readonly StatedEntry[]): RootCache => new Map());

/**
 * Sizes the repository states for a service of the same name in other compose files of this run: each size from the
 * first file (in path order) that states it, among the files of the same repository (src/compose/repository.ts) other
 * than this one and the override files whose definitions of the service merge into this one.
 */
function statedSizes(ctx: CodemodContext<ParsedCompose>, view: ServiceView): Stated | undefined {
  const self = ctx.file;
  const entries = ctx.project.indexed(STATED_SIZES) as StatedEntry[];
  const candidates = statedByName(entries).get(view.svc.name);
  const selfPath = self.absPath;
  if (!candidates || selfPath === undefined) return undefined;
  const skip = new Set<string>();
  if (view.overrides.length > 0) {
    for (const o of siblingFiles(ctx, self).overrides) {
      for (const svc of services(o)) if (view.overrides.includes(svc)) skip.add(`${o.absPath}\0${svc.docIndex}`);
    }
  }
  const roots = runRoots(entries);
  const lenders = candidates.filter((e) => e.absPath !== undefined && e.absPath !== selfPath && !skip.has(`${e.absPath}\0${e.docIndex}`) && sameRepository(selfPath, e.absPath, roots));
  const dirOf = (e: StatedEntry) => dirname(e.absPath ?? e.path);
  const others = (e: StatedEntry) => candidates.filter((o) => o !== e && o.absPath !== e.absPath && dirOf(o) === dirOf(e));
  const st: Stated = { limits: {}, reservations: {}, from: new Map() };
  for (const k of SIZE_KEYS) {
    const e = lenders.find((x) => originOf(x, k, ctx.options, others(x)) === 'stated');
    const s = e?.sizes[k];
    if (!e || !s) continue;
    st.from.set(k, { entry: e, line: s.line });
    if (k === 'pids') st.pids = Number(s.value);
    else {
      const [section, key] = k.split('.') as ['limits' | 'reservations', 'cpus' | 'memory'];
      st[section][key] = s.value;
    }
  }
  return st.from.size ? st : undefined;
}

/**
 * Where the stated sizes a finding adds come from: "service `db` of ci/compose.yaml (lines 5, 9)", and with several
 * files, which sizes each gave: "service `db` of a.yml (limits memory, line 5) and of b.yml (pids_limit, line 12)".
 */
function statedWhere(name: string, st: Stated, used: readonly SizeKey[]): string {
  const byEntry = new Map<StatedEntry, { keys: SizeKey[]; lines: number[] }>();
  for (const k of used) {
    const f = st.from.get(k);
    if (!f) continue;
    const g = byEntry.get(f.entry) ?? { keys: [], lines: [] };
    byEntry.set(f.entry, g);
    g.keys.push(k);
    if (!g.lines.includes(f.line)) g.lines.push(f.line);
  }
  const lines = (ls: number[]) => `line${ls.length > 1 ? 's' : ''} ${[...ls].sort((a, b) => a - b).join(', ')}`;
  const groups = [...byEntry].map(([e, g]) => `${e.path} (${byEntry.size > 1 ? `${g.keys.map((k) => SIZE_LABEL[k]).join(', ')}, ` : ''}${lines(g.lines)})`);
  const list = groups.length > 1 ? `${groups.slice(0, -1).join(', of ')} and of ${groups[groups.length - 1] ?? ''}` : groups[0] ?? '';
  return `service \`${name}\` of ${list}`;
}

/** Which image outside the knowledge base a service runs, for the finding: ` (\`ghcr.io/acme/api:1\`)`. */
function outside(img: ServiceImage): string {
  const b = img.build;
  if (b) return 'built' in b ? ` (${b.built.describe})` : ` (built here: ${b.unknown})`;
  return img.ref !== undefined ? ` (\`${img.ref}\`)` : '';
}

function plan(ctx: CodemodContext<ParsedCompose>, view: ServiceView): Plan | undefined {
  const { svc } = view;
  const img = serviceImage(svc, ctx);
  const m = img.match;
  const family: Family | 'default' = m?.family ?? 'default';
  // A built service is named by the image it builds (`image:`), not by its base image's entry.
  const imageKey = m && !img.built ? m.repository : img.ref !== undefined ? img.ref.replace(/[:@].*$/, '') : undefined;
  const { prof: prof0, byImage, familyOption } = profileOf(ctx.options, family, imageKey);
  // Sizes the repository states for the same service elsewhere win over the defaults: they are what it was run with.
  const stated = statedSizes(ctx, view);
  const prof = stated
    ? {
        limits: { ...prof0.limits, ...stated.limits },
        reservations: { ...prof0.reservations, ...stated.reservations },
        pids: stated.pids ?? prof0.pids,
      }
    : prof0;
  const known = m !== undefined && !m.appDependent;
  const optioned = byImage !== undefined || familyOption;

  // What is already set: top-level keys (here or in override files) and deploy.resources anywhere in the chain.
  const has = (k: string) => lookupView(view, k) !== undefined;
  const deploys = [svc, ...view.overrides].flatMap((s) => lookupMerged(s, 'deploy'));
  const nested = (path: readonly string[]): boolean => deploys.some((d) => {
    let cur: unknown = resolveNode(svc.doc, d.value);
    for (const k of path) {
      if (!isMap(cur)) return false;
      const p = ownPair(cur, k);
      if (!p) return false;
      cur = resolveNode(svc.doc, p.value);
    }
    return true;
  });
  const wanted: Wanted = { limits: {}, reservations: {} };
  const kept: string[] = [];
  // The value a service already has for a resource (top-level key or deploy.resources), for bounds checks.
  const existing = (path: readonly string[], top: string | undefined): string | undefined => {
    const t = top ? lookupView(view, top) : undefined;
    const tv = t ? resolveNode(svc.doc, t.value) : null;
    if (isScalar(tv) && tv.value !== null) return String(tv.value);
    for (const d of deploys) {
      let cur: unknown = resolveNode(svc.doc, d.value);
      for (const k of path) cur = isMap(cur) ? resolveNode(svc.doc, ownPair(cur, k)?.value) : null;
      if (isScalar(cur) && cur.value !== null) return String(cur.value);
    }
    return undefined;
  };
  // Outside the knowledge base, only the sizes the repository states are added (no guessed defaults beside them).
  const onlyStated = !known && !optioned;
  // A server holding its data set in memory needs what its data needs: no guessed memory limit unless its command bounds it.
  const unbounded = m?.memoryBound && known && !optioned && stated?.limits.memory === undefined
    ? unboundedMemory(view, m.memoryBound, prof.limits.memory as string)
    : undefined;
  let memorySkipped = false;
  const want = (section: 'limits' | 'reservations', key: 'cpus' | 'memory', top: string | undefined) => {
    if (onlyStated && stated?.[section][key] === undefined) return;
    if (top && has(top)) kept.push(top);
    else if (nested(['resources', section, key])) return;
    else if (unbounded && section === 'limits' && key === 'memory') memorySkipped = true;
    else wanted[section][key] = prof[section][key] as string;
  };
  want('limits', 'cpus', 'cpus');
  want('limits', 'memory', 'mem_limit');
  want('reservations', 'cpus', undefined);
  want('reservations', 'memory', 'mem_reservation');
  if (prof.pids !== false && prof.pids > 0 && !(onlyStated && stated?.pids === undefined)) {
    if (has('pids_limit')) kept.push('pids_limit');
    else if (!nested(['resources', 'limits', 'pids'])) wanted.pids = prof.pids;
  }
  // Outside the knowledge base, with no memory limit stated elsewhere nor one of its own, none is guessed: by hand.
  // One it has is the maintainer's: the other sizes the repository states are still added (nothing is guessed).
  if (onlyStated && !stated?.limits.memory && !has('mem_limit') && !nested(['resources', 'limits', 'memory'])) {
    ctx.report({
      range: rangeOf(svc.keyNode),
      message: `Service \`${svc.name}\` has no resource limits, and harden does not know what it needs${m ? ` (${m.name} runs whatever application it is given)` : outside(img)}: a guessed memory limit gets a busy service killed. Measure it (\`docker stats\`), then set \`deploy.resources.limits\` (memory, cpus) and \`pids_limit\` with headroom, or give its sizes in this codemod's \`images\` option.`,
      fix: { title: 'set resource limits by hand, from measured use', safety: 'manual', edits: [] },
    });
    return undefined;
  }
  // A reservation above the limit is rejected by the engine: never add one above what the service is limited to.
  for (const k of ['memory', 'cpus'] as const) {
    const r = wanted.reservations[k];
    const l = wanted.limits[k] ?? existing(['resources', 'limits', k], k === 'memory' ? 'mem_limit' : 'cpus');
    const rv = r !== undefined ? amount(r) : undefined;
    const lv = l !== undefined ? amount(l) : undefined;
    if (rv !== undefined && lv !== undefined && rv > lv) delete wanted.reservations[k];
  }
  const n = Object.keys(wanted.limits).length + Object.keys(wanted.reservations).length + (wanted.pids !== undefined ? 1 : 0);
  if (n === 0) return undefined;
  const parts: string[] = [];
  for (const s of ['limits', 'reservations'] as const) {
    const e = Object.entries(wanted[s]);
    if (e.length) parts.push(`${s} ${e.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (wanted.pids !== undefined) parts.push(`pids_limit ${wanted.pids}`);
  // The stated sizes this finding adds (a stated size the service already has is not named).
  const used = SIZE_KEYS.filter((k) => {
    if (!stated?.from.has(k)) return false;
    if (k === 'pids') return wanted.pids !== undefined;
    const [section, key] = k.split('.') as ['limits' | 'reservations', 'cpus' | 'memory'];
    return wanted[section][key] !== undefined;
  });
  const origin = stated && used.length
    ? `${statedWhere(svc.name, stated, used)}, where the repository states its sizes${known || optioned ? `; the rest from the ${family} defaults` : ''}`
    : byImage
    ? 'the `images` option of this codemod'
    : familyOption
      ? `the \`families.${family}\` option of this codemod`
      : m
        ? `the ${family} defaults of ${kbSource(img) ?? ''}`
        : `the defaults for images outside the knowledge base${outside(img)}; tune them to the service`;
  const safety = known || optioned ? 'safe' : 'unsafe';
  const none = Object.keys(wanted.limits).length + (memorySkipped ? 1 : 0) === 2;
  const noMemory = memorySkipped && m
    ? ` No memory limit: ${m.name} keeps its whole data set in memory, so its data, not the server, decides what it needs, and ${unbounded}; a limit below the data set gets it killed, losing what it held since its last save. Set \`${m.memoryBound ?? ''}\` and a memory limit above it by hand, or give its sizes in this codemod's \`images\` option.`
    : '';
  const message = `Service \`${svc.name}\` ${none ? 'has no resource limits: a runaway or attacked process can exhaust the host\'s memory, CPU or process table' : 'has incomplete resource limits'}. Added ${parts.join('; ')} (from ${origin}).${kept.length ? ` Its existing ${kept.join(', ')} ${kept.length > 1 ? 'are' : 'is'} kept.` : ''}${noMemory}`;
  return { view, wanted, deploy: lookup(svc, 'deploy'), message, safety };
}

/** The value to add for `resources`, `limits` or `reservations` when they are absent. */
/** A YAML value as a NewValue (strings, numbers, booleans, lists, maps), or undefined when it holds anything else. */
function plainValue(v: unknown): NewValue | undefined {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    const items = v.map(plainValue);
    return items.every((x) => x !== undefined) ? (items as NewValue[]) : undefined;
  }
  if (v && typeof v === 'object' && !(v instanceof Map)) {
    const out: Record<string, NewValue> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = plainValue(x);
      if (p === undefined) return undefined;
      out[k] = p;
    }
    return out;
  }
  return undefined;
}

const resourcesValue = (w: Wanted): Record<string, NewValue> => {
  const r: Record<string, NewValue> = {};
  if (Object.keys(w.limits).length) r.limits = w.limits;
  if (Object.keys(w.reservations).length) r.reservations = w.reservations;
  return r;
};

function nestedEdits(file: ParsedCompose, svc: ComposeService, deploy: YAMLMap, w: Wanted): Edit[] | string {
  const res = child(svc, deploy, 'resources');
  const value = resourcesValue(w);
  if (Object.keys(value).length === 0) return [];
  if (res === null) return [insertPair(file, svc.doc, deploy, 'resources', value)];
  if (res === 'empty') return [fillEmpty(file, svc.doc, ownPair(deploy, 'resources') as never, value)];
  if (res === 'other') return '`deploy.resources` is not a mapping';
  const edits: Edit[] = [];
  for (const section of ['limits', 'reservations'] as const) {
    const want = w[section];
    if (Object.keys(want).length === 0) continue;
    const s = child(svc, res, section);
    if (s === null) edits.push(insertPair(file, svc.doc, res, section, want));
    else if (s === 'empty') edits.push(fillEmpty(file, svc.doc, ownPair(res, section) as never, want));
    else if (s === 'other') return `\`deploy.resources.${section}\` is not a mapping`;
    else for (const [k, v] of Object.entries(want)) edits.push(insertPair(file, svc.doc, s, k, v));
  }
  return edits;
}

export const composeResourceLimits = defineCodemod({
  id: 'compose-resource-limits',
  fileKinds: ['compose'],
  runIndexes: [STATED_SIZES as RunIndex<unknown>],
  summary: 'Adds `deploy.resources` limits and reservations (cpus, memory) and `pids_limit`, with defaults per image family.',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001', 'seed:003', 'kics:memory-not-limited', 'kics:cpus-not-limited', 'kics:pids-limit-not-set'],
  defaultOptions: {},
  optionsSchema: { type: 'object', additionalProperties: false, properties: { families: { type: 'object', additionalProperties: false, properties: Object.fromEntries([...Object.keys(FAMILY_RESOURCES)].map((f) => [f, PROFILE_SCHEMA])), description: 'Per family (`database`, `cache`, `queue`, `search`, `web`, `proxy`, `monitoring`, `runtime`, `default`), values replacing the defaults: `{ limits: { cpus, memory }, reservations: { cpus, memory }, pids }` (`pids: false` adds no `pids_limit`).' }, images: { type: 'object', additionalProperties: PROFILE_SCHEMA, description: 'The same, per repository (`postgres`, `grafana/grafana`, `ghcr.io/acme/api`), winning over `families`.' } } },
  lookups(file) {
    return buildLookups(file);
  },
  docs: `## What it does
For each service, adds what is missing of:
\`\`\`yaml
    deploy:
      resources:
        limits:
          cpus: "1"
          memory: 512M
        reservations:
          cpus: "0.25"
          memory: 128M
    pids_limit: 256
\`\`\`
with values chosen by the image's family in the knowledge base (\`src/compose/image-kb.ts\`):

| family | images | limits (cpus, memory) | reservations (cpus, memory) | pids_limit |
|---|---|---|---|---|
${FAMILIES.map((f) => {
  const p = FAMILY_RESOURCES[f];
  return `| ${f} | ${f === 'default' ? 'not in the knowledge base' : '(see compose-read-only\'s table)'} | ${p.limits.cpus}, ${p.limits.memory} | ${p.reservations.cpus}, ${p.reservations.memory} | ${p.pids} |`;
}).join('\n')}

**Only for images the knowledge base knows.** The \`runtime\` family (node, python, golang: they run whatever application
they are given) and images outside the knowledge base get no guessed sizes: a \`manual\` finding asks for measured ones
(or the \`images\`/\`families\` options, which count as the maintainer's choice). When another compose file of the same
repository (\`ci/docker-compose.yml\`, \`compose.prod.yaml\`) states a size for a service of the same name (\`mem_limit\`,
\`cpus\`, \`pids_limit\`, \`deploy.resources\`), that size wins over the default: each size comes from the first file, in
path order, that states it, and the finding names the file and line of each. For an image outside the knowledge base
only stated sizes are added, as an unsafe fix (a memory limit it has itself counts: the other stated sizes are still
added). A reservation is never added above the service's limit (the engine rejects it).

**Which sizes are evidence.** The repository is the file's git work tree (the nearest directory up holding \`.git\`);
a file in none belongs to its directory tree (a file in a directory holding the other's). Files of another repository
named in the same run never lend sizes. A size this codemod could have written itself is not evidence: one where it
writes sizes (\`deploy.resources.{limits,reservations}.{cpus,memory}\`, \`pids_limit\`) whose value is the profile it
writes for that service (its family's defaults with the options, any family's for a built image, whose Dockerfile the
run's index does not read), in a service that sets every size (or lacks only what the codemod leaves out: a memory
limit for a server holding its data in memory, a reservation beside a smaller limit), counting what override files in
its directory set. That is harden's own block read back on a later run, or the same guess: it says nothing the
defaults do not. Sizes in the forms only a maintainer writes (\`mem_limit\`, \`cpus\`, \`mem_reservation\`,
\`deploy.resources.limits.pids\`) always are evidence, and so is a lone size equal to a default (harden would have
written the others beside it). A size an earlier run copied from another file has the value of the size it copied,
and lending it lends that value. So a second \`fix\` over the same files changes nothing.

A service built here (\`build:\`) gets the family of its Dockerfile's base image (final stage, or \`build.target\`; see
compose-read-only), and the finding names the Dockerfile and base image; its \`images\` option is keyed by its \`image:\`
name.

Existing settings are kept and never duplicated: a service with \`mem_limit\` gets no \`limits.memory\`, \`cpus\` no
\`limits.cpus\`, \`mem_reservation\` no \`reservations.memory\`, \`pids_limit\` or \`deploy.resources.limits.pids\` no
\`pids_limit\` (compose rejects two different values for the same limit). Keys already under \`deploy.resources\` are kept;
only the missing ones are added there (an existing \`deploy:\` with \`replicas\` gets a \`resources\` entry). Settings in
override files of the same run count as set. A \`deploy\` from an anchor is edited in the anchor only when every service
using it gets the same values; otherwise the finding says to add them by hand (a service's own \`deploy\` would replace the
anchor's whole mapping).

## Why
Without limits one container can take all the host's memory (the kernel's OOM killer then picks any process), all its
CPU, or fork until the process table is full; reservations tell the scheduler what the service needs (seed 001:
"No resource limits … Runaway process → OOM kills container").

## Example
\`\`\`yaml
services:
  db:
    image: postgres:16
\`\`\`
becomes
\`\`\`yaml
services:
  db:
    image: postgres:16
    deploy:
      resources:
        limits:
          cpus: "2"
          memory: 2G
        reservations:
          cpus: "0.5"
          memory: 512M
    pids_limit: 1024
\`\`\`

## Fix safety
Safe for images the knowledge base knows: their family's sizes fit what the image's server does with its defaults
(servers that keep their whole data set in memory, redis and valkey, get a memory limit only when the service's
command bounds the data with \`--maxmemory\` to at most half of it: redis bounds nothing by default, so its data, not the
server, decides what it needs, and a queue or store with \`noeviction\` grows until a limit kills it; the finding says so),
limits only take effect when a service exceeds them, and nothing that \`docker compose config\` accepted is rejected
(no reservation above a limit, no key set twice). A service that really needs more memory than its limit is killed
when it does; tune the values (options below) for heavy services. Sizes taken from another compose file are the
maintainer's (see "Which sizes are evidence": never harden's own guesses read back, never another repository's), and
the finding names where each was stated. Unsafe for sizes copied from another compose file of the repository onto an
image outside the knowledge base (that file may describe a smaller or larger setup); no fix at all without evidence. \`docker-compose\` v1 applies \`deploy.resources\` only with \`--compatibility\`; Compose v2
applies them.

## Example configuration
\`\`\`yaml
# .harden.yaml
codemods:
  compose-resource-limits:
    options:
      families: { database: { limits: { memory: 4G } } }
      images: { "ghcr.io/acme/api": { limits: { cpus: 2, memory: 1G }, pids: 512 } }
\`\`\`
`,
  run(ctx) {
    const file = ctx.file;
    const all = services(file);
    const planned = serviceViews(ctx).filter((v) => !v.skip).map((v) => plan(ctx, v)).filter((p): p is Plan => p !== undefined);
    // A service extending one that gets limits in this run inherits them (compose merges deploy across extends).
    const plans = planned.flatMap((p): Plan[] => {
      const inherited = extendedPlans(p.view.svc, planned);
      if (inherited.length === 0) return [p];
      const w: Wanted = { limits: { ...p.wanted.limits }, reservations: { ...p.wanted.reservations } };
      for (const q of inherited) {
        for (const k of Object.keys(q.wanted.limits)) delete w.limits[k];
        for (const k of Object.keys(q.wanted.reservations)) delete w.reservations[k];
      }
      if (p.wanted.pids !== undefined && !inherited.some((q) => q.wanted.pids !== undefined)) w.pids = p.wanted.pids;
      const n = Object.keys(w.limits).length + Object.keys(w.reservations).length + (w.pids !== undefined ? 1 : 0);
      return n === 0 ? [] : [{ ...p, wanted: w }];
    });
    const planOf = (s: ComposeService): Plan | undefined => plans.find((p) => p.view.svc.keyNode === s.keyNode);
    const key = (w: Wanted) => JSON.stringify(w);
    const done = new Set<unknown>();
    for (const p of plans) {
      const { svc } = p.view;
      const w = p.wanted;
      const edits: Edit[] = [];
      const pairs: [string, NewValue][] = [];
      const aliasNote = aliasAnchorNote(ctx, svc, all, (s) => { const q = planOf(s); return q !== undefined && key(q.wanted) === key(w); }, p.message.replace(/ Added .*/, ''), done);
      if (aliasNote === undefined) continue;
      let note = aliasNote;
      const d = p.deploy;
      const dv = d ? resolveNode(svc.doc, d.value) : null;
      const res = resourcesValue(w);
      const hasRes = Object.keys(res).length > 0;
      let problem: string | undefined;
      if (!d || d.via === 'extends') {
        if (hasRes) pairs.push(['deploy', { resources: res }]);
      } else if (dv === null || (isScalar(dv) && dv.value === null)) {
        if (hasRes) edits.push(fillEmpty(file, svc.doc, d.pair, { resources: res }));
      } else if (!isMap(dv)) {
        problem = 'its `deploy` is not a mapping';
      } else if (d.shared && d.owner !== svc.node) {
        if (hasRes) {
          const same = servicesUsing(all, d.owner).every((s) => { const q = planOf(s); return q !== undefined && q.deploy?.value === d.value && key({ ...q.wanted, pids: 0 }) === key({ ...w, pids: 0 }); });
          if (!same) {
            // The service's own `deploy` replaces the anchor's (merge keys do not merge nested maps): copy its entries.
            const copy = plainValue(dv.toJS(svc.doc));
            if (copy === undefined || typeof copy !== 'object' || Array.isArray(copy)) problem = 'its `deploy` comes from an anchor other services use with different needs, and it cannot be copied; add the resources by hand';
            else {
              const c = copy as Record<string, NewValue>;
              const r = (c.resources && typeof c.resources === 'object' && !Array.isArray(c.resources) ? c.resources : {}) as Record<string, NewValue>;
              const mergedRes: Record<string, NewValue> = { ...r };
              for (const sec of ['limits', 'reservations'] as const) {
                const cur = (r[sec] && typeof r[sec] === 'object' ? r[sec] : {}) as Record<string, NewValue>;
                if (Object.keys(w[sec]).length) mergedRes[sec] = { ...cur, ...w[sec] };
              }
              pairs.push(['deploy', { ...c, resources: mergedRes }]);
              note += ` Its own \`deploy\` copies the anchor's entries (${sharedWhere(d) ?? 'a shared definition'} is used by services that need other values).`;
            }
          } else if (!done.has(dv)) {
            done.add(dv);
            const n = nestedEdits(file, svc, dv, w);
            if (typeof n === 'string') problem = n;
            else {
              edits.push(...n);
              note += ' The resources were added to the shared `deploy` mapping: every service using it gets the same values.';
            }
          }
        }
      } else if (hasRes) {
        const n = nestedEdits(file, svc, dv, w);
        if (typeof n === 'string') problem = n;
        else edits.push(...n);
      }
      if (problem) {
        ctx.report({ range: rangeOf(svc.keyNode), message: `${p.message.replace(/ Added .*/, '')} Not changed: ${problem}.` });
        continue;
      }
      if (w.pids !== undefined) pairs.push(['pids_limit', w.pids]);
      if (pairs.length) edits.push(insertPairs(file, svc, svc.node, pairs));
      if (edits.length === 0) continue;
      ctx.report({ range: rangeOf(svc.keyNode), message: p.message + note, fix: fix('Add resource limits', p.safety, mergeInsertions(edits)) });
    }
  },
});
