/**
 * Telling Kubernetes YAML from the other YAML of a repository (compose files, CI workflows, Helm templates, config):
 * - a manifest: a document whose top level has `apiVersion:` and `kind:` of a workload (Deployment, StatefulSet,
 *   DaemonSet, ReplicaSet, Job, CronJob, Pod), in any of its `---`-separated documents;
 * - a Kustomize `kustomization.yaml` (by name);
 * - a Helm chart's `values.yaml` (`values*.yaml` next to a `Chart.yaml`).
 * Helm templates (Go templates: `{{ … }}`) are not YAML until rendered, and are never matched.
 */

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

const KUSTOMIZATION_NAME = /^(?:kustomization\.ya?ml|Kustomization)$/;
const VALUES_NAME = /^values(?:[-.][^/]+)?\.ya?ml$/i;
const YAML_NAME = /\.ya?ml$/i;
const KIND_LINE = new RegExp(`^kind:[ \\t]*(["']?)(?:${WORKLOAD_KINDS.join('|')})\\1[ \\t]*(?:#.*)?$`, 'm');
const API_VERSION_LINE = /^apiVersion:[ \t]*\S/m;

/** Whether the file name alone says it is a Kustomize file. */
export function isKustomizationName(base: string): boolean {
  return KUSTOMIZATION_NAME.test(base);
}

/** Names that may be a Helm values file (only when a Chart.yaml is beside it). */
export function isValuesName(base: string): boolean {
  return VALUES_NAME.test(base);
}

/** Names worth reading to see whether they are manifests. */
export function mayBeManifestName(base: string): boolean {
  return YAML_NAME.test(base);
}

/**
 * Whether the text holds a Kubernetes workload: some document starts a line (column 0) with `apiVersion:` and with
 * `kind: <workload>`, and the text is not a Go template.
 */
export function isKubernetesManifest(text: string): boolean {
  if (text.includes('{{')) return false;
  if (!KIND_LINE.test(text) || !API_VERSION_LINE.test(text)) return false;
  // Each `---` document is checked on its own: apiVersion and a workload kind in the same one.
  return text.split(/^---[ \t]*(?:#.*)?$/m).some((d) => KIND_LINE.test(d) && API_VERSION_LINE.test(d));
}
