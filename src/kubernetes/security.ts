/**
 * The securityContext decisions shared by k8s-no-privilege-escalation (safe: allowPrivilegeEscalation, runAsNonRoot
 * with the uid the image runs as) and k8s-security-context (unsafe: capabilities, read-only root with emptyDir volumes,
 * seccomp): each from the evidence of src/kubernetes/evidence.ts, each finding naming it.
 */
import { isMap, isScalar, type YAMLMap } from 'yaml';
import { fix } from '../engine/edits.js';
import type { CodemodContext, Edit, ParsedKubernetes } from '../engine/types.js';
import { mergeInsertions } from '../compose/hardening.js';
import { scalarText } from '../compose/scalars.js';
import { capabilityNeeds, privilegeGainNeeds, SCRATCH_DIRS } from '../evidence/index.js';
import { containerFacts, type ContainerFacts } from './evidence.js';
import { ensure, extendList } from './edits.js';
import { boolValue, get, stringList, workloads, type Workload } from './workloads.js';
import { kustomizationsOf } from './images.js';

/** Capabilities an entrypoint needs only to chown files and switch from root to another user. */
const USER_SWITCH = new Set(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID']);
const capName = (c: string): string => c.trim().toUpperCase().replace(/^CAP_/, '');
const norm = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);
const covered = (path: string, mounts: readonly { path: string; writable: boolean }[]): boolean => {
  const p = norm(path);
  const cover = mounts.filter((m) => p === m.path || p.startsWith(m.path === '/' ? '/' : `${m.path}/`)).sort((a, b) => b.path.length - a.path.length)[0];
  return cover?.writable === true;
};
const slug = (p: string): string => p.replace(/^\/+|\/+$/g, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase() || 'root';

export function who(f: ContainerFacts): string {
  const kind = f.container.list === 'initContainers' ? 'init container' : 'container';
  return `${f.workload.label} ${kind} \`${f.container.name}\``;
}

export function sources(f: ContainerFacts): string {
  const parts = [f.local?.describe, f.kb ? `knowledge base entry ${f.kb.name}` : undefined, ...f.evidence.read];
  const uniq = [...new Set(parts.filter((p): p is string => !!p))];
  return uniq.length ? ` (from ${uniq.join('; ')})` : '';
}

function noEvidence(f: ContainerFacts): string {
  if (!f.ref) return 'its image is not a literal reference';
  const cfg = f.config ? '' : ` (image config not available: ${f.configMissing ?? 'not looked up'})`;
  if (f.kb?.appDependent) return `${f.kb.name} runs whatever application it is given${cfg}`;
  return `\`${f.ref}\` is not in the knowledge base${cfg}`;
}

export interface ContainerPlan {
  safe: [string, unknown][];
  safeWhy: string[];
  /** `allowPrivilegeEscalation: false` when the evidence does not show it safe: a fix of its own, unsafe. */
  escalation?: { pair: [string, unknown]; why: string };
  unsafe: [string, unknown][];
  unsafeWhy: string[];
  /** Extra items for the container's `capabilities.add` when it already has one. */
  capAddExisting: string[];
  mounts: { name: string; path: string }[];
}

/** What to add to one container: `part` 'safe' covers privilege escalation and the non-root user, 'unsafe' capabilities and the read-only root. */
export function planContainer(ctx: CodemodContext, f: ContainerFacts, podVolumeNames: Set<string>, several: boolean, part: 'safe' | 'unsafe'): ContainerPlan {
  const doc = f.workload.doc;
  const sc = f.sc;
  const has = (m: YAMLMap | undefined, k: string) => get(doc, m, k) !== undefined;
  const p: ContainerPlan = { safe: [], safeWhy: [], unsafe: [], unsafeWhy: [], capAddExisting: [], mounts: [] };
  const privileged = boolValue(get(doc, sc, 'privileged')) === true;
  const caps = get(doc, sc, 'capabilities');
  const adds = stringList(doc, get(doc, caps, 'add')).map(capName);
  const drops = stringList(doc, get(doc, caps, 'drop')).map(capName);
  if (privileged) return p; // a privileged container gets everything anyway: reported by k8s-dangerous-options
  // allowPrivilegeEscalation: false — not with privileged or CAP_SYS_ADMIN, which Kubernetes rejects together with it.
  if (part === 'safe' && !has(sc, 'allowPrivilegeEscalation') && !privileged && !adds.includes('SYS_ADMIN') && !adds.includes('ALL')) {
    const kb = f.kb;
    const n = privilegeGainNeeds(f.evidence, {
      ...(kb ? { kb: { name: kb.name, runsAsRoot: kb.runsAsRoot, ...(kb.appDependent ? { appDependent: true } : {}), ...(kb.privilegeGain ? { privilegeGain: kb.privilegeGain } : {}) } } : {}),
      ...(!kb || kb.appDependent ? { unknown: noEvidence(f) } : {}),
      optOut: '`allowPrivilegeEscalation: true`',
    });
    const what = 'allowPrivilegeEscalation: false (setuid binaries and file capabilities can no longer raise privileges';
    if (n.none) {
      p.safe.push(['allowPrivilegeEscalation', false]);
      p.safeWhy.push(`${what}; safe: ${n.because})`);
    } else p.escalation = { pair: ['allowPrivilegeEscalation', false], why: `${what}; unsafe: ${n.because}; ${n.check ?? ''})` };
  }

  // runAsNonRoot + runAsUser: only the uid the image already runs as.
  const setUser = has(sc, 'runAsUser') || has(sc, 'runAsNonRoot') || has(f.podSc, 'runAsUser') || has(f.podSc, 'runAsNonRoot');
  if (part === 'safe' && !setUser) {
    if (f.uid && f.uid.uid !== 0) {
      p.safe.push(['runAsNonRoot', true], ['runAsUser', f.uid.uid]);
      p.safeWhy.push(`runAsNonRoot with runAsUser: ${f.uid.uid}, the user it already runs as (${f.uid.source})`);
    } else {
      const user = f.config ? f.config.config.user ?? '' : undefined;
      const drop = f.evidence.privilegeDrops[0];
      const why =
        user === undefined
          ? `which user it runs as is not known (${noEvidence(f)})`
          : user === '' || user.split(':')[0] === 'root' || user.split(':')[0] === '0'
            ? `the image runs as root (${f.config?.describe ?? 'image config'}: User ${user === '' ? 'not set' : `\`${user}\``})${drop ? `, and its entrypoint switches user itself (${drop.source})` : ''}`
            : `its user \`${user}\` could not be turned into a uid (the image's /etc/passwd was not read)`;
      ctx.report({
        range: f.container.range,
        severity: 'info',
        message: `${who(f)}: runAsNonRoot not added: ${why}. Check that the image works as a non-root uid (many official images do when their data directories are writable by it, e.g. with fsGroup), then set runAsNonRoot: true with that runAsUser.`,
      });
    }
  }

  // capabilities: drop ALL, add back what the evidence says it needs.
  if (part === 'unsafe' && !drops.includes('ALL') && !adds.includes('ALL')) {
    const needs = capabilityNeeds(f.evidence);
    const kbKnown = f.kb && !f.kb.appDependent ? f.kb : undefined;
    const nonRoot = f.evidence.user?.root === false;
    let needed: string[] | undefined;
    let because = '';
    if (f.local?.facts.capAdd) {
      needed = [...f.local.facts.capAdd];
      because = f.local.describe;
    } else if (needs.decided || kbKnown) {
      const kbCaps = kbKnown ? kbKnown.capAdd.filter((c) => !(nonRoot && USER_SWITCH.has(c))) : [];
      needed = [...new Set([...(needs.decided ? needs.caps : []), ...kbCaps])];
      because = [...(needs.decided ? needs.because : []), ...(kbKnown ? [kbCaps.length ? `what ${kbKnown.name} needs (knowledge base)` : `${kbKnown.name} needs none (knowledge base)`] : [])].join('; ');
    }
    if (needed) {
      needed.sort();
      const missing = needed.filter((c) => !adds.includes(c));
      if (caps !== undefined && isMap(caps)) {
        p.unsafe.push(['capabilities.drop', ['ALL']]);
        p.capAddExisting = missing;
      } else p.unsafe.push(['capabilities', missing.length ? { drop: ['ALL'], add: missing } : { drop: ['ALL'] }]);
      p.unsafeWhy.push(`capabilities: dropped ALL${needed.length ? `, added back ${needed.join(', ')}` : ', none added back'} (${because})${adds.length ? `; its existing add (${adds.join(', ')}) is kept` : ''}`);
    } else {
      ctx.report({
        range: f.container.range,
        severity: 'warning',
        message: `${who(f)}: runs with the runtime's default capabilities; not dropped, no evidence of what it needs: ${(needs.check ?? noEvidence(f)).replace(/add `cap_drop: \[ALL\]` with those in `cap_add`/, 'add `capabilities: {drop: [ALL], add: [those]}` to its securityContext')}.`,
      });
    }
  }

  // readOnlyRootFilesystem with emptyDir volumes for what it writes.
  if (part === 'unsafe' && !has(sc, 'readOnlyRootFilesystem')) {
    const kb = f.kb;
    if (kb?.readOnly) {
      ctx.report({ range: f.container.range, severity: 'info', message: `${who(f)}: not made read-only: ${kb.readOnly.reason} (knowledge base entry ${kb.name}).` });
      return p;
    }
    const known = f.local !== undefined || (kb !== undefined && !kb.appDependent);
    if (!known) {
      ctx.report({
        range: f.container.range,
        severity: 'warning',
        message: `${who(f)}: runs with a writable root filesystem; readOnlyRootFilesystem not added: the paths it writes are not known (${noEvidence(f)}). Find where it writes (logs, caches, uploads), then add readOnlyRootFilesystem: true with emptyDir (or persistent) volumes there, or describe the image in this codemod's \`images\` option.`,
      });
      return p;
    }
    const data = (kb?.data ?? []).filter((d) => !covered(d, f.mounts));
    if (data.length) {
      ctx.report({
        range: f.container.range,
        severity: 'warning',
        message: `${who(f)}: keeps its state in ${data.join(', ')}, which is not a volume: mount a PersistentVolumeClaim there, then a read-only root filesystem can be added (knowledge base entry ${kb?.name ?? ''}).`,
      });
      return p;
    }
    const imageVolumes = f.config?.config.volumes ?? kb?.volumes ?? [];
    const needed = ['/tmp', ...(f.local?.facts.writable ?? []), ...(kb && !kb.appDependent ? kb.writable : []), ...imageVolumes];
    const blockers: string[] = [];
    for (const w of f.evidence.writes) {
      const path = w.fact.path;
      if (path === undefined || path.startsWith('$HOME')) {
        if (path === undefined || !covered(path, f.mounts)) blockers.push(w.source);
        continue;
      }
      const scratch = SCRATCH_DIRS.exec(path)?.[0];
      if (scratch) needed.push(norm(scratch));
      else if (!covered(path, f.mounts) && !needed.some((n) => covered(path, [{ path: n, writable: true }]))) blockers.push(w.source);
    }
    if (blockers.length) {
      ctx.report({
        range: f.container.range,
        severity: 'warning',
        message: `${who(f)}: readOnlyRootFilesystem not added: it writes outside its volumes at start-up (${blockers.join('; ')}). Mount a volume there (an emptyDir would hide what the image keeps at that path), then add it.`,
      });
      return p;
    }
    const missing = [...new Set(needed.map(norm))].filter((n) => !covered(n, f.mounts));
    for (const path of missing) {
      let name = (several ? `${f.container.name}-${slug(path)}` : slug(path)).slice(0, 63).replace(/-+$/, '');
      for (let i = 2; podVolumeNames.has(name); i++) name = `${name.replace(/-\d+$/, '')}-${i}`;
      podVolumeNames.add(name);
      p.mounts.push({ name, path });
    }
    p.unsafe.push(['readOnlyRootFilesystem', true]);
    const lost = missing.filter((m) => imageVolumes.some((v) => norm(v) === m));
    p.unsafeWhy.push(`readOnlyRootFilesystem${p.mounts.length ? `, with emptyDir volumes at ${p.mounts.map((m) => m.path).join(', ')}` : ''}${lost.length ? ` (${lost.join(', ')}: a VOLUME of the image; mount a PersistentVolumeClaim there to keep its data beyond the pod)` : ''}`);
  }
  return p;
}

export function containerEdits(file: ParsedKubernetes, f: ContainerFacts, pairs: [string, unknown][], capAddExisting: string[]): Edit[] {
  const doc = f.workload.doc;
  const scPairs = pairs.filter(([k]) => !k.includes('.')) as [string, never][];
  const edits: Edit[] = [...ensure(file, doc, f.container.node, 'securityContext', scPairs)];
  if (pairs.some(([k]) => k === 'capabilities.drop')) {
    const caps = get(doc, f.sc, 'capabilities') as YAMLMap;
    edits.push(...extendList(file, doc, caps, 'drop', ['ALL']));
    if (capAddExisting.length) edits.push(...extendList(file, doc, caps, 'add', capAddExisting));
  }
  return edits;
}

export function podSeccomp(ctx: CodemodContext, file: ParsedKubernetes, w: Workload): void {
  const doc = w.doc;
  const podSc = get(doc, w.podSpec, 'securityContext');
  if (get(doc, podSc, 'seccompProfile') !== undefined) return;
  if (w.containers.some((c) => get(doc, get(doc, c.node, 'securityContext'), 'seccompProfile') !== undefined)) return;
  const root = doc.contents as YAMLMap;
  const ann = get(doc, get(doc, root, 'metadata'), 'annotations');
  if (isMap(ann) && ann.items.some((p) => isScalar(p.key) && String(p.key.value).startsWith('seccomp.security.alpha.kubernetes.io'))) return;
  const message = `${w.label}: its pods run without a seccomp profile (Kubernetes' default is Unconfined): added seccompProfile RuntimeDefault, the container runtime's default filter (the one Docker applies to every container).`;
  let edits: Edit[];
  try {
    edits = ensure(file, doc, w.podSpec, 'securityContext', [['seccompProfile', { type: 'RuntimeDefault' }]]);
  } catch (e) {
    ctx.report({ range: w.range, message: `${message.replace('added', 'add')} Not changed: ${(e as Error).message}.` });
    return;
  }
  ctx.report({ range: w.range, message, fix: fix('Add seccompProfile RuntimeDefault', 'unsafe', edits) });
}


/** Runs one part of the securityContext hardening over a manifest. */
export function runSecurityContext(ctx: CodemodContext<ParsedKubernetes>, part: 'safe' | 'unsafe'): void {
  const file = ctx.file;
  if (kustomizationsOf(file, ctx.project.files).some((k) => k.patch)) {
    ctx.report({ range: { start: 0, end: 0 }, severity: 'info', message: `${file.path} is a patch of a kustomization of this run: partial manifests are not hardened (the resources it patches are).` });
    return;
  }
  const facts = containerFacts(file, ctx.global, ctx.answers, ctx.options);
  for (const w of workloads(file)) {
    const doc = w.doc;
    const mine = facts.filter((f) => f.workload.podSpec === w.podSpec);
    const volumes = get(doc, w.podSpec, 'volumes');
    const names = new Set<string>();
    if (volumes && 'items' in volumes) {
      for (const it of (volumes as { items: unknown[] }).items) {
        const n = scalarText(get(doc, it, 'name'));
        if (n) names.add(n);
      }
    }
    const several = mine.length > 1;
    for (const f of mine) {
      const p = planContainer(ctx, f, names, several, part);
      if (p.escalation) {
        // Its own fix: a run of safe fixes still gets runAsNonRoot (a second fix, applied on the next pass when both
        // create the securityContext).
        const message = `${who(f)}: added ${p.escalation.why}.`;
        try {
          ctx.report({ range: f.container.range, message, fix: fix('Forbid privilege escalation', 'unsafe', mergeInsertions(containerEdits(file, f, [p.escalation.pair], []))) });
        } catch (e) {
          ctx.report({ range: f.container.range, message: `${message} Not changed: ${(e as Error).message}.` });
        }
      }
      const why = part === 'safe' ? p.safeWhy : p.unsafeWhy;
      const pairs = part === 'safe' ? p.safe : p.unsafe;
      if (!pairs.length) continue;
      const message = `${who(f)}: added ${why.join('; ')}${part === 'unsafe' ? sources(f) : ''}.`;
      try {
        const edits = containerEdits(file, f, pairs, p.capAddExisting);
        if (p.mounts.length) {
          edits.push(...extendList(file, doc, f.container.node, 'volumeMounts', p.mounts.map((m) => ({ name: m.name, mountPath: m.path }))));
          edits.push(...extendList(file, doc, w.podSpec, 'volumes', p.mounts.map((m) => ({ name: m.name, emptyDir: {} }))));
        }
        const title = part === 'safe' ? 'Forbid privilege escalation and state the non-root user the image runs as' : 'Drop capabilities and make the root filesystem read-only, with what the image needs';
        ctx.report({ range: f.container.range, message, fix: fix(title, part, mergeInsertions(edits)) });
      } catch (e) {
        ctx.report({ range: f.container.range, message: `${message} Not changed: ${(e as Error).message}.` });
      }
    }
    if (part === 'unsafe' && mine.some((f) => boolValue(get(doc, f.sc, 'privileged')) !== true)) podSeccomp(ctx, file, w);
  }
}
