/**
 * What the Kubernetes runtime-hardening codemods know about one container, from the same sources as the compose ones:
 * the knowledge base of official images (src/compose/image-kb.ts), the image config read from the registry, the
 * entrypoint script read from the image's layers (src/evidence), the image's /etc/passwd (to turn a user name into the
 * uid `runAsUser` needs), and the container's own `command`/`args`, `securityContext`, `volumeMounts` and `ports`.
 * A project can describe its own images with the codemods' `images` option (a local knowledge-base entry).
 */
import type { KeyOf } from '../engine/lookups.js';
import { isMap, isSeq, type YAMLMap } from 'yaml';
import type { Answers, GlobalSettings, ImageConfigAnswer, LookupKey, ParsedKubernetes } from '../engine/types.js';
import { matchImage, type KbMatch } from '../compose/image-kb.js';
import { resolveNode } from '../compose/services.js';
import { scalarText } from '../compose/scalars.js';
import { entrypointFile, entrypointFileKey, gatherEvidence, startedProcess, type RuntimeEvidence } from '../evidence/index.js';
import { boolValue, get, stringList, workloads, type K8sContainer, type Workload } from './workloads.js';

/** A project's own description of one of its images (the `images` option), keyed by repository. */
export interface LocalImageFacts {
  /** Paths the application writes (emptyDir volumes under a read-only root). */
  writable?: readonly string[];
  /** Capabilities it needs after dropping ALL. */
  capAdd?: readonly string[];
}

export interface ContainerFacts {
  workload: Workload;
  container: K8sContainer;
  /** The literal image reference, when there is one. */
  ref?: string;
  kb?: KbMatch;
  local?: { facts: LocalImageFacts; describe: string };
  config?: { config: ImageConfigAnswer; describe: string };
  configMissing?: string;
  evidence: RuntimeEvidence;
  /** The uid the image's user maps to, with where that came from. */
  uid?: { uid: number; source: string };
  /** The container's and the pod's securityContext mappings. */
  sc?: YAMLMap;
  podSc?: YAMLMap;
  /** Container paths mounted from volumes (`readOnly: true` ones are not writable). */
  mounts: { path: string; writable: boolean }[];
  ports: number[];
}

const literalRef = (c: K8sContainer): string | undefined => {
  const v = c.image?.value;
  return typeof v === 'string' && v !== '' && !v.includes('$') && !/\s/.test(v) ? v : undefined;
};

const configKey = (ref: string, global: GlobalSettings): KeyOf<'image-config'> => ({ kind: 'image-config', ref, ...(global.platform ? { platform: global.platform } : {}) });
const passwdKey = (ref: string, global: GlobalSettings): KeyOf<'image-file'> => ({ kind: 'image-file', ref, ...(global.platform ? { platform: global.platform } : {}), paths: ['/etc/passwd'] });

function overrides(doc: ParsedKubernetes['docs'][number], c: K8sContainer): { entrypoint?: string[]; command?: string[] } {
  const o: { entrypoint?: string[]; command?: string[] } = {};
  const cmd = get(doc, c.node, 'command');
  const args = get(doc, c.node, 'args');
  if (isSeq(cmd)) o.entrypoint = stringList(doc, cmd);
  if (isSeq(args)) o.command = stringList(doc, args);
  return o;
}

const isNumericUser = (u: string): boolean => /^\d+(?::\d+)?$/.test(u);

/** image-config lookups, then (once answered) the entrypoint file and /etc/passwd, for every container image. */
export function containerLookups(file: ParsedKubernetes, global: GlobalSettings, answers: Answers | undefined): LookupKey[] {
  const keys = new Map<string, LookupKey>();
  const add = (k: LookupKey) => keys.set(JSON.stringify(k), k);
  for (const w of workloads(file)) {
    for (const c of w.containers) {
      const ref = literalRef(c);
      if (!ref) continue;
      add(configKey(ref, global));
      const a = answers?.get(configKey(ref, global));
      if (!a || !('ok' in a)) continue;
      const proc = startedProcess(a.ok, overrides(w.doc, c));
      const ep = entrypointFile(proc.argv, a.ok);
      if (ep) add(entrypointFileKey(ref, global.platform, ep.paths));
      const user = (a.ok.user ?? '').split(':')[0] ?? '';
      if (user !== '' && !isNumericUser(user) && user !== 'root') add(passwdKey(ref, global));
    }
  }
  return [...keys.values()];
}

function mountsOf(doc: ParsedKubernetes['docs'][number], c: K8sContainer): { path: string; writable: boolean }[] {
  const vm = get(doc, c.node, 'volumeMounts');
  if (!isSeq(vm)) return [];
  return vm.items.flatMap((it) => {
    const m = resolveNode(doc, it);
    const path = scalarText(get(doc, m, 'mountPath'));
    if (!path?.startsWith('/')) return [];
    return [{ path: path.length > 1 ? path.replace(/\/+$/, '') : path, writable: boolValue(get(doc, m, 'readOnly')) !== true }];
  });
}

function portsOf(doc: ParsedKubernetes['docs'][number], c: K8sContainer): number[] {
  const ps = get(doc, c.node, 'ports');
  if (!isSeq(ps)) return [];
  return ps.items.flatMap((it) => {
    const n = Number(scalarText(get(doc, resolveNode(doc, it), 'containerPort')));
    return Number.isInteger(n) ? [n] : [];
  });
}

/** The uid of `user` in an /etc/passwd text. */
function passwdUid(text: string, user: string): number | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return undefined;
}

/** The local knowledge-base entry of the `images` option for a reference (matched by repository, with or without tag). */
export function localFacts(options: Readonly<Record<string, unknown>>, ref: string | undefined): { facts: LocalImageFacts; describe: string } | undefined {
  const images = options.images;
  if (!ref || !images || typeof images !== 'object') return undefined;
  const repo = ref.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
  for (const key of [ref.replace(/@.*$/, ''), repo]) {
    const e = (images as Record<string, unknown>)[key];
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      const strs = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
      const facts: LocalImageFacts = {};
      const w = strs(o.writable);
      const c = strs(o.capAdd);
      if (w) facts.writable = w;
      if (c) facts.capAdd = c.map((x) => x.toUpperCase().replace(/^CAP_/, ''));
      return { facts, describe: `the project's own entry for ${key} (option \`images\`)` };
    }
  }
  return undefined;
}

/** Everything known about each container of the file (the shell parser must be loaded). */
export function containerFacts(
  file: ParsedKubernetes,
  global: GlobalSettings,
  answers: Answers,
  options: Readonly<Record<string, unknown>>,
  lists: readonly K8sContainer['list'][] = ['containers', 'initContainers'],
): ContainerFacts[] {
  const out: ContainerFacts[] = [];
  for (const w of workloads(file)) {
    const podSc = get(w.doc, w.podSpec, 'securityContext');
    for (const c of w.containers) {
      if (!lists.includes(c.list)) continue;
      const ref = literalRef(c);
      const f: Omit<ContainerFacts, 'evidence'> = { workload: w, container: c, mounts: mountsOf(w.doc, c), ports: portsOf(w.doc, c) };
      const sc = get(w.doc, c.node, 'securityContext');
      if (isMap(sc)) f.sc = sc;
      if (isMap(podSc)) f.podSc = podSc;
      let entry: { path: string | null; content: string | null } | { missing: string } | undefined;
      if (ref) {
        f.ref = ref;
        const kb = matchImage(ref);
        if (kb) f.kb = kb;
        const local = localFacts(options, ref);
        if (local) f.local = local;
        const a = answers.get(configKey(ref, global));
        if (a && 'ok' in a) {
          f.config = { config: a.ok, describe: `the image config of ${ref}${a.source ? ` (${a.source})` : ''}` };
          const ep = entrypointFile(startedProcess(a.ok, overrides(w.doc, c)).argv, a.ok);
          if (ep) {
            const ea = answers.get(entrypointFileKey(ref, global.platform, ep.paths));
            entry = !ea ? { missing: 'not looked up' } : 'error' in ea ? { missing: ea.error.code } : ea.ok;
          }
          const user = (a.ok.user ?? '').split(':')[0] ?? '';
          if (isNumericUser(user)) f.uid = { uid: Number(user), source: `the image config's User \`${a.ok.user ?? ''}\`` };
          else if (user !== '' && user !== 'root') {
            const pa = answers.get(passwdKey(ref, global));
            const text = pa && 'ok' in pa ? pa.ok.content : null;
            const uid = text ? passwdUid(text, user) : undefined;
            if (uid !== undefined) f.uid = { uid, source: `user \`${user}\` of the image config is uid ${uid} in the image's /etc/passwd` };
          }
        } else f.configMissing = !a ? 'not looked up' : a.error.code;
      }
      const runAsUser = scalarText(get(w.doc, f.sc, 'runAsUser')) ?? scalarText(get(w.doc, f.podSc, 'runAsUser'));
      const evidence = gatherEvidence({
        ...(f.config ? { config: f.config } : {}),
        overrides: { ...overrides(w.doc, c), entrypointDescribe: 'the container\'s `command`', commandDescribe: 'the container\'s `args`' },
        ...(runAsUser !== undefined ? { user: { value: runAsUser, describe: 'the `runAsUser` of its securityContext' } } : {}),
        ...(entry ? { entrypointFile: entry } : {}),
        ports: f.ports.map((p) => ({ port: p, describe: `its containerPort ${p}` })),
      });
      out.push({ ...f, evidence });
    }
  }
  return out;
}
