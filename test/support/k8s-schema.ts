/**
 * Validation of Kubernetes manifests against the Kubernetes OpenAPI schemas, through the ajv validators the
 * kubernetes-models package generates from them (one per kind and API version), plus a strict check of the fields
 * harden writes (the OpenAPI schemas allow unknown fields; the API server's strict field validation does not).
 */
import { isMap, parseAllDocuments } from 'yaml';
import { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, PersistentVolumeClaim, Pod, Service } from 'kubernetes-models/v1';

type Model = new (data: Record<string, unknown>) => { validate(): void };
const MODELS: Record<string, Record<string, Model>> = {
  'apps/v1': { Deployment, StatefulSet, DaemonSet, ReplicaSet } as unknown as Record<string, Model>,
  'batch/v1': { Job, CronJob } as unknown as Record<string, Model>,
  v1: { Pod, Service, ConfigMap, PersistentVolumeClaim } as unknown as Record<string, Model>,
};

/** Field names the API accepts in the objects harden adds to (from the Kubernetes API reference, v1.30). */
const KNOWN: Record<string, readonly string[]> = {
  containerSecurityContext: ['allowPrivilegeEscalation', 'appArmorProfile', 'capabilities', 'privileged', 'procMount', 'readOnlyRootFilesystem', 'runAsGroup', 'runAsNonRoot', 'runAsUser', 'seLinuxOptions', 'seccompProfile', 'windowsOptions'],
  podSecurityContext: ['appArmorProfile', 'fsGroup', 'fsGroupChangePolicy', 'runAsGroup', 'runAsNonRoot', 'runAsUser', 'seLinuxOptions', 'seccompProfile', 'supplementalGroups', 'supplementalGroupsPolicy', 'sysctls', 'windowsOptions'],
  capabilities: ['add', 'drop'],
  resources: ['claims', 'limits', 'requests'],
  volumeMount: ['mountPath', 'mountPropagation', 'name', 'readOnly', 'recursiveReadOnly', 'subPath', 'subPathExpr'],
};

function strictProblems(obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  const check = (v: unknown, known: keyof typeof KNOWN, where: string) => {
    if (!v || typeof v !== 'object') return;
    for (const k of Object.keys(v)) if (!KNOWN[known]?.includes(k)) out.push(`${where}: unknown field ${k}`);
  };
  // Loosely typed walk over plain data parsed from YAML.
  type Loose = { [k: string]: Loose } & Loose[];
  const spec = obj.spec as Loose | undefined;
  const podSpec = obj.kind === 'Pod' ? spec : obj.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template?.spec : spec?.template?.spec;
  for (const ps of podSpec ? [podSpec] : []) {
    check(ps.securityContext, 'podSecurityContext', 'pod securityContext');
    for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
      for (const c of (ps[list] ?? []) as Loose[]) {
        check(c.securityContext, 'containerSecurityContext', `${String(c.name)} securityContext`);
        check(c.securityContext?.capabilities, 'capabilities', `${String(c.name)} capabilities`);
        check(c.resources, 'resources', `${String(c.name)} resources`);
        for (const m of (c.volumeMounts ?? []) as unknown[]) check(m, 'volumeMount', `${String(c.name)} volumeMount`);
      }
    }
  }
  return out;
}

/** Problems of every document of a manifest text ([] = valid); kinds this helper has no model for are reported. */
export function k8sProblems(text: string): string[] {
  const docs = parseAllDocuments(text.replace(/^\uFEFF/, ''));
  if (!Array.isArray(docs)) return [];
  const out: string[] = [];
  for (const d of docs) {
    if (d.errors.length) out.push(d.errors[0]?.message ?? 'invalid YAML');
    if (!isMap(d.contents)) continue;
    const obj = d.toJS() as Record<string, unknown>;
    const model = MODELS[String(obj.apiVersion)]?.[String(obj.kind)];
    if (!model) {
      out.push(`no schema for ${String(obj.apiVersion)} ${String(obj.kind)}`);
      continue;
    }
    try {
      new model(obj).validate();
    } catch (e) {
      out.push(`${String(obj.kind)}: ${(e as Error).message}`);
    }
    out.push(...strictProblems(obj));
  }
  return out;
}
