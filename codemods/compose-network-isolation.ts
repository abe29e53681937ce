/**
 * compose-network-isolation (strict preset only): `network_mode: none` for services that neither reach nor are reached
 * by anything, and an `internal: true` network for back-end services (databases, caches, queues, search) that only
 * other services of the stack reach.
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isMap, isScalar, type Document, type Node, type YAMLMap } from 'yaml';
import { fix } from '../src/engine/edits.js';
import type { CodemodContext, Edit, ParsedCompose } from '../src/engine/types.js';
import {
  fillEmpty, insertPair, lookup, lookupMerged, ownPair, rangeOf, resolveNode, scalarText, services, servicesUsing, stringItems, type ComposeService, type NewValue,
} from '../src/compose/index.js';
import {
  imageConfigLookups, isOverrideFile, listAddition, lookupView, mergeInsertions, readImageConfig, serviceImage, serviceViews, siblingFiles, type ServiceView,
} from '../src/compose/hardening.js';
import type { Family } from '../src/compose/image-kb.js';

/** Knowledge-base families whose images serve other services and never need to call out. */
const BACKEND_FAMILIES: ReadonlySet<Family> = new Set(['database', 'cache', 'queue', 'search']);

/** Keys that mean a service takes part in networking (it cannot get `network_mode: none`). */
const NETWORK_KEYS = ['ports', 'expose', 'networks', 'network_mode', 'links', 'external_links', 'depends_on', 'dns', 'dns_search', 'dns_opt', 'extra_hosts', 'mac_address', 'env_file'];

/** Environment variable names that configure a network peer or credentials for one (`DATABASE_URL`, `OPENAI_API_KEY`, `HTTP_PROXY`…). */
const ENDPOINT_NAME = /(?:^|_)(?:URLS?|URIS?|HOSTS?|HOSTNAME|ENDPOINTS?|DSN|ADDR|ADDRESS|SERVERS?|PROXY|API_?KEY|ACCESS_KEY(?:_ID)?|TOKEN|WEBHOOK|SMTP|BROKERS?|PORT)(?:_|$)/i;
/** Values that name a network peer: a URL, or `host:port`. */
const ENDPOINT_VALUE = /:\/\/|(?:^|[\s@=,])[A-Za-z0-9][A-Za-z0-9.-]*:\d{2,5}(?:\b|$)/;

/** The environment of a service (own, merge keys, extends) as [name, value] pairs. */
function environment(svc: ComposeService): [string, string][] {
  const out: [string, string][] = [];
  for (const l of lookupMerged(svc, 'environment')) {
    const v = l.value;
    if (isMap(v)) {
      for (const p of v.items) {
        const k = scalarText(p.key);
        if (k !== undefined) out.push([k, scalarText(resolveNode(svc.doc, p.value)) ?? '']);
      }
    } else {
      for (const e of stringItems(svc.doc, v)) {
        const i = e.value.indexOf('=');
        out.push(i < 0 ? [e.value, ''] : [e.value.slice(0, i), e.value.slice(i + 1)]);
      }
    }
  }
  return out;
}

/** The text of `command`/`entrypoint` (string or list). */
function commandText(svc: ComposeService): string {
  const parts: string[] = [];
  for (const key of ['command', 'entrypoint']) {
    const v = lookup(svc, key)?.value;
    const s = scalarText(v);
    if (s !== undefined) parts.push(s);
    else parts.push(...stringItems(svc.doc, v).map((e) => e.value));
  }
  return parts.join(' ');
}

/** Why a service looks like it talks to the network by itself (for `network_mode: none`), or undefined. */
function callsOut(svc: ComposeService): string | undefined {
  for (const [k, v] of environment(svc)) {
    if (ENDPOINT_NAME.test(k)) return `its environment sets \`${k}\``;
    if (ENDPOINT_VALUE.test(v)) return `its environment variable \`${k}\` names a network address`;
  }
  if (ENDPOINT_VALUE.test(commandText(svc))) return 'its command names a network address';
  return undefined;
}

const hostPattern = (name: string): RegExp =>
  new RegExp(`(?<![A-Za-z0-9_.-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9])`);

/** The names another container resolves a service by: its service name, `container_name`, `hostname`. */
function dnsNames(svc: ComposeService): string[] {
  const names = [svc.name];
  for (const k of ['container_name', 'hostname']) {
    const s = scalarText(lookup(svc, k)?.value);
    if (s !== undefined && s !== '' && !s.includes('$')) names.push(s);
  }
  return names;
}

/** How `from` reaches `to`, or undefined: depends_on, links, sharing its network namespace, or naming it as a host. */
function reachVia(from: ComposeService, to: ComposeService): string | undefined {
  if (from === to || from.node === to.node) return undefined;
  for (const l of lookupMerged(from, 'depends_on')) {
    const names = isMap(l.value) ? l.value.items.map((p) => scalarText(p.key)) : stringItems(from.doc, l.value).map((e) => e.value);
    if (names.includes(to.name)) return 'depends_on';
  }
  for (const l of lookupMerged(from, 'links')) {
    if (stringItems(from.doc, l.value).some((e) => e.value.split(':')[0] === to.name)) return 'links';
  }
  const nm = scalarText(lookup(from, 'network_mode')?.value);
  if (nm === `service:${to.name}`) return 'network_mode';
  const text = [...environment(from).map(([, v]) => v), commandText(from)].join('\n');
  if (dnsNames(to).some((n) => hostPattern(n).test(text))) return 'names it';
  return undefined;
}

/** Whether a reverse proxy finds the service through its labels (traefik's docker provider, caddy-docker-proxy). */
function proxiedByLabels(svc: ComposeService): boolean {
  for (const l of lookupMerged(svc, 'labels')) {
    const keys = isMap(l.value) ? l.value.items.map((p) => scalarText(p.key) ?? '') : stringItems(svc.doc, l.value).map((e) => e.value);
    if (keys.some((k) => /^(?:traefik|caddy)(?:[._]|$)/.test(k))) return true;
  }
  return false;
}

/**
 * Words that make a name (service, container_name, hostname, image) look like a server something reaches by name
 * without declaring it (`db`, `sentences-db`, `mssql`, `api`, `nginx`…): such services never get `network_mode: none`.
 */
const SERVER_WORD =
  /(?:db|sql|mq)$|^(?:db|pg|api|web|www|https?|srv|dns|ui|rpc|ws)$|mongo|redis|valkey|memcache|cache|postgres|maria|kafka|zookeeper|rabbit|nats|elastic|opensearch|solr|search|server|proxy|nginx|apache|httpd|caddy|traefik|haproxy|envoy|broker|queue|ldap|smtp|mail|grpc|gateway|backend|frontend|dashboard|registry|vault|consul|etcd|minio|storage|influx|clickhouse|cassandra|neo4j|couch|ftp|ssh|vpn|prometheus|grafana|loki|jaeger|otel|collector|exporter|metrics|socket|listen|daemon/;

/** Why a service looks like a server (so it may be reached by name without `depends_on`), or undefined. */
function serverLike(svc: ComposeService, ref: string | undefined, exposed: readonly string[] | undefined): string | undefined {
  if (exposed?.length) return `its image EXPOSEs ${exposed.join(', ')}`;
  for (const n of [...dnsNames(svc), ...(ref !== undefined ? [ref.replace(/[@:][^/]*$/, '')] : [])]) {
    const word = n.toLowerCase().split(/[^a-z0-9]+/).find((w) => SERVER_WORD.test(w));
    if (word !== undefined) return `its name \`${n}\` looks like a server's`;
  }
  const hc = lookup(svc, 'healthcheck')?.value;
  const test = isMap(hc) ? resolveNode(svc.doc, ownPair(hc, 'test')?.value) : null;
  const text = scalarText(test) ?? stringItems(svc.doc, test).map((e) => e.value).join(' ');
  if (/localhost|127\.0\.0\.1|::1|https?:|:\d{2,5}\b|--port|-p\s*\d/i.test(text)) return 'its healthcheck probes a port';
  return undefined;
}

/** A container kept alive to `docker exec` into (a dev container, a toolbox): what runs in it is not in the file. */
function interactive(svc: ComposeService): boolean {
  const on = (k: string) => {
    const v = lookup(svc, k)?.value;
    return isScalar(v) && (v.value === true || v.value === 'true');
  };
  return on('tty') || on('stdin_open') || /sleep\s+inf|tail\s+-f\s+\/dev\/null/.test(commandText(svc));
}

interface Peer {
  svc: ComposeService;
  /** The file it is defined in, when not the one processed. */
  elsewhere?: string;
}

const list = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(', ');

function networkName(ctx: CodemodContext): string {
  const n = ctx.options.network;
  return typeof n === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n) ? n : 'backend';
}

/** The top-level network `name` of a document: absent, internal (reuse it), or taken by a network that is not internal. */
function topNetwork(doc: Document.Parsed, name: string): 'absent' | 'internal' | 'taken' {
  if (!isMap(doc.contents)) return 'taken';
  const nets = resolveNode(doc, ownPair(doc.contents, 'networks')?.value);
  if (!isMap(nets)) return 'absent';
  const p = ownPair(nets, name);
  if (!p) return 'absent';
  const v = resolveNode(doc, p.value);
  const internal = isMap(v) ? resolveNode(doc, ownPair(v, 'internal')?.value) : null;
  return isScalar(internal) && (internal.value === true || internal.value === 'true') ? 'internal' : 'taken';
}

/** The edit declaring `name: { internal: true }` under the document's top-level `networks:` (created when missing). */
function declareNetwork(file: ParsedCompose, doc: Document.Parsed, name: string): Edit | undefined {
  const root = doc.contents as YAMLMap;
  const pair = ownPair(root, 'networks');
  if (!pair) {
    const e = insertPair(file, doc, root, 'networks', { [name]: { internal: true } });
    // Top-level sections separated by blank lines get one before the new section too.
    const spaced = !root.flow && root.items.slice(1).some((p) => {
      const start = rangeOf(p.key as Node).start;
      const lineStart = file.text.lastIndexOf('\n', start - 1);
      return lineStart > 0 && /\n\r?$/.test(file.text.slice(0, lineStart));
    });
    return spaced ? { ...e, text: `${file.eol}${e.text}` } : e;
  }
  const nets = resolveNode(doc, pair.value);
  if (isMap(nets)) return insertPair(file, doc, nets, name, { internal: true });
  if (nets === null || (isScalar(nets) && nets.value === null)) return fillEmpty(file, doc, pair, { [name]: { internal: true } });
  return undefined;
}

export const composeNetworkIsolation = defineCodemod({
  id: 'compose-network-isolation',
  fileKinds: ['compose'],
  summary: 'Strict preset: `network_mode: none` for services nothing reaches and that reach nothing; back-end services only other services reach move to an `internal: true` network.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  presets: ['strict'],
  network: true,
  sources: ['seed:001', 'seed:003'],
  securitySeverity: 4.0,
  defaultOptions: { network: 'backend', applications: false },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { network: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', description: 'Name of the internal network.' }, applications: { type: 'boolean', description: 'Also give `network_mode: none` to services that are built here or run a runtime image (node, python, golang), when everything else above holds.' } } },
  docs: `## What it does
Runs with \`--preset strict\` only (or when \`--only compose-network-isolation\` or the config names it). Two changes,
each decided from the whole file (services through anchors, merge keys and same-file \`extends\`, plus the override
files of the same run):

**1. \`network_mode: none\`** for a service that takes no part in networking, so it gets only a loopback interface:
- it has none of \`ports\`, \`expose\`, \`networks\`, \`network_mode\`, \`links\`, \`external_links\`, \`depends_on\`,
  \`dns*\`, \`extra_hosts\`, \`mac_address\` (here or in an override file);
- it has no dependants: no other service \`depends_on\` it, links to it, shares its network namespace
  (\`network_mode: service:…\`), or names it (its service name, \`container_name\` or \`hostname\`) as a host in its
  environment, command or entrypoint (\`MONGO_URL: mongodb://mongo:27017\`); no \`traefik.*\`/\`caddy*\` labels (a
  proxy finds it through them);
- nothing says it calls out by itself: no \`env_file\` (its contents are unknown), no environment variable naming an
  endpoint or credentials for one (\`*_URL\`, \`*_HOST\`, \`*_ENDPOINT\`, \`*_PROXY\`, \`*_API_KEY\`, \`*_TOKEN\`, …), no
  URL or \`host:port\` in its environment values or command;
- it does not look like a server, which other services may reach by a host name in their code or config files
  without any \`depends_on\`: not a server image of the knowledge base (postgres, redis, nginx, grafana…), no EXPOSEd
  port in its image config (read from the registry when available; the finding says when it was not), no server word
  in its service name, \`container_name\`, \`hostname\` or image name (\`db\`, \`*sql\`, \`api\`, \`web\`, \`cache\`,
  \`proxy\`, \`mongo\`, \`kafka\`, …: seed-style \`db: image: mcr.microsoft.com/azure-sql-edge\` is left alone), and no
  healthcheck probing a port;
- it is not an application harden cannot see into: a service with \`build:\` or a runtime image (node, python,
  golang) may call an API over the internet (seed 001's orchestrator calls OpenAI), so it is only reported, with an
  info finding, unless the option \`applications\` is \`true\`;
- it is not kept alive for \`docker exec\` (\`tty\`, \`stdin_open\`, \`sleep infinity\`: a dev container or toolbox);
- no server of the file goes without a visible client: when a database or other server (as above) publishes no port
  and nothing is seen reaching it, some service reaches it by a host name in code or config files, maybe this one, so
  no service of the file gets \`network_mode: none\` (an info finding names the server);
- no other service \`extends\` it (they would inherit \`network_mode\`), and its \`extends\` is resolvable.
An override file (\`compose.override.yaml\`) is only changed when its base file is in the same run (its services may
be partial definitions).

What is left is what seed 003 runs with \`network_mode: none\` in its strict profile: jobs, batch workers and sandboxes
with no endpoints in their configuration.

**2. An internal network for back-end-only services.** A service is back-end-only when its image is a database, cache,
message queue or search engine from the knowledge base (mongo, postgres, mysql, mariadb, redis, valkey, memcached,
rabbitmq, elasticsearch), it publishes no ports, sets no \`networks\`/\`network_mode\`, does not itself
\`depends_on\`/link to anything, and at least one other service reaches it (as above). Then:
- the top-level \`networks:\` gets \`backend: { internal: true }\` (created at the end of the document when missing,
  after a blank line when the file separates its top-level sections with blank lines; an existing \`internal: true\`
  network of that name is reused);
- the back-end service gets \`networks: [backend]\`: it leaves the default network, so it has no route to or from
  outside the host, and only services on \`backend\` reach it;
- every service that reaches it, or any other back-end service of the file (it may reach the others through its
  config files), or runs the same image or build as one of those, joins \`backend\` **and keeps the default network**: one with no \`networks:\` gets
  \`networks: [default, backend]\` (listing a network removes the implicit \`default\`), one with a \`networks:\` list or
  mapping gets \`backend\` added (a list from an anchor is extended only when every user of the anchor reaches the
  service, else the service gets its own list).
A back-end service is left alone (with an info finding) when a service reaching it cannot join the network
(\`network_mode\` set, \`extends\` from another file, defined in another file of the run, a \`networks\` mapping from
an anchor), when another service \`extends\` it, or when a network of that name exists and is not internal.

Inserted keys go at the end of the service's mapping, in block style (flow style in a flow mapping), with the file's
line endings; comments stay where they were.

## Why
Seed 001's audit lists "Network isolation ❌ Exposed" as a production blocker; seed 003 runs untrusted agents with
\`network_mode: none\` ("an OS-level fail-safe") and puts everything else behind topology rather than good behaviour.
Services on docker's default network can reach every other service of the stack and the internet: a compromised
cache or database can exfiltrate data or be used as a pivot. An internal network has no gateway, so the database
answers its clients and nothing else; \`network_mode: none\` removes networking from services that do not use it.

## Example
Seed 001's stack (\`--preset strict --unsafe\`): the orchestrator reaches mongo and redis (\`depends_on\`); neither
publishes a port. prometheus and grafana publish ports or are servers, so they keep the default network.
\`\`\`yaml
services:
  orchestrator:
    build: .
    ports:
      - "127.0.0.1:3000:3000"
    depends_on:
      - mongo
      - redis
  mongo:
    image: mongo:7.0.3
  redis:
    image: redis:7.0.10-alpine
\`\`\`
becomes
\`\`\`yaml
services:
  orchestrator:
    build: .
    ports:
      - "127.0.0.1:3000:3000"
    depends_on:
      - mongo
      - redis
    networks:
      - default
      - backend
  mongo:
    image: mongo:7.0.3
    networks:
      - backend
  redis:
    image: redis:7.0.10-alpine
    networks:
      - backend
networks:
  backend:
    internal: true
\`\`\`
and a job with no endpoints (\`image: busybox\`, \`command: ["sh", "-c", "tar czf /backup/etc.tgz /data"]\`) gets
\`network_mode: none\`.

## Fix safety
Unsafe, and only in the strict preset. A client harden cannot see (a service of another compose project, a host
process, prometheus scraping through its config file) loses access to a back-end service moved to the internal
network, and a back-end that needs outbound access (replication to another host, plugin downloads at start) loses
it. A service given \`network_mode: none\` that does call out (an endpoint in a config file or baked into the image)
fails. Review the diff; undo per service by removing the key.
`,
  lookups(file, _options, global) {
    return imageConfigLookups(file, global);
  },
  run(ctx) {
    const file = ctx.file;
    const net = networkName(ctx);
    const applications = ctx.options.applications === true;
    const views = serviceViews(ctx);
    const { bases, overrides } = siblingFiles(ctx, file);
    const others: Peer[] = [...bases, ...overrides].flatMap((f) => services(f).map((svc) => ({ svc, elsewhere: f.path })));
    const all = services(file);
    const blocked = new Set<string>();
    // An override file whose base file is not in this run: its services may be partial, what they lack is unknown.
    if (isOverrideFile(file) && bases.length === 0) return;
    const isServer = (s: ComposeService): boolean => {
      if (lookup(s, 'expose')) return true;
      const i = serviceImage(s);
      if (i.match && !i.match.appDependent) return true;
      const c = readImageConfig(i, ctx.global, ctx.answers);
      return serverLike(s, i.ref, 'config' in c ? (c.config.exposedPorts ?? []) : undefined) !== undefined;
    };
    // Servers nothing in the file is seen reaching, and that publish no port: something reaches them by a host name in
    // code or config files, maybe any service of the file, so none of them gets network_mode: none.
    const orphans = new Map<number, string[]>();
    for (const s of all) {
      if (lookup(s, 'ports') || lookup(s, 'network_mode') || !isServer(s)) continue;
      const docPeers = [...all.filter((o) => o.docIndex === s.docIndex), ...others.map((p) => p.svc)];
      if (docPeers.some((o) => o.name !== s.name && reachVia(o, s) !== undefined)) continue;
      orphans.set(s.docIndex, [...(orphans.get(s.docIndex) ?? []), s.name]);
    }

    const backends: { view: ServiceView; reachedBy: Peer[]; extendedBy: ComposeService[] }[] = [];
    for (const view of views) {
      const { svc } = view;
      // A partial definition (no image, no build: completed by another file) cannot be judged.
      if (view.skip || svc.extendsUnknown || svc.alias || (!lookup(svc, 'image') && !lookup(svc, 'build'))) continue;
      const peers: Peer[] = [...all.filter((s) => s.docIndex === svc.docIndex).map((s) => ({ svc: s })), ...others];
      const reachedBy = peers.filter((p) => p.svc.name !== svc.name && reachVia(p.svc, svc) !== undefined);
      const reaches = peers.filter((p) => p.svc.name !== svc.name && reachVia(svc, p.svc) !== undefined);
      const extendedBy = all.filter((s) => s.docIndex === svc.docIndex && s.sources.some((src) => src.via === 'extends' && src.service === svc.name));
      const has = (k: string) => lookupView(view, k) !== undefined;
      const img = serviceImage(svc);
      const m = img.match;

      // 2. Back-end-only services: an internal network.
      if (m && BACKEND_FAMILIES.has(m.family) && !m.appDependent && !img.built && reachedBy.length > 0) {
        if (['ports', 'networks', 'network_mode', 'links', 'external_links', 'depends_on'].some(has)) continue;
        if (reaches.length > 0) {
          ctx.report({
            range: rangeOf(svc.keyNode),
            severity: 'info',
            message: `Service \`${svc.name}\` (${m.family}, knowledge base entry ${m.name}) publishes no ports, but it reaches ${list(reaches.map((p) => p.svc.name))} itself: left on the default network (attach them to an internal network together by hand).`,
          });
          continue;
        }
        backends.push({ view, reachedBy, extendedBy });
        continue;
      }

      // 1. network_mode: none.
      if (NETWORK_KEYS.some(has) || reachedBy.length > 0 || reaches.length > 0 || extendedBy.length > 0 || proxiedByLabels(svc)) continue;
      if (view.overrides.some((o) => callsOut(o) !== undefined || proxiedByLabels(o))) continue;
      if (callsOut(svc) !== undefined || interactive(svc)) continue;
      if (m && !m.appDependent) continue; // a network server: something this file does not show reaches it
      const cfg = readImageConfig(img, ctx.global, ctx.answers);
      if (serverLike(svc, img.ref, 'config' in cfg ? (cfg.config.exposedPorts ?? []) : undefined) !== undefined) continue;
      const app = img.built ? 'it is built here' : m?.appDependent ? `it runs an application image (knowledge base entry ${m.name})` : undefined;
      const exposeNote = 'config' in cfg
        ? `its image config${cfg.source ? ` (${cfg.source})` : ''} EXPOSEs no port`
        : `its image config was not available (${cfg.missing}), so whether the image EXPOSEs a port was not checked`;
      const basis = img.built || m ? '' : img.ref !== undefined ? ` (\`${img.ref}\`: not a server in the knowledge base, nothing server-like in its names; ${exposeNote})` : '';
      const why = `Service \`${svc.name}\` publishes no ports, joins no networks, nothing reaches it and nothing in its configuration names an endpoint`;
      const hidden = (orphans.get(svc.docIndex) ?? []).filter((n) => n !== svc.name);
      if (hidden.length > 0) {
        ctx.report({
          range: rangeOf(svc.keyNode),
          severity: 'info',
          message: `${why}, but ${list(hidden)} ${hidden.length > 1 ? 'are servers' : 'is a server'} that nothing in the file is seen reaching: \`${svc.name}\` may reach ${hidden.length > 1 ? 'them' : 'it'} by a host name in its code or config, so it keeps its network. Add \`network_mode: none\` if it does not.`,
        });
        continue;
      }
      if (app && !applications) {
        ctx.report({
          range: rangeOf(svc.keyNode),
          severity: 'info',
          message: `${why}, but ${app}: harden cannot tell whether it calls out (e.g. to an API), so it keeps its network. Add \`network_mode: none\` if it does not (or set the option \`applications: true\`).`,
        });
        continue;
      }
      ctx.report({
        range: rangeOf(svc.keyNode),
        message: `${why}: \`network_mode: none\` leaves it only a loopback interface, so a compromised process cannot call out or reach the other services${basis}.${app ? ` It is included because the option \`applications\` is set, although ${app}.` : ''}`,
        fix: fix('Disable networking (network_mode: none)', 'unsafe', [insertPair(file, svc.doc, svc.node, 'network_mode', 'none')]),
      });
    }

    // Every service seen reaching a back-end service of the document joins the internal network (one may reach the
    // others through its config files), and so does every service running the same image or build as one of them.
    // Only back-end services that can move count (the others are reported as left alone by backend()).
    const movable = backends.filter((b) => b.extendedBy.length === 0 && !b.reachedBy.some((p) => p.elsewhere !== undefined) && topNetwork(b.view.svc.doc, net) !== 'taken');
    for (const b of backends) {
      const docIndex = b.view.svc.docIndex;
      if (!movable.includes(b)) {
        backend(ctx, file, views, b.view, b.reachedBy, b.reachedBy, b.extendedBy, net, blocked);
        continue;
      }
      const seen = movable.filter((x) => x.view.svc.docIndex === docIndex).flatMap((x) => x.reachedBy);
      const origin = (s: ComposeService) => {
        const i = serviceImage(s);
        return i.built ? `build:${JSON.stringify(lookup(s, 'build')?.value?.toJSON?.() ?? null)}` : i.raw !== undefined ? `image:${i.raw}` : undefined;
      };
      const origins = new Set(seen.map((p) => origin(p.svc)).filter((o) => o !== undefined));
      const same = all.filter((s) => s.docIndex === docIndex && !backends.some((x) => x.view.svc === s) && !isServer(s) && origins.has(origin(s) ?? ''));
      const attach: Peer[] = [];
      for (const p of [...seen, ...same.map((svc) => ({ svc }))]) if (!attach.some((a) => a.svc === p.svc)) attach.push(p);
      backend(ctx, file, views, b.view, b.reachedBy, attach, b.extendedBy, net, blocked);
    }
  },
});

/** Plan and report the internal network for one back-end service and the services reaching it. */
function backend(
  ctx: CodemodContext,
  file: ParsedCompose,
  views: readonly ServiceView[],
  view: ServiceView,
  reachedBy: readonly Peer[],
  attach: readonly Peer[],
  extendedBy: readonly ComposeService[],
  net: string,
  blocked: Set<string>,
): void {
  const { svc } = view;
  const m = serviceImage(svc).match;
  const seen = reachedBy.map((p) => p.svc.name);
  const clients = attach.map((p) => p.svc.name);
  const desc = `Service \`${svc.name}\` (${m?.family ?? ''}, knowledge base entry ${m?.name ?? ''}) publishes no ports and only ${list(seen)} ${seen.length > 1 ? 'reach' : 'reaches'} it`;
  const leave = (why: string) => {
    ctx.report({ range: rangeOf(svc.keyNode), severity: 'info', message: `${desc}; it could move to an internal network, but ${why}: left on the default network.` });
  };
  const state = topNetwork(svc.doc, net);
  if (state === 'taken') {
    if (!blocked.has(`${svc.docIndex}`)) leave(`a network \`${net}\` exists and is not \`internal: true\` (set the option \`network\` to another name)`);
    blocked.add(`${svc.docIndex}`);
    return;
  }
  if (extendedBy.length > 0) return leave(`${list(extendedBy.map((s) => s.name))} ${extendedBy.length > 1 ? 'extend' : 'extends'} it and would lose the default network too`);
  const elsewhere = attach.find((p) => p.elsewhere !== undefined);
  if (elsewhere) return leave(`\`${elsewhere.svc.name}\` is defined in ${elsewhere.elsewhere ?? ''}: attach them to a network \`${net}\` together by hand`);
  const all = services(file).filter((s) => s.docIndex === svc.docIndex);
  const edits: Edit[] = [];
  const done = new Set<unknown>();
  const attached: string[] = [];
  const inherited: string[] = [];
  for (const p of attach) {
    const c = p.svc;
    const cv = views.find((v) => v.svc.keyNode === c.keyNode);
    if (!cv || cv.skip) return leave(`\`${c.name}\` is defined in another file of this run`);
    if (c.extendsUnknown) return leave(`\`${c.name}\` ${c.extendsUnknown}, so its networks are unknown`);
    if (lookupView(cv, 'network_mode')) return leave(`\`${c.name}\` sets \`network_mode\`, so it cannot join a network`);
    const l = lookup(c, 'networks');
    const v = l ? resolveNode(c.doc, l.value) : null;
    const names = isMap(v) ? v.items.map((x) => scalarText(x.key)) : l ? stringItems(c.doc, v).map((e) => e.value) : [];
    if (names.includes(net)) continue;
    if (c.alias && done.has(c.node)) continue;
    // It extends a service that reaches it too: it inherits the networks that one gets (compose merges them).
    if (c.sources.some((src) => src.via === 'extends' && clients.includes(src.service ?? ''))) {
      inherited.push(c.name);
      continue;
    }
    if (!l) {
      if (c.alias && !servicesUsing(all, c.node).every((u) => clients.includes(u.name))) return leave(`\`${c.name}\` is an alias of \`&${c.alias.source}\`, which other services use`);
      done.add(c.node);
      edits.push(insertPair(file, c.doc, c.node, 'networks', ['default', net]));
      attached.push(c.name);
      continue;
    }
    if (isMap(v)) {
      if (l.shared) return leave(`the \`networks\` mapping of \`${c.name}\` comes from a shared definition`);
      edits.push(insertPair(file, c.doc, v, net, {}));
      attached.push(c.name);
      continue;
    }
    const add = listAddition(file, c, 'networks', l, [net], (owner) => servicesUsing(all, owner).every((u) => clients.includes(u.name)), done);
    if ('error' in add) return leave(`for \`${c.name}\`, ${add.error}`);
    edits.push(...add.edits);
    if (add.pairs.length) edits.push(insertPair(file, c.doc, c.node, 'networks', add.pairs[0]?.[1] as NewValue));
    attached.push(c.name);
  }
  edits.push(insertPair(file, svc.doc, svc.node, 'networks', [net]));
  // Last: at the same offset as the last service's entries, the top-level key must come after them.
  if (state === 'absent') {
    const decl = declareNetwork(file, svc.doc, net);
    if (!decl) return leave('the top-level `networks:` is not a mapping');
    edits.push(decl);
  }
  const others = attached.filter((n) => !seen.includes(n));
  let joined = attached.length ? ` ${list(attached)} ${attached.length > 1 ? 'join' : 'joins'} it too, keeping the networks ${attached.length > 1 ? 'they have' : 'it has'} (the default one when none was listed)${others.length ? `; ${list(others)} because ${others.length > 1 ? 'they reach' : 'it reaches'} another back-end service or ${others.length > 1 ? 'run' : 'runs'} the same image as a service that does` : ''}.` : '';
  if (inherited.length && attached.length) joined += ` ${list(inherited)} ${inherited.length > 1 ? 'inherit' : 'inherits'} that through \`extends\`.`;
  ctx.report({
    range: rangeOf(svc.keyNode as Node),
    message: `${desc}: moved to the internal network \`${net}\`${state === 'absent' ? ' (declared with `internal: true`)' : ''}, so it has no route to or from outside the host.${joined}`,
    fix: fix(`Move ${svc.name} to the internal network ${net}`, 'unsafe', mergeInsertions(edits)),
  });
}
