/**
 * compose-bind-localhost: published ports of data stores, caches, queues, metrics, admin and debug endpoints that listen
 * on every host interface are bound to 127.0.0.1. Public entry points (reverse proxies, web servers, 80/443, mail,
 * voice/video media, the only application port of a stack with no proxy) are left alone; ports harden has no evidence
 * about get a manual finding. The roles come from src/compose/port-roles.ts.
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isMap, isScalar, isSeq, type Document, type Scalar, type YAMLMap } from 'yaml';
import { fix } from '../src/engine/edits.js';
import type { CodemodContext, Edit, ParsedCompose, Range, Report } from '../src/engine/types.js';
import { serviceImage, siblingFiles } from '../src/compose/hardening/views.js';
import { describeImage, identifyImage, portRole, withDefaults, type ImageIdentity, type PortFacts, type PortRole } from '../src/compose/port-roles.js';
import {
  insertPair, lookup, sharedWhere, lookupMerged, onceGuard, ownPair, rangeOf, replaceScalar, resolveNode, scalarText, services,
  spliceScalar, stringItems, type ComposeService,
} from '../src/compose/index.js';

export interface PortSpec {
  /** Host IP as written (IPv6 with its brackets), and its [start, end) in the spec. */
  hostIp?: { text: string; start: number; end: number };
  /** Host port or range ('' for `ip::container`). */
  hostPort?: string;
  container: string;
  protocol?: string;
}

/** Short port syntax `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]` (IPv6 host IPs in brackets, or bare with 4+ colons). */
export function parsePortSpec(spec: string): PortSpec | undefined {
  let s = spec;
  let protocol: string | undefined;
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    protocol = s.slice(slash + 1);
    s = s.slice(0, slash);
  }
  let hostIp: PortSpec['hostIp'];
  let rest = s;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') return undefined;
    hostIp = { text: s.slice(0, close + 1), start: 0, end: close + 1 };
    rest = s.slice(close + 2);
    const parts = rest.split(':');
    if (parts.length !== 2) return undefined;
    return { hostIp, hostPort: parts[0] as string, container: parts[1] as string, ...(protocol ? { protocol } : {}) };
  }
  const parts = rest.split(':');
  if (parts.length === 1) return { container: parts[0] as string, ...(protocol ? { protocol } : {}) };
  if (parts.length === 2) return { hostPort: parts[0] as string, container: parts[1] as string, ...(protocol ? { protocol } : {}) };
  const container = parts.pop() as string;
  const hostPort = parts.pop() as string;
  const ip = parts.join(':');
  return { hostIp: { text: ip, start: 0, end: ip.length }, hostPort, container, ...(protocol ? { protocol } : {}) };
}

const ALL_V4 = new Set(['0.0.0.0']);
const ALL_V6 = new Set(['::', '[::]', '[0:0:0:0:0:0:0:0]', '0:0:0:0:0:0:0:0']);

function loopbackFor(address: string, bracketed: boolean): string {
  const v6 = address.includes(':');
  return v6 && bracketed && !address.startsWith('[') ? `[${address}]` : address;
}

/** Whether a host IP binds only this host (loopback). */
function isLoopback(ip: string): boolean {
  const a = ip.replace(/^\[|\]$/g, '').toLowerCase();
  return a === '::1' || a === 'localhost' || a.startsWith('127.') || a === '0:0:0:0:0:0:0:1';
}

const firstNumber = (s: string | undefined): number | undefined => {
  const m = s === undefined ? null : /^(\d+)(?:-\d+)?$/.exec(s.trim());
  return m ? Number(m[1]) : undefined;
};

/** One published port of a service, as harden sees it. */
interface PortItem {
  svc: ComposeService;
  facts: PortFacts;
  /** How it is bound: on all interfaces implicitly or explicitly, to loopback, to another address, or by a variable. */
  binding: 'all' | 'explicit-all' | 'loopback' | 'specific' | 'variable';
}

/** Stands for a variable without a default when the literal parts of a port are read (`$BIND_ADDRESS4:25:25`). */
const UNSET = '\u00a7';

/** Ports, protocol and host IP of a short-syntax port, variables read with their defaults (`partial`: some have none). */
function shortFacts(spec: string): { facts: PortFacts; ip: string | undefined; partial: boolean } | undefined {
  const full = spec.includes('$') ? withDefaults(spec) : spec;
  const resolved = full ?? withDefaults(spec, UNSET);
  const p = resolved === undefined ? undefined : parsePortSpec(resolved);
  if (!p) return undefined;
  const range = /\d-\d/.test(p.container) || (p.hostPort !== undefined && /\d-\d/.test(p.hostPort));
  const host = firstNumber(p.hostPort);
  const container = firstNumber(p.container);
  return {
    facts: { ...(host !== undefined ? { host } : {}), ...(container !== undefined ? { container } : {}), ...(p.protocol ? { protocol: p.protocol } : {}), range },
    ip: p.hostIp?.text,
    partial: full === undefined,
  };
}

function bindingOf(ip: string | undefined, rawHasVar: boolean): PortItem['binding'] {
  if (ip?.includes(UNSET) === true) return 'variable';
  if (ip === undefined || ip === '') return rawHasVar ? 'variable' : 'all';
  if (ALL_V4.has(ip) || ALL_V6.has(ip)) return rawHasVar ? 'variable' : 'explicit-all';
  if (isLoopback(ip)) return 'loopback';
  return 'specific';
}

function longFacts(doc: Document.Parsed, item: YAMLMap): PortFacts | undefined {
  const t = scalarText(resolveNode(doc, ownPair(item, 'target')?.value));
  if (t === undefined) return undefined;
  const pub = scalarText(resolveNode(doc, ownPair(item, 'published')?.value));
  const proto = scalarText(resolveNode(doc, ownPair(item, 'protocol')?.value));
  const container = firstNumber(withDefaults(t));
  const host = pub === undefined ? undefined : firstNumber(withDefaults(pub));
  return {
    ...(host !== undefined ? { host } : {}), ...(container !== undefined ? { container } : {}), ...(proto ? { protocol: proto } : {}),
    range: /\d-\d/.test(t) || (pub !== undefined && /\d-\d/.test(pub)),
  };
}

/** The published ports of a service (through anchors, merge keys and extends). */
function portItems(svc: ComposeService): PortItem[] {
  const out: PortItem[] = [];
  const nm = lookup(svc, 'network_mode');
  if (nm && scalarText(nm.value) === 'host') return out;
  for (const ports of lookupMerged(svc, 'ports')) {
    if (!isSeq(ports.value)) continue;
    for (const raw of ports.value.items) {
      const item = resolveNode(svc.doc, raw);
      if (isScalar(item)) {
        const spec = scalarText(item);
        const f = spec === undefined ? undefined : shortFacts(spec);
        if (spec !== undefined && f) out.push({ svc, facts: f.facts, binding: bindingOf(f.ip, spec.includes('$')) });
        else if (spec?.includes('$')) out.push({ svc, facts: { range: false }, binding: 'variable' });
      } else if (isMap(item)) {
        const f = longFacts(svc.doc, item);
        if (!f) continue;
        const ip = scalarText(resolveNode(svc.doc, ownPair(item, 'host_ip')?.value));
        out.push({ svc, facts: f, binding: ip === undefined ? 'all' : ip.includes('$') ? 'variable' : bindingOf(ip, false) });
      }
    }
  }
  return out;
}

function commandText(svc: ComposeService): string {
  const c = lookup(svc, 'command');
  if (!c) return '';
  if (isSeq(c.value)) return stringItems(svc.doc, c.value).map((e) => e.value).join(' ');
  return scalarText(c.value) ?? '';
}

/** What harden knows about the image a service runs (a service built here runs its own application: unknown). */
function serviceIdentity(svc: ComposeService): ImageIdentity | undefined {
  const img = serviceImage(svc);
  if (img.built) return undefined;
  const ref = img.ref ?? img.repositoryOnly ?? (img.raw !== undefined ? withDefaults(img.raw) : undefined);
  return ref ? identifyImage(ref) : undefined;
}

/** What the stack (this file and the base/override files read with it) says about its entry points. */
interface StackFacts {
  /** Ports this file binds to loopback explicitly that are not internal by evidence (the project's own choice). */
  loopback: number;
  /** Services that are reverse proxies or web servers, by name. */
  proxies: string[];
  /** Services publishing on all interfaces a port there is no evidence about (the stack's possible entry points). */
  unknownEntry: Set<string>;
  identities: Map<ComposeService, ImageIdentity | undefined>;
  commands: Map<ComposeService, string>;
}

function stackFacts(ctx: CodemodContext, file: ParsedCompose): StackFacts {
  const { bases, overrides } = siblingFiles(ctx, file);
  const facts: StackFacts = { loopback: 0, proxies: [], unknownEntry: new Set(), identities: new Map(), commands: new Map() };
  const files = [file, ...bases, ...overrides];
  for (const f of files) {
    for (const svc of services(f)) {
      const id = serviceIdentity(svc);
      const cmd = commandText(svc);
      facts.identities.set(svc, id);
      facts.commands.set(svc, cmd);
      if (id && (id.role === 'proxy' || id.role === 'web') && !facts.proxies.includes(svc.name)) facts.proxies.push(svc.name);
      for (const p of portItems(svc)) {
        const role = portRole(p.facts, id, cmd);
        if (p.binding === 'loopback') {
          // Ports this codemod binds (internal ones) do not count: only the project's own choices do.
          if (f === file && role?.kind !== 'internal') facts.loopback++;
          continue;
        }
        if (p.binding === 'specific') continue;
        if (role?.kind === 'public' && (p.facts.host === 80 || p.facts.host === 443) && !facts.proxies.includes(svc.name)) facts.proxies.push(svc.name);
        if (role === undefined) facts.unknownEntry.add(svc.name);
      }
    }
  }
  return facts;
}

type Decision = { fix: true; role: PortRole } | { fix: false; severity: 'info' | 'warning'; why: string; check: string; manual: boolean };

/** What to do with a port on all interfaces of `svc`: bind it (with the evidence), or why not. */
function decide(svc: ComposeService, facts: PortFacts, stack: StackFacts): Decision {
  const id = stack.identities.get(svc) ?? serviceIdentity(svc);
  const role = portRole(facts, id, stack.commands.get(svc) ?? commandText(svc));
  if (role?.kind === 'internal') return { fix: true, role };
  if (role?.kind === 'public') return { fix: false, severity: 'info', why: role.evidence, check: 'it stays on all interfaces', manual: false };
  const loopback = stack.loopback
    ? `this file binds ${stack.loopback} application port${stack.loopback === 1 ? '' : 's'} to loopback explicitly and leaves this one on all interfaces, which looks deliberate`
    : undefined;
  if (role?.kind === 'ask') {
    return loopback
      ? { fix: false, severity: 'info', why: `${role.evidence}; ${loopback}`, check: 'it stays on all interfaces', manual: false }
      : { fix: false, severity: 'warning', why: role.evidence, check: 'bind it by hand ({hint}) if nothing outside this host uses it', manual: true };
  }
  const unknown = id ? `${describeImage(id)}, and the port is not a well-known internal one` : `${imageWords(svc)} is not an image harden knows, and the port is not a well-known internal one`;
  if (loopback) return { fix: false, severity: 'info', why: `${unknown}; ${loopback}`, check: 'it stays on all interfaces', manual: false };
  if (stack.proxies.length === 0 && stack.unknownEntry.size === 1 && stack.unknownEntry.has(svc.name)) {
    return {
      fix: false, severity: 'info', manual: false, check: 'it stays on all interfaces',
      why: `\`${svc.name}\` is the only service of the stack publishing an application port, in a stack with no reverse proxy, so it is how users reach it`,
    };
  }
  const proxy = stack.proxies.length ? `; the stack has a reverse proxy (\`${stack.proxies.join('`, `')}\`): if users reach \`${svc.name}\` only through it, bind this port` : '';
  return { fix: false, severity: 'warning', manual: true, why: `${unknown}${proxy}`, check: 'bind it by hand ({hint}) if only this host needs it; leave it if users or other hosts connect to it' };
}

function imageWords(svc: ComposeService): string {
  const img = serviceImage(svc);
  if (img.built) return `\`${svc.name}\` is built here, so it`;
  return img.raw !== undefined ? `\`${img.raw}\`` : `\`${svc.name}\` (no image)`;
}

const MANUAL_FIX = { title: 'bind the port by hand after checking who connects to it', safety: 'manual' as const, edits: [] };

const DOCS = `## What it does
For each service's \`ports:\` (through anchors, merge keys and same-file \`extends\`) that listens on every host
interface, it decides from evidence whether the port is for this host only or a public entry point:

- **bound to 127.0.0.1** (unsafe fix): ports of images that are data stores, caches, queues, search engines,
  metrics/monitoring components (Prometheus, exporters, tracing) or admin UIs — evidence: the image's knowledge-base
  family (postgres, mariadb, mysql, mongo, redis, valkey, memcached, rabbitmq, elasticsearch, prometheus) or a table of
  known images (clickhouse, nats, meilisearch, opensearch, kafka, \`*-exporter\` images, adminer, pgadmin…); and, on
  images harden does not know, well-known internal ports (5432, 3306, 27017, 6379, 11211, 5672, 9200, exporters such
  as 9100/9187/9121, debuggers 9229/5005/2345/5678, the Docker API 2375/2376). A few ports of public images are admin
  ports and are bound too: traefik's 8080 when its command sets \`api.insecure\`, nginx-proxy-manager's 81, MinIO's
  console 9001.
- **left alone, with an info finding that says why**: reverse proxies and web servers (caddy, traefik, nginx, httpd,
  haproxy, envoy, nginx-proxy-manager…; all their ports, 8080/8443 included), host or container port 80/443, mail
  ports (25, 465, 587, 143, 993, 110, 995, 4190), voice/video and other client protocols (SIP 5060/5061/5080/5081,
  STUN/TURN, DNS, VPN, XMPP, Matrix federation, SSH), UDP ports and port ranges (media), media servers (freeswitch,
  coturn, jitsi…); the only service of a stack without a reverse proxy that publishes an application port (umami,
  docmost, uptime-kuma…: that port is how users reach it); and ports of a file that already binds other ports to
  loopback explicitly (the project chose to leave this one open).
- **manual finding, no fix**: everything else — an image harden does not know (or one built here) on a port that is
  not well known, in a stack with several such services or with a reverse proxy (the port may be a bypass of the proxy,
  or how users reach the service: only the maintainer knows), and MinIO's S3 API (browsers upload to it with presigned
  URLs).

How a port is bound: short syntax gets \`127.0.0.1:\` in front (\`"5432:5432"\` → \`"127.0.0.1:5432:5432"\`, ranges
and \`/udp\` kept); a container-only port (\`- "5432"\`, published by Docker on a random host port on all interfaces) keeps
its random host port: \`"127.0.0.1::5432"\`; an explicit \`0.0.0.0:\`, \`[::]:\` or \`::\` becomes \`127.0.0.1\` / \`[::1]\`;
long syntax without \`host_ip\` gets \`host_ip: 127.0.0.1\` as its last key, \`host_ip: 0.0.0.0\` / \`"::"\` becomes
\`127.0.0.1\` / \`::1\`. Ports written with \`\${VAR}\` are reported without a fix (the binding depends on the
environment); their defaults and literal parts are read: \`\${BIND:-127.0.0.1}:5432:5432\` is left alone (bound by
default), \`$BIND_ADDRESS4:25:25\` or \`\${HTTP_PORT:-80}:80\` get an info finding (a public entry point). Long-syntax
ports with \`mode: ingress\` are reported too (the swarm routing mesh ignores \`host_ip\`). Ports already bound to a specific address
(\`127.0.0.1\`, \`[::1]\`, \`192.168.1.10\`…) and services with \`network_mode: host\` are left alone. The stack is the
file and the base/override compose files of its directory that are read with it. Every message names the evidence
(the knowledge-base entry or known image, the port's well-known use, the stack's lack of a proxy).

## Why
A port published without a host IP listens on every interface of the host, and Docker's iptables rules bypass host
firewalls such as ufw: a database, cache or admin UI meant for the other containers becomes reachable from the network.
Binding every port, though, takes public services off the network: a reverse proxy on 443, a mail server on 25, the web
UI of a stack with no proxy. So only ports with evidence of being internal are bound.

## Example
\`\`\`yaml
services:
  caddy:
    image: caddy:2
    ports:
      - "443:443"
  db:
    image: postgres:16
    ports:
      - "5432:5432"
\`\`\`
becomes
\`\`\`yaml
services:
  caddy:
    image: caddy:2
    ports:
      - "443:443"
  db:
    image: postgres:16
    ports:
      - "127.0.0.1:5432:5432"
\`\`\`
(with an info finding on \`443:443\`: caddy is a reverse proxy, its ports are how users reach the stack).

## Fix safety
Unsafe (applied only with \`--unsafe\`), even with evidence: binding changes who can connect. A database a client on
another machine uses (a BI tool, a replica, a backup host), a metrics endpoint scraped by a Prometheus elsewhere or
an admin UI opened from a laptop stops working; the compose file cannot show that. The evidence makes the fix right
for the usual deployment, not impossible to break, so it is never \`safe\`. Ports with no evidence get no fix at all.
Only the needed characters are inserted, inside the user's quotes. An unquoted port stays unquoted when the result
still reads as a string in both YAML 1.2 and YAML 1.1 (PyYAML read \`22:22\` as the base-60 number 1342); otherwise the
result is double-quoted.
`;

export const composeBindLocalhost = defineCodemod({
  id: 'compose-bind-localhost',
  fileKinds: ['compose'],
  summary: 'Published ports of data stores, caches, queues, metrics, admin and debug endpoints are bound to 127.0.0.1; public entry points are left alone.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001', 'compose-lint:CL-0005', 'kics:container-traffic-not-bound-to-host-interface', 'dclint:no-unbound-port-interfaces'],
  securitySeverity: 6.5,
  defaultOptions: { address: '127.0.0.1' },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { address: { type: 'string', minLength: 1, description: 'The host IP to bind to (127.0.0.1, ::1, a private interface address).' } } },
  docs: DOCS,
  run(ctx) {
    const file = ctx.file;
    const address = typeof ctx.options.address === 'string' && ctx.options.address !== '' ? ctx.options.address : '127.0.0.1';
    const once = onceGuard();
    // What the stack says is read when a port on all interfaces needs a decision (most files publish none).
    let facts: StackFacts | undefined;
    const stack = (): StackFacts => (facts ??= stackFacts(ctx, file));
    for (const svc of services(file)) {
      const nm = lookup(svc, 'network_mode');
      if (nm && scalarText(nm.value) === 'host') continue;
      for (const ports of lookupMerged(svc, 'ports')) {
        if (!ports.value || !('items' in ports.value) || isMap(ports.value)) continue;
        if (!once(ports.value)) continue;
        const shared = sharedWhere(ports);
        const where = shared ? ` (in ${shared}, used by \`${svc.name}\` and maybe others)` : '';
        const at = { svc, stack, address, where };
        for (const raw of ports.value.items) {
          const item = resolveNode(svc.doc, raw);
          if (isScalar(item)) checkShort(ctx.report, file, item, at);
          else if (isMap(item)) checkLong(ctx.report, file, svc.doc, item, at);
        }
      }
    }
  },
});

interface At {
  svc: ComposeService;
  stack: () => StackFacts;
  address: string;
  where: string;
}

/** Reports a port on all interfaces: the fix when the evidence says it is internal, otherwise why it is left. */
function reportPort(report: (r: Report) => void, range: Range, at: At, facts: PortFacts, what: string, hint: string, title: string, edit: () => Edit | undefined): void {
  const d = decide(at.svc, facts, at.stack());
  if (d.fix) {
    const e = edit();
    report({ range, message: `${what}${at.where}; ${d.role.evidence}: bind it to ${at.address} (${hint}).`, ...(e ? { fix: fix(title, 'unsafe', [e]) } : {}) });
    return;
  }
  const check = d.check.replace('{hint}', hint);
  report({ range, severity: d.severity, message: `${what}${at.where}; ${d.why}: ${check}.`, ...(d.manual ? { fix: MANUAL_FIX } : {}) });
}

function checkShort(report: (r: Report) => void, file: ParsedCompose, node: Scalar, at: At): void {
  const spec = scalarText(node);
  if (spec === undefined) return;
  const range = rangeOf(node);
  const { address } = at;
  const rawIp = parsePortSpec(spec)?.hostIp?.text;
  if (rawIp !== undefined && !rawIp.includes('$') && !ALL_V4.has(rawIp) && !ALL_V6.has(rawIp)) return;
  if (spec.includes('$')) {
    const f = shortFacts(spec);
    // Bound to loopback or a specific address by default (`${BIND_IP:-127.0.0.1}:5432:5432`): the project chose it.
    const binding = f ? bindingOf(f.ip, true) : 'variable';
    if (binding === 'loopback' || binding === 'specific') return;
    const d = f ? decide(at.svc, f.facts, at.stack()) : undefined;
    if (f && d && !d.fix && d.severity === 'info') {
      const dflt = f.partial ? '' : ` with their defaults (\`${withDefaults(spec) ?? ''}\`),`;
      report({ range, severity: 'info', message: `Port \`${spec}\` uses variables${at.where};${dflt} ${d.why}: it stays as it is.` });
      return;
    }
    report({ range, message: `Port \`${spec}\` uses variables, so whether it is published on all interfaces depends on the environment${at.where}; bind it to ${address} explicitly if it is for local use.` });
    return;
  }
  const p = parsePortSpec(spec);
  if (!p) return;
  const ip = p.hostIp?.text;
  const explicitAll = ip !== undefined && (ALL_V4.has(ip) || ALL_V6.has(ip));
  if (ip !== undefined && !explicitAll) return;
  const facts = shortFacts(spec)?.facts ?? { range: false };
  if (explicitAll && p.hostIp) {
    const v6 = ip?.includes(':') === true;
    const to = v6 ? '[::1]' : loopbackFor(address, false);
    const hostIp = p.hostIp;
    const bound = `${to}${spec.slice(hostIp.end)}`;
    reportPort(report, range, { ...at, address: v6 ? '[::1]' : address }, facts, `Port \`${spec}\` is explicitly published on all ${v6 ? 'IPv6' : 'IPv4'} interfaces`, `\`${bound}\``, `Bind port ${spec} to ${v6 ? '[::1]' : address}`, () =>
      spliceScalar(file, node, hostIp.start, hostIp.end, to),
    );
    return;
  }
  const prefix = `${loopbackFor(address, true)}:${p.hostPort === undefined ? ':' : ''}`;
  const random = p.hostPort === undefined;
  const what = random ? `Port \`${spec}\` is published on a random host port on all interfaces` : `Port \`${spec}\` is published on all host interfaces`;
  const hint = random ? `\`${prefix}${spec}\`, or \`expose:\` if it need not be published` : `\`${prefix}${spec}\``;
  reportPort(report, range, at, facts, what, hint, `Bind port ${spec} to ${address}`, () => spliceScalar(file, node, 0, 0, prefix));
}

function checkLong(report: (r: Report) => void, file: ParsedCompose, doc: Document.Parsed, item: YAMLMap, at: At): void {
  const target = ownPair(item, 'target');
  if (!target) return;
  const { address, where } = at;
  const published = scalarText(resolveNode(doc, ownPair(item, 'published')?.value));
  const tgt = scalarText(resolveNode(doc, target.value)) ?? '?';
  const label = published ?? tgt;
  const desc = published === undefined ? `\`${tgt}\` (on a random host port)` : `\`${published}:${tgt}\``;
  const mode = scalarText(resolveNode(doc, ownPair(item, 'mode')?.value));
  const hp = ownPair(item, 'host_ip');
  const range = rangeOf(item.items[0]?.key as never);
  const facts = longFacts(doc, item) ?? { range: false };
  if (hp) {
    const v = resolveNode(doc, hp.value);
    const ip = scalarText(v);
    if (ip === undefined || !isScalar(v)) return;
    if (ip.includes('$')) {
      report({ range: rangeOf(v), message: `Port ${desc} takes its host_ip from a variable${where}; make sure it is not 0.0.0.0 for a local-only service.` });
      return;
    }
    if (!ALL_V4.has(ip) && !ALL_V6.has(ip)) return;
    const v6 = ip.includes(':');
    const to = v6 ? '::1' : address;
    reportPort(report, rangeOf(v), { ...at, address: to }, facts, `Port ${desc} is explicitly published on all ${v6 ? 'IPv6' : 'IPv4'} interfaces (host_ip: ${ip})`, `\`host_ip: ${to}\``, `Bind port ${label} to ${to}`, () =>
      replaceScalar(file, v, to),
    );
    return;
  }
  if (mode === 'ingress') {
    report({ range, message: `Port ${desc} uses the swarm ingress routing mesh, which publishes on all nodes' interfaces and ignores host_ip${where}; use \`mode: host\` with \`host_ip: ${address}\` for local-only access.` });
    return;
  }
  reportPort(report, range, at, facts, `Port ${desc} is published on all host interfaces`, `\`host_ip: ${address}\``, `Bind port ${label} to ${address}`, () =>
    insertPair(file, doc, item, 'host_ip', address),
  );
}
