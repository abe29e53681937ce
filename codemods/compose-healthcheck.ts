/**
 * compose-healthcheck: a `healthcheck:` for services running known images, and `depends_on` on such services in the
 * long form with `condition: service_healthy`, so a dependency that is down fails start-up instead of failing silently.
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { derived } from '../src/engine/derive.js';
import { isMap, isScalar, isSeq, type Node, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { fix } from '../src/engine/edits.js';
import type { CodemodContext, Edit, ParsedCompose } from '../src/engine/types.js';
import {
  columnOf, fillEmpty, flowText, formatScalar, indentStyle, insertPair, lookup, ownPair, rangeOf, resolveNode, scalarText, services,
  servicesUsing, type ComposeService, type NewValue,
} from '../src/compose/index.js';
import {
  builtImage, containerPorts, hardeningLookups, kbSource, lookupView, readBaseConfig, readImageConfig, serviceImage, serviceOverrides, serviceViews,
  type ServiceView,
} from '../src/compose/hardening.js';
import { commandPort, probeOnPort, probePort } from '../src/compose/probes.js';
import { KNOWLEDGE_SOURCE, serviceKnowledge } from '../src/compose/knowledge.js';
import { knowledgeBaseTable, type Healthcheck } from '../src/compose/image-kb.js';

/** A compose duration (10s, 1m30s, 500ms). */
const DURATION = '^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$';

/** Whether a service has a healthcheck that is not disabled (its own, merged, extended or from an override file). */
function hasHealthcheck(view: ServiceView | undefined, svc: ComposeService): boolean {
  const l = view ? lookupView(view, 'healthcheck') : lookup(svc, 'healthcheck');
  if (!l) return false;
  const v = resolveNode(svc.doc, l.value);
  if (!isMap(v)) return false;
  const disable = resolveNode(svc.doc, ownPair(v, 'disable')?.value);
  if (isScalar(disable) && (disable.value === true || disable.value === 'true')) return false;
  const test = resolveNode(svc.doc, ownPair(v, 'test')?.value);
  const first = isSeq(test) ? scalarText(resolveNode(svc.doc, test.items[0])) : scalarText(test);
  return first !== 'NONE';
}

/**
 * The HEALTHCHECK a service's image defines: from the Dockerfile it is built from (its stages' HEALTHCHECK), else from
 * its base image's config, else from the image config read from the registry (`config.Healthcheck`). `disabled` for
 * `HEALTHCHECK NONE`.
 */
function imageHealthcheck(ctx: CodemodContext, svc: ComposeService): { disabled: boolean; text: string } | undefined {
  const img = serviceImage(svc, ctx);
  const clip = (t: string) => (t.length > 80 ? `${t.slice(0, 77)}…` : t);
  const b = builtImage(img);
  if (b?.healthcheck) return { disabled: b.healthcheck.disabled, text: `\`HEALTHCHECK ${clip(b.healthcheck.text)}\` in ${b.spec.shown}` };
  let t: readonly string[] | undefined;
  let where: string;
  if (b) {
    const base = readBaseConfig(img, ctx.global, ctx.answers);
    t = base?.config.healthcheck?.test;
    where = `${base?.describe ?? ''}, which ${b.spec.shown} builds on`;
  } else {
    const cfg = readImageConfig(img, ctx.global, ctx.answers);
    t = 'config' in cfg ? cfg.config.healthcheck?.test : undefined;
    where = `the image config of ${img.ref ?? ''}${'config' in cfg && cfg.source ? ` (${cfg.source})` : ''}`;
  }
  if (!t || t.length === 0) return undefined;
  const cmd = t[0] === 'CMD-SHELL' ? `CMD ${t.slice(1).join(' ')}` : t[0] === 'CMD' ? `CMD ${JSON.stringify(t.slice(1))}` : t.join(' ');
  return { disabled: t[0] === 'NONE', text: `\`HEALTHCHECK ${clip(cmd)}\` in ${where}` };
}

function healthcheckValue(h: Healthcheck, opts: Readonly<Record<string, unknown>>): Record<string, NewValue> {
  const str = (k: string, d: string) => (typeof opts[k] === 'string' ? (opts[k] as string) : d);
  const v: Record<string, NewValue> = {
    test: [...h.test],
    interval: str('interval', '10s'),
    timeout: str('timeout', '5s'),
    retries: typeof opts.retries === 'number' ? opts.retries : 5,
  };
  v.start_period = h.startPeriod ?? str('startPeriod', '10s');
  return v;
}

const lineEndAt = (text: string, offset: number): number => {
  const nl = text.indexOf('\n', offset);
  const end = nl < 0 ? text.length : nl;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
};

/** Edits turning a short-form depends_on list into the long form, each entry with its condition. */
function longFormEdits(file: ParsedCompose, svc: ComposeService, keyNode: Node, seq: YAMLSeq, condition: (name: string) => string): Edit[] | undefined {
  const { text, eol } = file;
  const items: { name: string; node: Scalar }[] = [];
  for (const it of seq.items) {
    const n = resolveNode(svc.doc, it);
    const name = scalarText(n);
    // Map keys are not interpolated (`- ${DB_HOST:-db}` cannot become a key) and must be service names (schema).
    if (name === undefined || !isScalar(n) || n !== it || !/^[a-zA-Z0-9._-]+$/.test(name)) return undefined;
    items.push({ name, node: n });
  }
  if (seq.flow) {
    const value: Record<string, NewValue> = {};
    for (const i of items) value[i.name] = { condition: condition(i.name) };
    const r = rangeOf(seq);
    return [{ start: r.start, end: r.end, text: flowText(value) }];
  }
  const style = indentStyle(text, svc.doc);
  const keyCol = columnOf(text, rangeOf(keyNode).start);
  const edits: Edit[] = [];
  for (const i of items) {
    const start = rangeOf(i.node).start;
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const dashCol = columnOf(text, text.lastIndexOf('-', start));
    const col = Math.max(dashCol, keyCol + style.unit);
    const pad = ' '.repeat(col);
    edits.push({ start: lineStart, end: rangeOf(i.node).end, text: `${pad}${formatScalar(i.name, 'PLAIN')}:` });
    const le = lineEndAt(text, rangeOf(i.node).end);
    edits.push({ start: le, end: le, text: `${eol}${pad}${' '.repeat(style.unit)}condition: ${condition(i.name)}` });
  }
  return edits;
}

/**
 * The known probe for a service on the host's network: its port is the host's, so the probe is added only when the
 * service's command names the port the server listens on (the probe moved there when it is another one).
 */
function hostNetworkProbe(view: ServiceView, h: Healthcheck): { probe: Healthcheck; why: string } | { skip: string } {
  const from = h.port ?? probePort(h.test);
  if (from === undefined) return { probe: h, why: 'a probe that uses no network port' };
  const o = serviceOverrides(view);
  const argv = [...(o.entrypoint ?? []), ...(o.command ?? [])].flatMap((w) => w.split(/\s+/)).filter((w) => w !== '');
  const port = commandPort(argv);
  if (port === undefined) return { skip: `the server shares the host's ports and its command names no port (the probe's port ${from} holds only with the image's default configuration)` };
  if (port === from) return { probe: h, why: `its command names port ${port}` };
  const test = probeOnPort(h.test, from, port);
  if (test.join('\0') === h.test.join('\0')) return { skip: `its command names port ${port}, and the probe cannot be moved there from port ${from}` };
  const moved = h.what.replace(new RegExp(`\\bport ${from}\\b`), `port ${port}`);
  return { probe: { ...h, test, what: moved !== h.what ? moved : `${h.what} on port ${port}`, port }, why: `its command names port ${port}` };
}

interface HcPlan {
  view: ServiceView;
  h: Healthcheck;
  name: string;
  /** Where the probe comes from, for the finding. */
  source: string;
}

export const composeHealthcheck = defineCodemod({
  id: 'compose-healthcheck',
  fileKinds: ['compose'],
  summary: 'Adds a `healthcheck:` to services running known images and makes `depends_on` wait for them (`condition: service_healthy`).',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  sources: ['seed:001', 'kics:healthcheck-not-set', 'hadolint:DL3057'],
  defaultOptions: { interval: '10s', timeout: '5s', retries: 5, startPeriod: '10s' },
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      interval: { type: 'string', pattern: DURATION, description: 'Time between two probes.' },
      timeout: { type: 'string', pattern: DURATION, description: 'How long one probe may take.' },
      retries: { type: 'integer', minimum: 1, description: 'Failed probes in a row before the service counts as unhealthy.' },
      startPeriod: { type: 'string', pattern: DURATION, description: 'Time after start during which failed probes do not count; slow starters in the knowledge base use their own.' },
    },
  },
  docs: `## What it does
1. For each service without a \`healthcheck\` (own, \`<<\` merge sources, same-file \`extends\`, override files of the
   same run) whose image is in the knowledge base below with a probe, adds at the end of the service's mapping:
   \`\`\`yaml
       healthcheck:
         test:
           - CMD
           - redis-cli
           - ping
         interval: 10s
         timeout: 5s
         retries: 5
         start_period: 10s
   \`\`\`
   Probes only use tools the image contains (\`pg_isready\`, \`redis-cli\`, \`mysqladmin\`, \`mongosh\`, curl or busybox
   wget where the image ships them); database probes go over TCP to 127.0.0.1, so the socket-only server that official
   entrypoints run while initialising does not count as ready. A service publishing container ports that do not include
   the probe's port (a custom configuration) is reported instead. A service with \`network_mode: host\` shares the
   host's ports, so its server's port is whatever its configuration says: the probe is added only when the service's
   \`command:\`/\`entrypoint:\` names the port (\`--port 6380\`, \`-p 5433\`, \`--web.listen-address=:9091\`), moved to
   that port when it is not the default one; otherwise the service is reported (info), not given a probe that would
   mark a working server unhealthy. Images without a probe are left alone, and so are
   images that define their own \`HEALTHCHECK\` (the image config's \`Healthcheck\`, read from the registry when it is
   available, or a \`HEALTHCHECK\` in the Dockerfile a built service's final or target stage comes from, else in the
   config of that stage's base image, read from the registry when available; \`HEALTHCHECK NONE\` counts as a decision). Services built here get the probe of their Dockerfile's base image (see
   compose-read-only).
2. Once a service has a healthcheck (in the file, from its image's own \`HEALTHCHECK\`, or added by step 1 in the
   previous pass), entries naming it in other services' \`depends_on\` get \`condition: service_healthy\`: a short list
   (\`depends_on: [mongo, redis]\`) is rewritten to the long form (other entries get \`condition: service_started\`, which
   is what the short form meant); long-form entries without a \`condition\` get one. An explicit \`condition\` is kept.
   The finding names the services whose image defines the healthcheck, and where it was found.

### Knowledge base

${knowledgeBaseTable(['healthcheck'])}

## Why
Without a healthcheck, compose starts dependants as soon as the dependency's container exists, not when it accepts
connections, and nothing notices when it stops answering. Seed 001 ("MongoDB unavailable": the app starts and its
writes fail silently) asks for start-up to fail instead: with \`condition: service_healthy\`, \`docker compose up\` waits
for the dependency and fails if it never becomes healthy.

## Example
\`\`\`yaml
services:
  app:
    image: example/app
    depends_on: [mongo]
  mongo:
    image: mongo:7
\`\`\`
becomes
\`\`\`yaml
services:
  app:
    image: example/app
    depends_on: { mongo: { condition: service_healthy } }
  mongo:
    image: mongo:7
    healthcheck:
      test:
        - CMD
        - mongosh
        - --quiet
        - --eval
        - db.adminCommand('ping')
      interval: 10s
      timeout: 5s
      retries: 5
      start_period: 30s
\`\`\`

## Fix safety
Unsafe: a probe can fail where the service works (authentication required by a customised configuration, a port moved
by configuration), which marks the container unhealthy and — through \`service_healthy\` — stops its dependants from
starting. \`docker-compose\` v1 needs file format 2.1+ semantics for \`condition\`; Compose v2 supports it.
`,
  lookups(file, _options, global, answers) {
    return hardeningLookups(file, global, answers);
  },
  run(ctx) {
    const file = ctx.file;
    const views = serviceViews(ctx);
    const all = services(file);
    const plans: HcPlan[] = [];
    const done = new Set<unknown>();
    const viewOf = (s: ComposeService) => views.find((v) => v.svc.keyNode === s.keyNode);
    for (const view of views) {
      if (view.skip) continue;
      const { svc } = view;
      if (hasHealthcheck(view, svc) || lookupView(view, 'healthcheck')) continue;
      // The image's own HEALTHCHECK (or its HEALTHCHECK NONE) is the image author's decision: compose needs none.
      if (imageHealthcheck(ctx, svc)) continue;
      const img = serviceImage(svc, ctx);
      const m = img.match;
      const learned = serviceKnowledge(ctx, svc.name)?.healthcheck;
      if (learned && learned.length > 0) {
        const h = { ...(m?.healthcheck ?? { what: '' }), test: learned, what: `\`${learned.slice(1).join(' ')}\``, port: undefined };
        plans.push({ view, h, name: m?.name ?? svc.name, source: KNOWLEDGE_SOURCE });
        continue;
      }
      if (!m?.healthcheck) continue;
      if (scalarText(lookupView(view, 'network_mode')?.value) === 'host') {
        const h = hostNetworkProbe(view, m.healthcheck);
        if ('skip' in h) {
          ctx.report({
            range: rangeOf(svc.keyNode),
            severity: 'info',
            message: `Service \`${svc.name}\` (${m.name}) has no healthcheck; it uses \`network_mode: host\`, where ${h.skip}, so the known probe (${m.healthcheck.what}) is not added: add a healthcheck for the port it listens on.`,
          });
          continue;
        }
        plans.push({ view, h: h.probe, name: m.name, source: `${kbSource(img) ?? `knowledge base entry ${m.name}`}; ${h.why}` });
        continue;
      }
      const { published } = containerPorts(svc);
      if (m.healthcheck.port !== undefined && published.length > 0 && !published.includes(m.healthcheck.port)) {
        ctx.report({
          range: rangeOf(svc.keyNode),
          severity: 'info',
          message: `Service \`${svc.name}\` (${m.name}) has no healthcheck; the known probe (${m.healthcheck.what}) uses port ${m.healthcheck.port}, which this service does not publish: add a healthcheck for the port it listens on.`,
        });
        continue;
      }
      plans.push({ view, h: m.healthcheck, name: m.name, source: kbSource(img) ?? `knowledge base entry ${m.name}` });
    }
    for (const p of plans) {
      const { svc } = p.view;
      let note = '';
      if (svc.alias) {
        if (done.has(svc.node)) continue;
        const users = servicesUsing(all, svc.node);
        if (!users.every((u) => plans.some((q) => q.view.svc.keyNode === u.keyNode && q.name === p.name))) continue;
        done.add(svc.node);
        note = ` Added to the anchor \`&${svc.alias.source}\` it is an alias of.`;
      }
      const dependants = (dependantsOf(all).get(svc.name) ?? []).filter((s) => s !== svc).map((s) => `\`${s.name}\``);
      ctx.report({
        range: rangeOf(svc.keyNode),
        message: `Service \`${svc.name}\` has no healthcheck: nothing notices when it stops answering${dependants.length ? `, and ${dependants.join(', ')} start${dependants.length === 1 ? 's' : ''} before it is ready` : ''}. Added a probe: ${p.h.what} (from ${p.source}).${note}`,
        fix: fix('Add a healthcheck', 'unsafe', [insertPair(file, svc.doc, svc.node, 'healthcheck', healthcheckValue(p.h, ctx.options))]),
      });
    }
    // depends_on → condition: service_healthy for dependencies that have a healthcheck now.
    // A service without a healthcheck key whose image defines a HEALTHCHECK is healthy-checked too.
    const fromImage = new Map<string, string>();
    for (const s of all) {
      const v = viewOf(s);
      if (v ? lookupView(v, 'healthcheck') : lookup(s, 'healthcheck')) continue;
      const h = imageHealthcheck(ctx, s);
      if (h && !h.disabled) fromImage.set(s.name, h.text);
    }
    const healthy = new Set(all.filter((s) => hasHealthcheck(viewOf(s), s) || fromImage.has(s.name)).map((s) => s.name));
    const pending = new Set(plans.map((p) => p.view.svc.name));
    const seen = new Set<unknown>();
    for (const s of all) {
      const l = lookup(s, 'depends_on');
      if (!l || l.via === 'extends') continue;
      const v = resolveNode(s.doc, l.value);
      if (!v || seen.has(v)) continue;
      seen.add(v);
      const deps = dependsOn(s);
      const toHealthy = deps.filter((d) => healthy.has(d.name) && d.condition === undefined);
      const waiting = deps.filter((d) => pending.has(d.name) && d.condition === undefined).map((d) => `\`${d.name}\``);
      // Wait while a dependency is getting its healthcheck in this pass: converting now would write service_started for it.
      if (toHealthy.length === 0 || waiting.length > 0) {
        if (waiting.length) {
          ctx.report({
            range: rangeOf(l.keyNode),
            severity: 'info',
            message: `Service \`${s.name}\` depends on ${waiting.join(', ')}, which get${waiting.length === 1 ? 's' : ''} a healthcheck from this codemod: its depends_on then gets \`condition: service_healthy\` (in the next pass of \`harden fix\`).`,
          });
        }
        continue;
      }
      const names = toHealthy.map((d) => `\`${d.name}\``).join(', ');
      const shared = l.shared ? ' (in a shared definition: every service using it waits the same way)' : '';
      const own = toHealthy.filter((d) => fromImage.has(d.name)).map((d) => `\`${d.name}\`'s image defines its own healthcheck (${fromImage.get(d.name) ?? ''})`);
      const message = `Service \`${s.name}\` starts as soon as ${names} ${toHealthy.length === 1 ? 'exists' : 'exist'}, not when ${toHealthy.length === 1 ? 'it is' : 'they are'} healthy: a dependency that is down makes it fail silently. \`depends_on\` now waits for \`condition: service_healthy\`${shared}.${own.length ? ` ${own.join('; ')}.` : ''}`;
      let edits: Edit[] | undefined;
      if (isSeq(v)) edits = longFormEdits(file, s, l.keyNode, v, (n) => (healthy.has(n) ? 'service_healthy' : 'service_started'));
      else if (isMap(v)) {
        edits = toHealthy.map((d) => {
          const pair = ownPair(v, d.name);
          const entry = pair ? resolveNode(s.doc, pair.value) : null;
          if (isMap(entry)) return insertPair(file, s.doc, entry, 'condition', 'service_healthy');
          return fillEmpty(file, s.doc, pair as never, { condition: 'service_healthy' });
        });
      }
      if (!edits) {
        ctx.report({ range: rangeOf(l.keyNode), message: `${message.replace(/ `depends_on` now .*/, '')} Rewrite its depends_on with \`condition: service_healthy\` by hand (its entries are not all plain service names, e.g. a variable, which the long form cannot hold).` });
        continue;
      }
      ctx.report({ range: rangeOf(l.keyNode), message, fix: fix('Wait for healthy dependencies', 'unsafe', edits) });
    }
  },
});

/** The services a service depends on (own/merged `depends_on`, short or long form), with an explicit condition if any. */
/** The services of `all` that depend on each name, in order: an index built once per service list. */
const dependantsOf = derived((all: readonly ComposeService[]): Map<string, ComposeService[]> => {
  const out = new Map<string, ComposeService[]>();
  for (const s of all) {
    for (const name of new Set(dependsOn(s).map((d) => d.name))) {
      const list = out.get(name);
      if (list) list.push(s);
      else out.set(name, [s]);
    }
  }
  return out;
});

/** Once per service of a parse (services are shared, see `services()`). */
const dependsOn = derived(computeDependsOn);

function computeDependsOn(s: ComposeService): { name: string; condition?: string }[] {
  const l = lookup(s, 'depends_on');
  if (!l || l.via === 'extends') return [];
  const v = resolveNode(s.doc, l.value);
  if (isSeq(v)) return v.items.map((i) => scalarText(resolveNode(s.doc, i))).filter((x): x is string => x !== undefined).map((name) => ({ name }));
  if (isMap(v)) {
    return (v as YAMLMap).items.flatMap((p) => {
      const name = scalarText(p.key);
      if (name === undefined) return [];
      const e = resolveNode(s.doc, p.value);
      const c = isMap(e) ? scalarText(resolveNode(s.doc, ownPair(e, 'condition')?.value)) : undefined;
      return [c !== undefined ? { name, condition: c } : { name }];
    });
  }
  return [];
}
