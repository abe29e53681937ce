/** compose-read-only: `read_only: true` plus the `tmpfs:` mounts the image needs to keep running. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isScalar } from 'yaml';
import { fix } from '../src/engine/edits.js';
import type { CodemodContext, Edit } from '../src/engine/types.js';
import { lookup, rangeOf, resolveNode, services, servicesUsing, type ComposeService, type Lookup, type NewValue } from '../src/compose/index.js';
import {
  aliasAnchorNote, builtImage, describeSources, extendedPlans, guessReason, hardeningLookups, insertPairs, kbSource, listAddition, lookupView,
  mergeInsertions, readBaseConfig, readImageConfig, serviceEvidence, serviceImage, serviceMounts, serviceViews, writableAt, type Mount, type ServiceView,
} from '../src/compose/hardening.js';
import { SCRATCH_DIRS, writesOutside, type Cited, type FileWrite } from '../src/evidence/index.js';
import { loadShell } from '../src/shell/index.js';
import { KNOWLEDGE_FILE, KNOWLEDGE_SOURCE, runEvidence, serviceKnowledge, TRIAL_NOTE } from '../src/compose/knowledge.js';
import { knowledgeBaseTable } from '../src/compose/image-kb.js';
import { copiedSecrets, readOnlyRootClaim } from '../src/secrets/compose.js';

interface Plan {
  view: ServiceView;
  addReadOnly: boolean;
  missing: string[];
  tmpfs: Lookup | undefined;
  message: string;
}

const RUNISH = /^\/(?:var\/)?run(?:\/|$)/;

/** The tmpfs for a write into a scratch directory: `/var/run/app.pid` → `/var/run`, `/var/cache/app/x` → `/var/cache/app`. */
function scratchDir(path: string): string {
  const m = SCRATCH_DIRS.exec(path);
  return (m?.[0] ?? path).replace(/\/+$/, '');
}

function plan(ctx: CodemodContext, view: ServiceView): Plan | undefined {
  const { svc } = view;
  const ro = lookupView(view, 'read_only');
  const roValue = ro ? resolveNode(svc.doc, ro.value) : null;
  const already = isScalar(roValue) && (roValue.value === true || roValue.value === 'true');
  if (ro && !already) return undefined; // read_only: false (a deliberate choice) or a variable
  const img = serviceImage(svc, ctx);
  const m = img.match;
  const built = builtImage(img);
  if (m?.readOnly && !already) {
    ctx.report({
      range: rangeOf(svc.keyNode),
      severity: 'info',
      message: `Service \`${svc.name}\` (${m.name}) is not made read-only: ${m.readOnly.reason} (${kbSource(img) ?? ''}).`,
    });
    return undefined;
  }
  const cfg = readImageConfig(img, ctx.global, ctx.answers);
  const mounts: Mount[] = [svc, ...view.overrides].flatMap((s) => serviceMounts(s));
  // A built image keeps its base image's VOLUMEs (from the base image's config when read, else the knowledge base).
  const base = built ? readBaseConfig(img, ctx.global, ctx.answers) : undefined;
  const imageVolumes = 'config' in cfg ? (cfg.config.volumes ?? []) : base ? (base.config.volumes ?? []) : (m?.volumes ?? []);
  for (const v of [...imageVolumes, ...(built?.volumes ?? [])]) mounts.push({ target: v.replace(/\/+$/, '') || '/', writable: true, kind: 'image-volume' });
  const needed = ['/tmp'];
  if (m && !m.appDependent && !m.writable.some((p) => RUNISH.test(p))) needed.push('/run');
  needed.push(...(m?.writable ?? []));
  const learned = (serviceKnowledge(ctx, svc.name)?.writable ?? []).filter((p) => !needed.includes(p));
  needed.push(...learned);
  const missing = needed.filter((p) => !writableAt(p, mounts));
  const dataMissing = (m?.data ?? []).filter((p) => !writableAt(p, mounts));
  if (dataMissing.length > 0 && !already) {
    ctx.report({
      range: rangeOf(svc.keyNode),
      message: `Service \`${svc.name}\` (${m?.name ?? ''}) keeps its state in ${dataMissing.join(', ')}, which is not a volume: mount a named volume there, then a read-only root filesystem can be added (${kbSource(img) ?? ''}).`,
    });
    return undefined;
  }
  // What the service's own command/entrypoint (and, for images outside the knowledge base, the entrypoint script read
  // from the image's layers) writes outside its mounts: scratch directories become tmpfs, anything else blocks the fix.
  const known = m !== undefined && !m.appDependent;
  const ev = serviceEvidence(view, img, ctx.global, ctx.answers);
  const own = (w: Cited<FileWrite>): boolean => known ? w.source.includes("the service's") : true;
  // /var/run is a link to /run in Debian and Alpine images: a tmpfs at either covers both spellings.
  const alias = (p: string): string[] => [p, p.replace(/^\/var\/run(?=\/|$)/, '/run'), p.replace(/^\/run(?=\/|$)/, '/var/run')];
  const isWritable = (p: string): boolean => alias(p).some((q) => writableAt(q, mounts) !== undefined || needed.some((n) => q === n || q.startsWith(`${n}/`)));
  const outside = writesOutside(ev.writes.filter(own), isWritable);
  const blocking = outside.filter((w) => w.fact.path === undefined || w.fact.path.startsWith('$HOME') || !SCRATCH_DIRS.test(w.fact.path));
  if (blocking.length > 0 && !already) {
    const list = blocking.slice(0, 3).map((w) => `${w.fact.path ?? 'a path it computes'} (${w.source})`).join('; ');
    ctx.report({
      range: rangeOf(svc.keyNode),
      message: `Service \`${svc.name}\` is not made read-only: it writes outside its volumes: ${list}. Mount a volume or tmpfs there (a tmpfs hides what the image has at that path), or write elsewhere, then add \`read_only: true\`.`,
      fix: { title: 'make the root filesystem read-only by hand, after giving those writes a volume', safety: 'manual', edits: [] },
    });
    return undefined;
  }
  for (const w of outside) {
    const dir = scratchDir(w.fact.path as string);
    if (!missing.includes(dir) && !writableAt(dir, mounts)) missing.push(dir);
  }
  // For an image harden does not know, only a run is evidence of every path it writes: a verify run's trial, or what
  // an earlier run recorded (.harden/knowledge.yaml `verified`).
  const byRun = known ? undefined : runEvidence(ctx, svc.name, 'compose-read-only');
  if (!known && !already && !byRun) {
    const wd = 'config' in cfg && cfg.config.workingDir ? ` (its working directory is ${cfg.config.workingDir})` : '';
    const seen = outside.length ? ` Its command or entrypoint writes ${outside.map((w) => w.fact.path).join(', ')}.` : '';
    ctx.report({
      range: rangeOf(svc.keyNode),
      message: `Service \`${svc.name}\` runs with a writable root filesystem, and harden has no evidence of every path it writes: ${guessReason(img, cfg)}.${seen} Check where the application writes${wd} (uploads, caches, generated config, pid files), give those paths volumes or tmpfs, then add \`read_only: true\` with \`tmpfs: [/tmp]\`.`,
      fix: { title: 'make the root filesystem read-only by hand, after finding every path it writes', safety: 'manual', edits: [] },
    });
    return undefined;
  }
  const copied = already ? [] : copiedSecrets(svc.doc, resolveNode(svc.doc, lookupView(view, 'secrets')?.value));
  if (copied.length > 0) {
    const names = copied.map((s) => `\`${s}\``).join(', ');
    ctx.report({
      range: rangeOf(svc.keyNode),
      message: `Service \`${svc.name}\` is not made read-only: it uses secret${copied.length > 1 ? 's' : ''} ${names}, defined from a variable or inline, which Compose copies into the container's /run/secrets when it creates it; a read-only root filesystem refuses the copy (\`container rootfs is marked read-only\`), so the service would not start. Define ${copied.length > 1 ? 'them' : 'it'} with \`file:\` (Compose mounts a file secret, which works on a read-only root), then add \`read_only: true\`.`,
      fix: { title: 'make the root filesystem read-only by hand, after giving its secrets a file', safety: 'manual', edits: [] },
    });
    return undefined;
  }
  if (already && missing.length === 0) return undefined;
  const sources = describeSources([
    kbSource(img),
    'config' in cfg ? `the image config${cfg.source ? ` (${cfg.source})` : ''}${imageVolumes.length ? `: VOLUMEs ${imageVolumes.join(', ')}` : ''}` : undefined,
    learned.some((p) => missing.includes(p)) ? `${KNOWLEDGE_SOURCE}: it writes ${learned.join(', ')}` : undefined,
    base ? `${base.describe}${base.config.volumes?.length ? `: VOLUMEs ${base.config.volumes.join(', ')}` : ''}` : undefined,
    built?.volumes.length ? `the VOLUMEs of ${built.spec.shown}: ${built.volumes.join(', ')}` : undefined,
  ]);
  const paths = missing.join(', ');
  let message: string;
  if (already) {
    message = `Service \`${svc.name}\` is read-only but ${m ? `${m.name} writes` : 'most images write'} to ${paths}: added as tmpfs${sources}.`;
  } else {
    const tmpfsPart = missing.length ? `, with tmpfs at ${paths}` : '';
    message = `Service \`${svc.name}\` runs with a writable root filesystem: made read-only${tmpfsPart}, so a compromised process cannot alter its binaries or plant files${sources}.`;
  }
  if (outside.length) message += ` Its own command writes ${outside.map((w) => `${w.fact.path ?? ''} (${w.source})`).join('; ')}.`;
  if (!known && byRun === 'verified') {
    message += ` Verified by a run (${KNOWLEDGE_FILE}): it stayed healthy read-only with tmpfs at ${paths}, though harden has no evidence of its own (${guessReason(img, cfg)}); a path it writes only later (uploads, caches filled on demand) needs a volume too.`;
  } else if (!known && byRun === 'trial') {
    message += ` Proposed ${TRIAL_NOTE}: harden has no evidence of every path it writes (${guessReason(img, cfg)}).`;
  } else if (!known) {
    const wd = 'config' in cfg && cfg.config.workingDir ? `, e.g. in its working directory ${cfg.config.workingDir}` : '';
    message += ` The tmpfs paths are a guess: ${guessReason(img, cfg)}. Add tmpfs or volumes for any other path it writes${wd}.`;
  }
  if (m?.note) message += ` Note: ${m.note}.`;
  return { view, addReadOnly: !already, missing, tmpfs: lookup(svc, 'tmpfs'), message };
}

const same = (a: Plan, b: Plan): boolean => a.addReadOnly === b.addReadOnly && a.missing.join('\n') === b.missing.join('\n');

export const composeReadOnly = defineCodemod({
  id: 'compose-read-only',
  fileKinds: ['compose'],
  summary: 'Adds `read_only: true` with `tmpfs:` for the paths the image writes (from a knowledge base of official images).',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  sources: ['seed:001', 'seed:003', 'compose-lint:CL-0007', 'kics:container-root-file-system-not-read-only'],
  securitySeverity: 4.0,
  docs: `## What it does
For each service that does not set \`read_only\`, adds \`read_only: true\` and a \`tmpfs:\` list with the paths the
image must write, at the end of the service's mapping:
- \`/tmp\` always; \`/run\` and the image's own scratch paths for images in the knowledge base below (nginx's
  \`/var/cache/nginx\` and \`/var/run\`, postgres's \`/var/run/postgresql\`, …);
- paths already writable are left out: a volume or tmpfs mounted at the path or above it (not \`:ro\`), and the
  VOLUMEs the image declares (docker mounts an anonymous volume there). The VOLUMEs come from the image config read
  from the registry when it is available (\`Volumes\`; the finding says so), else from the knowledge base.
- A service that is already \`read_only: true\` gets the missing tmpfs paths only. \`read_only: false\` is left alone.
- Images whose state lives outside a VOLUME (grafana's \`/var/lib/grafana\`) are reported, not changed, until a volume
  is mounted there: a tmpfs would silently lose the data. Images known not to work read-only (elasticsearch) are
  reported with the reason.
- Services built here (\`build:\`) are matched through their Dockerfile (read from the build context, \`build.dockerfile\`
  and \`build.target\` followed, ARGs in FROM expanded with literal \`build.args\`): the base image of the final (or target)
  stage picks the entry (\`FROM node:20-alpine\` → node), and a \`scratch\`, distroless or alpine stage with a binary
  copied from a \`golang\` stage picks the golang-app entry. The finding names the Dockerfile and the base image. The Dockerfile's \`VOLUME\`s count as
  writable, and so do the base image's: from its image config read from the registry when available (the finding
  names it), else from the knowledge base.
- The service's own \`command:\`/\`entrypoint:\` (\`sh -c '…'\` scripts read with harden's shell parser) count as
  evidence of what it writes: a write into a scratch directory (\`/tmp\`, \`/run\`, \`/var/run\`, \`/var/tmp\`,
  \`/var/cache/<x>\`, \`/var/log/<x>\`) outside its volumes gets a tmpfs there; a write anywhere else (\`envsubst >
  /etc/nginx/conf.d/default.conf\`, \`sed -i\` on a config file, \`$HOME/…\`, a computed path) means the service is not
  made read-only, with a \`manual\` finding citing the command (a tmpfs would hide what the image has there).
- **No evidence, no fix.** Images not in the knowledge base, images that run whatever application they are given
  (node, python, golang), and built services whose base is not in it, get a \`manual\` finding: harden cannot know
  every path the application writes. It names the image's working directory and any writes found in the service's
  command or the image's entrypoint script (read from its layers). A run is evidence too: when
  \`.harden/knowledge.yaml\` (written by \`harden verify --save\`) lists \`compose-read-only\` under the service's
  \`verified\`, the service stayed healthy read-only with \`/tmp\` and the paths listed under its \`writable\` as tmpfs,
  and it gets exactly that; the finding says it was verified by a run. (\`harden verify\` proposes the change on its
  scratch copy to find out, and records it only when the service survived.)
- A tag written as a variable does not hide the image: \`nginx:\${NGINX_IMAGE_TAG}\` is matched as nginx.
- A service using a secret that Compose copies into the container when it creates it (defined with \`environment:\` or
  \`content:\`) is not made read-only, with a \`manual\` finding: a read-only root refuses the copy (\`container rootfs
  is marked read-only\`, docker/compose#12303). \`file:\` secrets are mounted and work on a read-only root. In one run
  with \`compose-secrets\`, the read-only root is decided first, and \`compose-secrets\` then leaves a secret from a
  variable of that service in the environment (the two fixes are never applied in the same pass).

An existing \`tmpfs\` list gets the new entries appended. When \`tmpfs\` comes from an anchor (\`<<: *defaults\`), the
anchor's list is extended only when every service using it needs the same paths; otherwise the service gets its own
\`tmpfs\` with the anchor's entries plus the new ones. Through \`extends\`, compose merges \`tmpfs\` lists, so the
service gets only the new entries. In an override file (\`compose.override.yaml\`), services defined in the base file
of the same run are left to the base file, and the override's mounts count when the base file is changed.

### Knowledge base

${knowledgeBaseTable(['writable'])}

(Matched by repository, also under \`docker.io/library/…\` and known mirrors, and by tag family; see
\`src/compose/image-kb.ts\`.)

## Why
A read-only root filesystem stops a compromised process from replacing binaries, planting web shells or editing
configuration. A bare \`read_only: true\` (what other linters suggest) makes most images crash at start-up because they
write pid files, sockets and caches: the tmpfs entries keep them running (seed 003's profile: \`read_only\`, tmpfs for
\`/tmp\` and \`/run\`).

## Example
\`\`\`yaml
services:
  web:
    image: nginx:1.27
\`\`\`
becomes
\`\`\`yaml
services:
  web:
    image: nginx:1.27
    read_only: true
    tmpfs:
      - /tmp
      - /var/cache/nginx
      - /var/run
\`\`\`

## Fix safety
Unsafe: an application that writes somewhere else (uploads, caches, generated config) fails with "Read-only file
system" until you mount a volume or tmpfs there, and tmpfs content is lost on restart and counts against the
container's memory. The fix is offered only where the knowledge base states what the image writes (what its own
entrypoint and server do with their defaults), plus what the service's own command is seen to write; a configuration
that moves those paths still needs them mounted by hand.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    return hardeningLookups(file, global, answers);
  },
  run(ctx) {
    const file = ctx.file;
    const all = services(file);
    const planned = serviceViews(ctx).filter((v) => !v.skip).map((v) => plan(ctx, v)).filter((p): p is Plan => p !== undefined);
    // A service extending one that gets the settings in this run inherits them (read_only; compose merges tmpfs lists).
    const plans = planned.flatMap((p): Plan[] => {
      const inherited = extendedPlans(p.view.svc, planned);
      if (inherited.length === 0) return [p];
      const missing = p.missing.filter((x) => !inherited.some((q) => q.missing.includes(x)));
      const addReadOnly = p.addReadOnly && !inherited.some((q) => q.addReadOnly);
      const from = inherited.map((q) => `\`${q.view.svc.name}\``).join(', ');
      const here = missing.length ? `only tmpfs at ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} added here` : 'only read_only is added here';
      const message = `${p.message} It extends ${from}, which gets the rest in this run: ${here}.`;
      return missing.length === 0 && !addReadOnly ? [] : [{ ...p, missing, addReadOnly, message }];
    });
    const planOf = (s: ComposeService): Plan | undefined => plans.find((p) => p.view.svc.keyNode === s.keyNode);
    const done = new Set<unknown>();
    for (const p of plans) {
      const { svc } = p.view;
      const own = svc.node;
      const edits: Edit[] = [];
      const pairs: [string, NewValue][] = [];
      const aliasNote = aliasAnchorNote(ctx, svc, all, (s) => { const q = planOf(s); return q !== undefined && same(q, p); }, p.message, done);
      if (aliasNote === undefined) continue;
      let note = aliasNote;
      if (p.addReadOnly) pairs.push(['read_only', true]);
      const t = p.tmpfs;
      const add = listAddition(file, svc, 'tmpfs', t, p.missing, (owner) => servicesUsing(all, owner).every((s) => {
        const q = planOf(s);
        return q !== undefined && q.tmpfs?.value === t?.value && q.missing.join() === p.missing.join();
      }), done);
      if ('error' in add) {
        ctx.report({ range: rangeOf(svc.keyNode), message: `${p.message} Not changed: ${add.error}.` });
        continue;
      }
      edits.push(...add.edits);
      pairs.push(...add.pairs);
      note += add.note;
      if (pairs.length) edits.push(insertPairs(file, svc, own, pairs));
      if (edits.length === 0) continue;
      const f = fix('Make the root filesystem read-only, with tmpfs for the paths it writes', 'unsafe', mergeInsertions(edits));
      ctx.report({ range: rangeOf(svc.keyNode), message: p.message + note, fix: p.addReadOnly ? { ...f, claims: [readOnlyRootClaim(svc.name)] } : f });
    }
  },
});
