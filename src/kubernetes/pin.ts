/**
 * pin-image-digest for Kubernetes files, through the same decision as Dockerfiles and compose files
 * (src/images/pin.ts): container images of manifests are pinned in place (`nginx:1.25` → `nginx:1.25@sha256:…`);
 * kustomization `images:` entries get a `digest:`; Helm values `image: {repository, tag}` get their `digest:` filled
 * when the chart has that field, else the tag becomes `tag@sha256:…` (unsafe: a chart may use the tag elsewhere, e.g.
 * in a label, where `@` is not allowed).
 */
import type { Answers, Edit, GlobalSettings, LookupKey, ParsedFile, ParsedKubernetes, Report } from '../engine/types.js';
import { pinLookups, pinReports, type PinOptions, type PinTarget } from '../images/pin.js';
import { splitRef } from '../images/reference.js';
import { insertPair } from '../compose/insert.js';
import { rangeOf, scalarSource } from '../compose/scalars.js';
import { helmImages, kubernetesRole, kustomizeImages, kustomizeOverride, manifestImages } from './images.js';

type Item = { target: PinTarget; overridden?: string } | { insert: PinTarget; edit: (digest: string) => Edit; safety: 'safe' | 'unsafe'; how: string } | { report: Report };

function items(file: ParsedKubernetes, global: GlobalSettings, project: readonly ParsedFile[]): Item[] {
  const out: Item[] = [];
  const platform = global.platform;
  const withPlatform = (t: PinTarget): PinTarget => (platform ? { ...t, platform } : t);
  const role = kubernetesRole(file);
  if (role === 'manifest') {
    for (const m of manifestImages(file)) {
      const where = `${m.workload.label} container ${m.container.name}`;
      const over = kustomizeOverride(file, m.raw, project);
      if (over) {
        out.push({
          report: {
            range: m.range,
            severity: 'info',
            message: `${where}: image ${m.raw} is overridden by the \`images:\` entry ${over.entry.name} of ${over.kustomization.path}; it is pinned there`,
            data: { ref: m.raw },
          },
        });
        continue;
      }
      const t: PinTarget = { ref: m.raw, range: m.range };
      if (m.region) t.region = m.region;
      else t.noFixReason = 'the value uses YAML escapes or a block scalar';
      out.push({ target: withPlatform(t) });
    }
  } else if (role === 'kustomization') {
    for (const k of kustomizeImages(file)) {
      const p = splitRef(k.ref);
      if (!p?.tag) {
        out.push({ report: { range: k.range, severity: 'info', message: `images entry ${k.name}: no newTag, so the tag comes from the manifests; pin it there`, data: { ref: k.ref } } });
        continue;
      }
      if (k.digest) {
        const src = scalarSource(file.text, k.digest);
        const digest = typeof k.digest.value === 'string' ? k.digest.value : '';
        const t: PinTarget = { ref: `${k.ref}@${digest}`, range: rangeOf(k.digest) };
        if (src) t.region = { range: src.range, prefix: `${k.ref}@`, text: digest };
        if (digest !== '') {
          out.push({ target: withPlatform(t) });
          continue;
        }
      }
      const entry = k.entry;
      const doc = k.doc;
      out.push({ insert: withPlatform({ ref: k.ref, range: k.range }), safety: 'safe', how: 'the images entry gets a `digest:`', edit: (d) => insertPair(file, doc, entry, 'digest', d) });
    }
  } else {
    for (const h of helmImages(file)) {
      if (!h.ref) {
        out.push({ report: { range: h.range, severity: 'info', message: `${h.path}: no tag (the chart falls back to its appVersion, most likely); set the tag, then it can be pinned`, data: {} } });
        continue;
      }
      const digestText = typeof h.digest?.value === 'string' ? h.digest.value : undefined;
      if (h.digest && digestText) {
        const src = scalarSource(file.text, h.digest);
        const t: PinTarget = { ref: `${h.ref}@${digestText}`, range: rangeOf(h.digest) };
        if (src) t.region = { range: src.range, prefix: `${h.ref}@`, text: digestText };
        out.push({ target: withPlatform(t) });
        continue;
      }
      const digestNode = h.digest;
      if (digestNode) {
        const src = scalarSource(file.text, digestNode);
        const r = src?.range ?? rangeOf(digestNode);
        out.push({ insert: withPlatform({ ref: h.ref, range: h.range }), safety: 'safe', how: `${h.path}.digest filled`, edit: (d) => ({ start: r.start, end: r.end, text: src ? d : `"${d}"` }) });
        continue;
      }
      const tag = h.tag;
      const tagSrc = tag ? scalarSource(file.text, tag) : undefined;
      if (tag && tagSrc) {
        out.push({
          insert: withPlatform({ ref: h.ref, range: h.range }),
          safety: 'unsafe',
          how: `${h.path}.tag is now tag@digest (the chart has no digest field; check that its templates use the tag only in the image reference)`,
          edit: (d) => ({ start: tagSrc.range.end, end: tagSrc.range.end, text: `@${d}` }),
        });
      } else {
        out.push({ report: { range: h.range, severity: 'warning', message: `${h.path}: ${h.ref} is not pinned; its tag uses YAML escapes or a block scalar, pin it by hand`, data: { ref: h.ref } } });
      }
    }
  }
  return out;
}

export function kubernetesPinLookups(file: ParsedKubernetes, o: PinOptions, global: GlobalSettings, answers: Answers | undefined): LookupKey[] {
  return items(file, global, []).flatMap((it) => ('target' in it ? pinLookups(it.target, o, answers) : 'insert' in it ? pinLookups(it.insert, o, answers) : []));
}

export function kubernetesPinReports(file: ParsedKubernetes, o: PinOptions, global: GlobalSettings, answers: Answers, project: readonly ParsedFile[]): Report[] {
  const out: Report[] = [];
  for (const it of items(file, global, project)) {
    if ('report' in it) out.push(it.report);
    else if ('target' in it) {
      out.push(...pinReports(it.target, o, answers));
    } else {
      const rs = pinReports({ ...it.insert, noFixReason: 'x' }, { ...o, exactTags: false }, answers);
      if (rs.length !== 1) {
        out.push(...rs);
        continue;
      }
      const r = rs[0];
      const pinned = typeof r?.data?.pinned === 'string' ? r.data.pinned : undefined;
      const digest = typeof r?.data?.digest === 'string' ? r.data.digest : undefined;
      if (!r || !pinned || !digest || r.fix) {
        if (r) out.push(r);
        continue;
      }
      const message = r.message.replace(/ is not pinned to a digest \((sha256:\S+), (.*)\); x$/, ' → pinned to $1 ($2)') + `: ${it.how}`;
      out.push({ range: r.range, message, severity: 'warning', data: r.data, fix: { title: message, safety: it.safety, edits: [it.edit(digest)] } });
    }
  }
  return out;
}
