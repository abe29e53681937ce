/**
 * A read-only view of the workloads of a Kubernetes manifest: for each document whose `kind` is a workload, its pod
 * spec (Pod: `spec`; CronJob: `spec.jobTemplate.spec.template.spec`; the others: `spec.template.spec`) and the
 * containers of its `containers`, `initContainers` and `ephemeralContainers` lists. Nodes are the parsed document's
 * own (aliases resolved), so edits land where the text is.
 */
import { isMap, isScalar, isSeq, type Document, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ParsedKubernetes, Range } from '../engine/types.js';
import { WORKLOAD_KINDS, type WorkloadKind } from '../engine/kubernetes-kind.js';
import { ownPair, resolveNode } from '../compose/services.js';
import { rangeOf, scalarText } from '../compose/scalars.js';

export type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';
export const CONTAINER_LISTS: readonly ContainerList[] = ['containers', 'initContainers', 'ephemeralContainers'];

export interface K8sContainer {
  list: ContainerList;
  /** The container's mapping. */
  node: YAMLMap;
  /** `name:` (or `#<index>` when it has none). */
  name: string;
  /** The `image:` scalar, when it is a scalar. */
  image?: Scalar;
  /** Where findings about the container go: its `name:` value, else the start of its mapping. */
  range: Range;
}

export interface Workload {
  doc: Document.Parsed;
  kind: WorkloadKind;
  /** `metadata.name` (or `(unnamed)`). */
  name: string;
  /** `Deployment/web`, for messages. */
  label: string;
  /** The `kind:` value, for findings about the workload as a whole. */
  range: Range;
  /** The pod spec mapping. */
  podSpec: YAMLMap;
  containers: K8sContainer[];
}

/** The value of `key` in a mapping (aliases resolved), or undefined. */
export function get(doc: Document.Parsed, map: unknown, key: string): Node | null | undefined {
  if (!isMap(map)) return undefined;
  const p = ownPair(map, key);
  return p ? resolveNode(doc, p.value) : undefined;
}

/** The pair of `key` in a mapping, or undefined. */
export function pairOf(map: unknown, key: string): Pair | undefined {
  return isMap(map) ? ownPair(map, key) : undefined;
}

/** The mapping at `path` below `map`, or undefined when a step is missing or not a mapping. */
export function mapAt(doc: Document.Parsed, map: unknown, path: readonly string[]): YAMLMap | undefined {
  let cur: unknown = map;
  for (const k of path) {
    cur = get(doc, cur, k);
    if (!isMap(cur)) return undefined;
  }
  return isMap(cur) ? (cur as YAMLMap) : undefined;
}

const POD_SPEC_PATH: Record<WorkloadKind, readonly string[]> = {
  Pod: ['spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
};

const isWorkloadKind = (k: unknown): k is WorkloadKind => typeof k === 'string' && (WORKLOAD_KINDS as readonly string[]).includes(k);

/** The containers of one list of a pod spec. */
export function containersOf(doc: Document.Parsed, podSpec: YAMLMap, list: ContainerList): K8sContainer[] {
  const seq = get(doc, podSpec, list);
  if (!isSeq(seq)) return [];
  const out: K8sContainer[] = [];
  (seq as YAMLSeq).items.forEach((it, i) => {
    const node = resolveNode(doc, it);
    if (!isMap(node)) return;
    const nameNode = get(doc, node, 'name');
    const img = get(doc, node, 'image');
    const c: K8sContainer = {
      list,
      node,
      name: scalarText(nameNode) ?? `#${i}`,
      range: isScalar(nameNode) ? rangeOf(nameNode) : { start: rangeOf(node).start, end: rangeOf(node).start },
    };
    if (isScalar(img)) c.image = img;
    out.push(c);
  });
  return out;
}

/** Every workload of the file, in document order. */
export function workloads(file: ParsedKubernetes): Workload[] {
  const out: Workload[] = [];
  for (const doc of file.docs) {
    const root = doc.contents;
    if (!isMap(root)) continue;
    const kindNode = get(doc, root, 'kind');
    const kind = scalarText(kindNode);
    if (!isWorkloadKind(kind) || get(doc, root, 'apiVersion') === undefined) continue;
    const podSpec = mapAt(doc, root, POD_SPEC_PATH[kind]);
    if (!podSpec) continue;
    const name = scalarText(get(doc, get(doc, root, 'metadata'), 'name')) ?? '(unnamed)';
    out.push({
      doc,
      kind,
      name,
      label: `${kind}/${name}`,
      range: rangeOf(kindNode),
      podSpec,
      containers: CONTAINER_LISTS.flatMap((l) => containersOf(doc, podSpec, l)),
    });
  }
  return out;
}

/** The string items of a sequence value (e.g. `capabilities.drop`), or [] when it is not a sequence. */
export function stringList(doc: Document.Parsed, node: unknown): string[] {
  const n = resolveNode(doc, node);
  if (!isSeq(n)) return [];
  return n.items.map((i) => scalarText(resolveNode(doc, i))).filter((s): s is string => s !== undefined);
}

/** A scalar's value as a boolean when it is `true`/`false`, else undefined. */
export function boolValue(node: unknown): boolean | undefined {
  if (!isScalar(node)) return undefined;
  if (node.value === true || node.value === 'true') return true;
  if (node.value === false || node.value === 'false') return false;
  return undefined;
}
