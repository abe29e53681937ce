/**
 * pin-image-digest: pin floating image references (`node:20-alpine`) to the digest their tag points to now
 * (`node:20-alpine@sha256:…`), in Dockerfiles (FROM, COPY --from, RUN --mount from=, ONBUILD, `# syntax=`) and compose
 * files (`services.*.image`). Pure: the digests come from 'image-digest' lookups the engine resolves.
 */
import { defineCodemod } from '../src/engine/define.js';
import type {
  Answers,
  CodemodContext,
  GlobalSettings,
  LookupKey,
  ParsedCompose,
  ParsedDockerfile,
  ParsedFile,
  ParsedShell,
  Report,
} from '../src/engine/types.js';
import { loadShell, shellLoaded } from '../src/shell/index.js';
import { dockerRuns, fileRange, flagsNamed } from '../src/dockerrun/model.js';
import { buildOf } from '../src/dockerrun/needs.js';
import { imageRefs, type DockerfileImageRef } from '../src/dockerfile/images.js';
import { composeBuilds, composeFilesBuilding, composeImageRefs } from '../src/compose/images.js';
import { pinLookups, pinOptions, pinReports, type PinOptions, type PinTarget } from '../src/images/pin.js';
import { kubernetesPinLookups, kubernetesPinReports } from '../src/kubernetes/pin.js';

const SITE: Record<DockerfileImageRef['site'], string> = {
  from: 'FROM',
  'copy-from': 'COPY --from',
  'mount-from': 'RUN --mount from=',
  syntax: '# syntax=',
};

/** The platform whose manifest digest to pin, or undefined for the (multi-platform) index digest. */
function platformFor(ref: DockerfileImageRef, global: GlobalSettings): string | undefined {
  if (ref.site === 'syntax') return undefined; // the frontend runs on the builder, whatever the target platform
  if (ref.platform) return ref.platform.literal ? ref.platform.raw : undefined; // never from $BUILDPLATFORM & co
  return global.platform;
}

type Item = { target: PinTarget } | { report: Report };

function dockerfileItems(file: ParsedDockerfile, global: GlobalSettings): Item[] {
  const items: Item[] = [];
  const byRegion = new Map<string, { key: string; site: string }>();
  for (const ref of imageRefs(file)) {
    if (ref.skip) continue;
    const where = `${SITE[ref.site]}${ref.onbuild ? ' (ONBUILD)' : ''}`;
    if (ref.resolution.kind === 'unresolved') {
      items.push({
        report: {
          range: ref.range,
          severity: 'warning',
          message: `${where} ${ref.raw}: not pinned, ${ref.resolution.reason}; pin it by hand (or make one ARG hold the whole reference)`,
          data: { ref: ref.raw },
        },
      });
      continue;
    }
    const platform = platformFor(ref, global);
    const target: PinTarget = { ref: ref.resolution.ref, range: ref.range };
    if (platform) target.platform = platform;
    const region = ref.resolution.region;
    if (region) {
      // One ARG default may feed several FROMs: edit it once, and only when they agree on what to pin.
      const rk = `${region.range.start}:${region.range.end}`;
      const key = `${ref.resolution.ref}|${platform ?? ''}`;
      const seen = byRegion.get(rk);
      if (seen) {
        if (seen.key !== key) {
          items.push({
            report: {
              range: ref.range,
              severity: 'warning',
              message: `${where} ${ref.raw}: not pinned, ARG ${region.arg ?? ''} also feeds ${seen.site} with another platform; pin it by hand`,
              data: { ref: ref.raw },
            },
          });
        }
        continue;
      }
      byRegion.set(rk, { key, site: where });
      target.region = region;
    } else target.noFixReason = 'its value does not come from this file';
    items.push({ target });
  }
  return items;
}

function composeItems(file: ParsedCompose, global: GlobalSettings): Item[] {
  const items: Item[] = [];
  for (const ref of composeImageRefs(file)) {
    if (ref.builtBy.length > 0) {
      items.push({
        report: {
          range: ref.range,
          severity: 'info',
          message: `service ${ref.builtBy.join(', ')}: image ${ref.raw} is built here; pin the Dockerfile's base images instead`,
          data: { ref: ref.raw, services: ref.builtBy },
        },
      });
      continue;
    }
    if (ref.resolution.kind === 'unresolved') {
      items.push({
        report: {
          range: ref.range,
          severity: 'warning',
          message: `service ${ref.service}: image ${ref.raw} not pinned, ${ref.resolution.reason}; pin it by hand`,
          data: { ref: ref.raw },
        },
      });
      continue;
    }
    const target: PinTarget = { ref: ref.resolution.ref, range: ref.range, region: ref.resolution.region };
    const platform = ref.platform ?? global.platform;
    if (platform) target.platform = platform;
    items.push({ target });
  }
  return items;
}

/** `docker run` / `podman run` images of a shell file; images a `docker build -t` line of the run builds are reported. */
function shellItems(file: ParsedShell, global: GlobalSettings): Item[] {
  const items: Item[] = [];
  for (const r of dockerRuns(file)) {
    if (!('run' in r)) continue;
    const { run } = r;
    const range = fileRange(run.snippet, run.image.range);
    const raw = run.image.raw;
    const ref = run.image.text;
    if (ref === null || ref.includes('$')) {
      items.push({ report: { range, severity: 'warning', message: `${run.tool} run ${raw}: not pinned, the image is not a literal reference; pin it where it is set`, data: { ref: raw } } });
      continue;
    }
    if (buildOf(file, ref)) {
      items.push({ report: { range, severity: 'info', message: `${run.tool} run ${ref}: the image is built by a \`docker build\` in this file; pin its Dockerfile's base images instead`, data: { ref } } });
      continue;
    }
    // The word as written must be the reference itself (quotes are kept: the edit goes inside them).
    const inner = raw === ref ? 0 : raw.length === ref.length + 2 && /^(["']).*\1$/.test(raw) ? 1 : -1;
    const target: PinTarget = { ref, range };
    if (inner >= 0) target.region = { range: { start: range.start + inner, end: range.end - inner }, prefix: '', text: ref };
    else target.noFixReason = 'it is quoted in a way harden does not edit';
    const platform = flagsNamed(run, 'platform')[0]?.value?.text ?? global.platform;
    if (platform && !platform.includes('$')) target.platform = platform;
    items.push({ target });
  }
  return items;
}

function items(file: ParsedFile, global: GlobalSettings): Item[] {
  if (file.kind === 'dockerfile') return dockerfileItems(file, global);
  if (file.kind === 'compose') return composeItems(file, global);
  if (file.kind === 'shell' && shellLoaded()) return shellItems(file, global);
  return [];
}

/** Compose services in this run building this Dockerfile and overriding ARGs its FROMs use. */
function composeOverrides(ctx: CodemodContext, file: ParsedDockerfile, ref: DockerfileImageRef): string[] {
  if (!file.absPath || ref.resolution.kind !== 'resolved' || ref.resolution.args.length === 0) return [];
  const out: string[] = [];
  for (const f of composeFilesBuilding(ctx.project.files, file.absPath)) {
    for (const b of composeBuilds(f)) {
      if (b.dockerfile !== file.absPath) continue;
      for (const arg of ref.resolution.args) {
        const v = b.args.get(arg);
        if (v === undefined) continue;
        const over = imageRefs(file, { buildArgs: new Map([[arg, v]]) }).find((r) => r.range.start === ref.range.start);
        const eff = over?.resolution.kind === 'resolved' ? over.resolution.ref : undefined;
        if (eff !== ref.resolution.ref) out.push(`service ${b.service} (${f.path}) builds it with ${arg}=${v}${eff ? ` (${eff})` : ''}`);
      }
    }
  }
  return out;
}

export const pinImageDigest = defineCodemod({
  id: 'pin-image-digest',
  fileKinds: ['dockerfile', 'compose', 'kubernetes', 'shell'],
  summary: 'Pin image references (FROM, COPY --from, RUN --mount from=, # syntax=, compose and Kubernetes image:, docker run) to the digest their tag points to.',
  safety: 'safe',
  severity: 'warning',
  network: true,
  offlineFindings: true,
  sources: ['hadolint:DL3006', 'hadolint:DL3007', 'seed:001', 'renovate:pinDigests'],
  defaultOptions: { maxCandidates: 10 },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { maxCandidates: { type: 'integer', minimum: 1, description: 'How many candidate tags `--exact-tags` may look up per reference.' } } },
  docs: `## What it does
Adds the digest the tag points to now to every image reference, keeping the tag and your spelling of the name:
\`FROM node:20-alpine\` becomes \`FROM node:20-alpine@sha256:…\`. It covers \`FROM\` (with \`--platform\` and \`AS\`),
\`COPY --from=<image>\`, \`RUN --mount=…,from=<image>\`, the same inside \`ONBUILD\`, the \`# syntax=\` directive and
compose \`services.*.image\` (including \`\${VAR:-image:tag}\` defaults and values shared through anchors and merge keys,
which are edited once, where the anchor is), and the image of \`docker run\` / \`podman run\` / \`docker container run\`
lines in shell scripts, Makefiles, Markdown code blocks and CI workflows (\`--platform\` honoured; an image a
\`docker build -t\` of the same file builds is reported, not pinned; a variable image is reported).

- \`scratch\`, build stages (names are case-insensitive; an earlier stage shadows an image of the same name) and
  numeric \`--from\` are skipped. A compose service with \`build:\` gets a finding only: its image is built, not pulled.
- ARGs declared before the first FROM are expanded. When one ARG holds the reference (\`ARG BASE=node:20\` +
  \`FROM \${BASE}\`) or its tail (\`FROM node:\${TAG}\`), the ARG default is pinned. References built from several
  variables (\`FROM img:\${A}-\${B}\`, \`$REG/img:tag\`) are reported, not changed. A stage-local ARG does not apply to FROM.
- \`FROM node:\${TAG}@sha256:…\`: the digest wins over whatever TAG becomes, so a bumped ARG with a stale digest
  silently builds the old image. The digest is verified against the tag TAG's default names (a mismatch is a
  finding; \`--refresh\` rewrites the digest in the FROM line). The same holds for compose
  \`image: app:\${TAG:-2.0}@sha256:…\`.
  When a compose file of the same run builds the Dockerfile with other \`build.args\`, that is reported.
- An untagged reference means \`:latest\` and is written \`node:latest@sha256:…\`, so the tag the digest came from stays
  visible and the pin can be verified and refreshed later (a bare \`node@sha256:…\` cannot).
- Already pinned references (\`name:tag@sha256:…\`) are verified: a digest that no longer matches its tag is reported,
  and updated with \`--refresh\`. Digest-only references (\`name@sha256:…\`) are left alone.
- A reference whose digest cannot be looked up is still reported for what the file shows: untagged (\`FROM alpine\`
  means \`alpine:latest\`, hadolint DL3006), \`:latest\` (DL3007), or a tag without a digest. The failed lookup
  (unknown tag, auth, rate limit, offline cache miss…) is a finding of its own at that reference; the rest of the
  file is still pinned.
- Under \`--no-network\` (or \`network: false\`) nothing is looked up and nothing is changed: the floating references
  above are reported, one note says no digest was looked up, and pinned \`name:tag@sha256:…\` references are not
  verified. \`# hadolint ignore=DL3006\` / \`DL3007\` before the instruction (or \`# harden-ignore pin-image-digest\`)
  silences the reference.
- Kubernetes manifests: the \`image:\` of every container, init container and ephemeral container of Deployments,
  StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and Pods, in every document of the file. A manifest listed in
  the \`resources:\` of a \`kustomization.yaml\` of the same run whose \`images:\` overrides that image is left to the
  kustomization (info finding), where the entry gets a \`digest:\` (entries without \`newTag\` are reported: their tag
  comes from the manifests). A Helm chart's \`values.yaml\` (beside its \`Chart.yaml\`): each \`image: {repository, tag}\`
  mapping (with \`registry:\` when present) gets its empty \`digest:\` filled when the chart has that field, else its tag
  becomes \`tag@sha256:…\` (see Fix safety); a mapping without a tag is reported. Helm templates are not read.

## Why
A tag is a moving pointer: the same Dockerfile builds different images from one day to the next, and a compromised or
re-pushed tag changes what you run without a diff. A digest names exactly one image (hadolint DL3006/DL3007 ask for
explicit versions; Renovate's \`pinDigests\` does this for its users).

## Example
\`\`\`dockerfile
# before
FROM node:20-alpine AS build
FROM nginx:1.25
# after
FROM node:20-alpine@sha256:4c2f… AS build
FROM nginx:1.25@sha256:9e1a…
\`\`\`

## Fix safety
Safe: the digest is the one the tag resolves to at the time of the run, so the build is unchanged today; only future
re-pushes of the tag stop leaking in. By default the multi-platform index digest is pinned, so multi-arch builds keep
working. A platform manifest digest is pinned only for a literal \`FROM --platform=os/arch\` or with \`--platform\`
(never for \`$BUILDPLATFORM\`/\`$TARGETPLATFORM\`, whose flag is kept byte for byte). \`--refresh\` changes which image is
built: it is opt-in. One exception is unsafe: a Helm \`values.yaml\` image mapping without a \`digest:\` field gets
\`tag: 1.25@sha256:…\`, which is right for templates writing \`{{ .repository }}:{{ .tag }}\` but breaks a chart that
also puts the tag in a label (labels cannot hold \`@\`). Kubernetes' own \`image:\` field accepts \`name:tag@digest\`,
and kustomize's \`digest:\` names the same image the tag points to today.

## Related flags
- \`--exact-tags\` (global): also replace a floating tag by the most specific tag with the same digest
  (\`node:20-alpine\` → \`node:20.11.0-alpine3.19@sha256:…\`); only tags of the same shape are tried, most specific first,
  at most \`maxCandidates\` per reference.
- \`--platform os/arch[/variant]\` (global): pin that platform's manifest digest instead of the index digest.
- \`--refresh\` (global): update pinned digests that no longer match their tag.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, options, global, answers?: Answers): Iterable<LookupKey> {
    const o = pinOptions(options, global);
    if (file.kind === 'kubernetes') return kubernetesPinLookups(file, o, global, answers);
    const keys: LookupKey[] = [];
    for (const it of items(file, global)) if ('target' in it) keys.push(...pinLookups(it.target, o, answers));
    return keys;
  },
  run(ctx) {
    const o: PinOptions = pinOptions(ctx.options, ctx.global);
    const file = ctx.file;
    if (file.kind === 'kubernetes') {
      for (const r of kubernetesPinReports(file, o, ctx.global, ctx.answers, ctx.project.files)) ctx.report(r);
      return;
    }
    for (const it of items(file, ctx.global)) {
      if ('report' in it) {
        ctx.report(it.report);
        continue;
      }
      for (const r of pinReports(it.target, o, ctx.answers)) ctx.report(r);
    }
    if (file.kind === 'dockerfile') {
      for (const ref of imageRefs(file)) {
        if (ref.skip) continue;
        const over = composeOverrides(ctx, file, ref);
        if (over.length === 0) continue;
        ctx.report({
          range: ref.range,
          severity: 'info',
          message: `${SITE[ref.site]} ${ref.raw}: ${over.join('; ')}; that build does not use the pinned default, pin the value in build.args`,
          data: { ref: ref.raw },
        });
      }
    }
  },
});
