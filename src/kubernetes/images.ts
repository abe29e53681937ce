/**
 * Image references of Kubernetes files, for pin-image-digest:
 * - manifests: `image:` of every container, init container and ephemeral container of each workload;
 * - `kustomization.yaml`: the `images:` overrides (`name`, `newName`, `newTag`, `digest`), whose `digest` wins over the
 *   manifests' tags when kustomize builds; manifests of the same run a kustomization overrides are left to it;
 * - a Helm chart's `values.yaml`: mappings shaped `image: {repository, tag}` (with `registry:` and `digest:` when the
 *   chart has them), anywhere in the tree.
 */
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Document, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { ParsedFile, ParsedKubernetes, Range } from '../engine/types.js';
import { resolveNode } from '../compose/services.js';
import { rangeOf, scalarSource, scalarText } from '../compose/scalars.js';
import { imageRepository } from '../compose/image-kb.js';
import { get, workloads, type K8sContainer, type Workload } from './workloads.js';

export type KubernetesFileRole = 'manifest' | 'kustomization' | 'helm-values';

const KUSTOMIZE_KEYS = ['resources', 'bases', 'images', 'patches', 'patchesStrategicMerge', 'components', 'configMapGenerator', 'namePrefix'];

/**
 * What a Kubernetes file is (discovery already decided it is one): a kustomization (`kind: Kustomization`, or a
 * top level of Kustomize keys without `apiVersion`), a manifest (any document with `apiVersion` and `kind`), else a
 * Helm values file.
 */
export function kubernetesRole(file: ParsedKubernetes): KubernetesFileRole {
  const roots: YAMLMap[] = file.docs.flatMap((d) => (isMap(d.contents) ? [d.contents as YAMLMap] : []));
  const key = (m: YAMLMap, k: string) => m.items.some((p) => isScalar(p.key) && p.key.value === k);
  const value = (m: YAMLMap, k: string) => scalarText(m.items.find((p) => isScalar(p.key) && p.key.value === k)?.value);
  if (roots.some((r) => value(r, 'kind') === 'Kustomization' || (!key(r, 'apiVersion') && KUSTOMIZE_KEYS.some((k) => key(r, k))))) return 'kustomization';
  if (roots.some((r) => key(r, 'apiVersion') && key(r, 'kind'))) return 'manifest';
  return 'helm-values';
}

/**
 * Whether a Kubernetes file's text may make it a kustomization (`kubernetesRole`), before parsing it: false only when
 * it names no `Kustomization` and no kustomize key starts a line (a top-level key) or a flow mapping.
 */
export function mayBeKustomization(text: string): boolean {
  return text.includes('Kustomization') || KUSTOMIZE_LINE.test(text) || /^\s*\{/m.test(text);
}
const KUSTOMIZE_LINE = new RegExp(`^["']?(?:${KUSTOMIZE_KEYS.join('|')})["']?\\s*:`, 'm');

export interface ManifestImage {
  workload: Workload;
  container: K8sContainer;
  scalar: Scalar;
  raw: string;
  range: Range;
  /** The editable text of the scalar (between quotes), when it spells the value without escapes. */
  region?: { range: Range; prefix: string; text: string };
}

/** Container images of a manifest, one per `image:` scalar. */
export function manifestImages(file: ParsedKubernetes): ManifestImage[] {
  const out: ManifestImage[] = [];
  for (const w of workloads(file)) {
    for (const c of w.containers) {
      const s = c.image;
      if (!s || typeof s.value !== 'string' || s.value === '') continue;
      const src = scalarSource(file.text, s);
      const m: ManifestImage = { workload: w, container: c, scalar: s, raw: s.value, range: rangeOf(s) };
      if (src) m.region = { range: src.range, prefix: '', text: s.value };
      out.push(m);
    }
  }
  return out;
}

export interface KustomizeImage {
  doc: Document.Parsed;
  entry: YAMLMap;
  /** `name:`: the image name it overrides in the manifests. */
  name: string;
  /** The reference kustomize produces (newName or name, and newTag). */
  ref: string;
  digest?: Scalar;
  range: Range;
}

/** The `images:` entries of a kustomization. */
export function kustomizeImages(file: ParsedKubernetes): KustomizeImage[] {
  const out: KustomizeImage[] = [];
  for (const doc of file.docs) {
    const imgs = get(doc, doc.contents, 'images');
    if (!isSeq(imgs)) continue;
    for (const it of imgs.items) {
      const e = resolveNode(doc, it);
      if (!isMap(e)) continue;
      const name = scalarText(get(doc, e, 'name'));
      if (!name) continue;
      const newName = scalarText(get(doc, e, 'newName'));
      const newTag = scalarText(get(doc, e, 'newTag'));
      const d = get(doc, e, 'digest');
      const k: KustomizeImage = { doc, entry: e, name, ref: `${newName ?? name}${newTag !== undefined ? `:${newTag}` : ''}`, range: rangeOf(get(doc, e, 'name')) };
      if (isScalar(d)) k.digest = d;
      out.push(k);
    }
  }
  return out;
}

/** The `resources:` (and `bases:`) of a kustomization, as absolute paths; `patches*` files separately. */
export function kustomizeFiles(file: ParsedKubernetes): { resources: string[]; patches: string[] } {
  const resources: string[] = [];
  const patches: string[] = [];
  if (!file.absPath) return { resources, patches };
  const dir = dirname(file.absPath);
  for (const doc of file.docs) {
    const list = (key: string): string[] => {
      const v = get(doc, doc.contents, key);
      if (!isSeq(v)) return [];
      return v.items.flatMap((i) => {
        const n = resolveNode(doc, i);
        const s = scalarText(n) ?? scalarText(get(doc, n, 'path'));
        return s && !/^[a-z]+:\/\//i.test(s) ? [resolve(dir, s)] : [];
      });
    };
    resources.push(...list('resources'), ...list('bases'));
    patches.push(...list('patchesStrategicMerge'), ...list('patches'));
  }
  return { resources, patches };
}

/** The kustomization of this run that lists `file` under resources, directly or through a directory it names. */
export function kustomizationsOf(file: ParsedFile, project: readonly ParsedFile[]): { kustomization: ParsedKubernetes; patch: boolean }[] {
  if (!file.absPath) return [];
  const abs = file.absPath;
  const out: { kustomization: ParsedKubernetes; patch: boolean }[] = [];
  for (const k of project) {
    if (k.kind !== 'kubernetes' || !k.absPath || kubernetesRole(k) !== 'kustomization') continue;
    const { resources, patches } = kustomizeFiles(k);
    if (patches.includes(abs)) out.push({ kustomization: k, patch: true });
    else if (resources.some((r) => r === abs || abs.startsWith(`${r}/`))) out.push({ kustomization: k, patch: false });
  }
  return out;
}

/** The kustomization `images:` entry of this run that overrides `ref` in `file`, if any. */
export function kustomizeOverride(file: ParsedFile, ref: string, project: readonly ParsedFile[]): { kustomization: ParsedKubernetes; entry: KustomizeImage } | undefined {
  const repo = imageRepository(ref)?.repository;
  for (const { kustomization, patch } of kustomizationsOf(file, project)) {
    if (patch) continue;
    const entry = kustomizeImages(kustomization).find((e) => imageRepository(e.name)?.repository === repo);
    if (entry) return { kustomization, entry };
  }
  return undefined;
}

export interface HelmImage {
  doc: Document.Parsed;
  /** The `image:` mapping. */
  map: YAMLMap;
  /** `a.b.image`, for messages. */
  path: string;
  repository: Scalar;
  tag?: Scalar;
  digest?: Scalar;
  /** `registry/repository:tag`, when the tag is set. */
  ref?: string;
  range: Range;
}

/** `image: {repository, tag}` mappings of a Helm values file. */
export function helmImages(file: ParsedKubernetes): HelmImage[] {
  const out: HelmImage[] = [];
  const visit = (doc: Document.Parsed, n: Node | null, path: string, depth: number): void => {
    if (depth > 12 || !isMap(n)) return;
    for (const p of n.items) {
      if (!isScalar(p.key)) continue;
      const key = String(p.key.value);
      const v = resolveNode(doc, p.value);
      const here = path ? `${path}.${key}` : key;
      if (key === 'image' && isMap(v)) {
        const repo = get(doc, v, 'repository');
        if (isScalar(repo) && typeof repo.value === 'string' && repo.value !== '') {
          const reg = scalarText(get(doc, v, 'registry'));
          const tag = get(doc, v, 'tag');
          const digest = get(doc, v, 'digest');
          const tagText = scalarText(tag);
          const h: HelmImage = { doc, map: v, path: here, repository: repo, range: rangeOf(repo) };
          if (isScalar(tag)) h.tag = tag;
          if (isScalar(digest)) h.digest = digest;
          if (tagText) h.ref = `${reg ? `${reg.replace(/\/+$/, '')}/` : ''}${repo.value}:${tagText}`;
          out.push(h);
          continue;
        }
      }
      visit(doc, v, here, depth + 1);
    }
  };
  for (const doc of file.docs) visit(doc, doc.contents, '', 0);
  return out;
}
