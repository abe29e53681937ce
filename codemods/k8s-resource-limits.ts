/** k8s-resource-limits: container `resources` requests and limits, from the same image families as compose-resource-limits. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isMap } from 'yaml';
import { fix } from '../src/engine/edits.js';
import type { Edit, JsonSchema } from '../src/engine/types.js';
import { FAMILY_RESOURCES, matchImage, type Family } from '../src/compose/image-kb.js';
import { mergeInsertions } from '../src/compose/hardening.js';
import { scalarText } from '../src/compose/scalars.js';
import { ensure } from '../src/kubernetes/edits.js';
import { kustomizationsOf } from '../src/kubernetes/images.js';
import { get, workloads } from '../src/kubernetes/workloads.js';

const QUANTITY = { type: ['string', 'number'] } as const;
const SECTION = { type: 'object', additionalProperties: false, properties: { cpu: QUANTITY, memory: QUANTITY } } as const;
const PROFILE_SCHEMA: JsonSchema = { type: 'object', additionalProperties: false, properties: { requests: SECTION, limits: SECTION } };

type Profile = { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
type PartialProfile = { requests?: { cpu?: string | number; memory?: string | number }; limits?: { cpu?: string | number; memory?: string | number } };

/** Compose's `cpus: "0.25"` as a Kubernetes quantity (`250m`), `memory: 512M` (MiB for docker) as `512Mi`. */
export function cpuQuantity(cpus: string): string {
  const n = Number(cpus);
  if (!Number.isFinite(n)) return cpus;
  return Number.isInteger(n) ? String(n) : `${Math.round(n * 1000)}m`;
}
export function memoryQuantity(mem: string): string {
  const m = /^(\d+)([kmg])b?$/i.exec(mem.trim());
  if (!m) return mem;
  return `${m[1] as string}${{ k: 'Ki', m: 'Mi', g: 'Gi' }[(m[2] as string).toLowerCase() as 'k' | 'm' | 'g']}`;
}

function familyProfile(f: Family | 'default'): Profile {
  const p = FAMILY_RESOURCES[f];
  return {
    requests: { cpu: cpuQuantity(p.reservations.cpus), memory: memoryQuantity(p.reservations.memory) },
    limits: { cpu: cpuQuantity(p.limits.cpus), memory: memoryQuantity(p.limits.memory) },
  };
}

function over(base: Profile, p: PartialProfile | undefined): Profile {
  const s = (v: unknown, d: string) => (typeof v === 'string' || typeof v === 'number' ? String(v) : d);
  return {
    requests: { cpu: s(p?.requests?.cpu, base.requests.cpu), memory: s(p?.requests?.memory, base.requests.memory) },
    limits: { cpu: s(p?.limits?.cpu, base.limits.cpu), memory: s(p?.limits?.memory, base.limits.memory) },
  };
}

const asRecord = (v: unknown): Record<string, PartialProfile> => (v && typeof v === 'object' ? (v as Record<string, PartialProfile>) : {});
const show = (p: Profile) => `requests cpu ${p.requests.cpu}, memory ${p.requests.memory}; limits cpu ${p.limits.cpu}, memory ${p.limits.memory}`;

export const k8sResourceLimits = defineCodemod({
  id: 'k8s-resource-limits',
  fileKinds: ['kubernetes'],
  summary: 'Adds container `resources` requests and limits (cpu, memory) for images the knowledge base knows, or that the `images` option sizes.',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001', 'kube-linter:unset-cpu-requirements', 'kube-linter:unset-memory-requirements', 'polaris:memoryLimitsMissing'],
  defaultOptions: { families: {}, images: {} },
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      families: { type: 'object', additionalProperties: false, properties: Object.fromEntries(Object.keys(FAMILY_RESOURCES).map((f) => [f, PROFILE_SCHEMA])), description: 'Per family, `{ requests: { cpu, memory }, limits: { cpu, memory } }` replacing the defaults.' },
      images: { type: 'object', additionalProperties: PROFILE_SCHEMA, description: 'Per repository (`postgres`, `registry.example/app`), the same shape; wins over the family (and counts as the evidence for images outside the knowledge base).' },
    },
  },
  docs: `## What it does
For each container and init container of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod, adds the
missing parts of
\`\`\`yaml
          resources:
            requests: { cpu: 250m, memory: 128Mi }
            limits: { cpu: "1", memory: 512Mi }
\`\`\`
(written in block style), with the values of the image's family in the knowledge base — the same families and sizes as
\`compose-resource-limits\` (compose's \`cpus: "0.25"\` is \`250m\`, its \`512M\` is \`512Mi\`) — or of the \`images\` option.
Values already set are kept. A container whose image the knowledge base does not know (or knows only as a runtime for
any application: node, python, golang) and that the \`images\` option does not size gets a finding with the default
sizes as a starting point, and no fix: a guessed memory limit can get a working service OOM-killed.

| family | requests | limits |
|---|---|---|
${(Object.keys(FAMILY_RESOURCES) as (Family | 'default')[]).filter((f) => f !== 'default').map((f) => { const p = familyProfile(f); return `| ${f} | cpu ${p.requests.cpu}, memory ${p.requests.memory} | cpu ${p.limits.cpu}, memory ${p.limits.memory} |`; }).join('\n')}

## Why
Without requests the scheduler packs pods blindly; without a memory limit one leaking or attacked container can take the
node's memory (seed 001: "No resource limits … runaway process → OOM"). kube-linter and Polaris report both.

## Example
\`\`\`yaml
        - name: cache
          image: redis:7.2
\`\`\`
becomes
\`\`\`yaml
        - name: cache
          image: redis:7.2
          resources:
            requests:
              cpu: 250m
              memory: 128Mi
            limits:
              cpu: "1"
              memory: 512Mi
\`\`\`

## Fix safety
Safe, on the same terms as \`compose-resource-limits\`: only for images whose family the knowledge base knows (a
database, a cache, a proxy…) or that you sized in the \`images\` option, with limits well above what those images use
at rest; anything else is a finding, not a fix. A memory limit below what the service really needs gets it OOM-killed,
so review the sizes for large data sets.
`,
  run(ctx) {
    const file = ctx.file;
    if (kustomizationsOf(file, ctx.project.files).some((k) => k.patch)) return;
    const fam = asRecord(ctx.options.families);
    const imgs = asRecord(ctx.options.images);
    for (const w of workloads(file)) {
      for (const c of w.containers) {
        if (c.list === 'ephemeralContainers') continue;
        const ref = typeof c.image?.value === 'string' ? c.image.value : undefined;
        const repo = ref?.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
        const kb = ref ? matchImage(ref) : undefined;
        const own = repo !== undefined ? (imgs[repo] ?? (kb ? imgs[kb.repository] : undefined)) : undefined;
        const family: Family | 'default' = kb?.family ?? 'default';
        const known = kb !== undefined && !kb.appDependent;
        const prof = over(over(familyProfile(family), fam[family]), own);
        const doc = w.doc;
        const res = get(doc, c.node, 'resources');
        const missing = (section: 'requests' | 'limits'): [string, string][] => {
          const m = get(doc, res, section);
          return (['cpu', 'memory'] as const).filter((k) => get(doc, m, k) === undefined || scalarText(get(doc, m, k)) === undefined).map((k) => [k, prof[section][k]]);
        };
        const req = missing('requests');
        const lim = missing('limits');
        if (req.length + lim.length === 0) continue;
        const who = `${w.label} ${c.list === 'initContainers' ? 'init container' : 'container'} \`${c.name}\``;
        const what = [req.length ? `requests ${req.map(([k, v]) => `${k} ${v}`).join(', ')}` : '', lim.length ? `limits ${lim.map(([k, v]) => `${k} ${v}`).join(', ')}` : ''].filter(Boolean).join('; ');
        if (!own && !known) {
          ctx.report({
            range: c.range,
            message: `${who} has no ${req.length + lim.length === 4 ? '' : 'complete '}resource requests and limits; not added: ${ref === undefined ? 'its image is not a literal reference' : kb ? `${kb.name} runs whatever application it is given` : `\`${ref}\` is not in the knowledge base`}, so its needs are not known. Measure it, then set requests and limits (a starting point: ${show(prof)}), or size it in this codemod's \`images\` option.`,
          });
          continue;
        }
        const origin = own ? 'the `images` option of this codemod' : fam[family] ? `the \`families.${family}\` option of this codemod` : `the ${family} defaults, knowledge base entry ${kb?.name ?? ''}`;
        const message = `${who} has ${req.length + lim.length === 4 ? 'no resource requests or limits' : 'incomplete resource requests and limits'}: added ${what} (from ${origin}).`;
        let edits: Edit[];
        try {
          if (!isMap(res)) edits = ensure(file, doc, c.node, 'resources', [...(req.length ? [['requests', Object.fromEntries(req)]] : []), ...(lim.length ? [['limits', Object.fromEntries(lim)]] : [])] as [string, Record<string, string>][]);
          else edits = [...ensure(file, doc, res, 'requests', req), ...ensure(file, doc, res, 'limits', lim)];
        } catch (e) {
          ctx.report({ range: c.range, message: `${message} Not changed: ${(e as Error).message}.` });
          continue;
        }
        ctx.report({ range: c.range, message, fix: fix('Add resource requests and limits', 'safe', mergeInsertions(edits)) });
      }
    }
  },
});
