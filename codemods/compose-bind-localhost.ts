/**
 * compose-bind-localhost: published ports without a host IP (or with 0.0.0.0 / [::]) are bound to 127.0.0.1.
 */
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isMap, isScalar, type Document, type YAMLMap } from 'yaml';
import { fix } from '../src/engine/edits.js';
import type { Codemod, Edit, ParsedCompose, Report } from '../src/engine/types.js';
import {
  insertPair, lookup, sharedWhere, lookupMerged, onceGuard, ownPair, rangeOf, replaceScalar, resolveNode, scalarText, services,
  spliceScalar,
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

export const composeBindLocalhost: Codemod = {
  id: 'compose-bind-localhost',
  fileKinds: ['compose'],
  summary: 'Published ports without a host IP (or on 0.0.0.0 / [::]) are bound to 127.0.0.1.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001', 'compose-lint:CL-0005', 'kics:container-traffic-not-bound-to-host-interface', 'dclint:no-unbound-port-interfaces'],
  securitySeverity: 6.5,
  defaultOptions: { address: '127.0.0.1' },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { address: { type: 'string', minLength: 1, description: 'The host IP to bind to (127.0.0.1, ::1, a private interface address).' } } },
  docs: `## What it does
For each service's \`ports:\` (through anchors, merge keys and same-file \`extends\`):
- short syntax without a host IP gets \`127.0.0.1:\` in front: \`"8080:80"\` → \`"127.0.0.1:8080:80"\`,
  \`8080:80/udp\` → \`127.0.0.1:8080:80/udp\`, ranges \`"8000-8010:8000-8010"\` → \`"127.0.0.1:8000-8010:8000-8010"\`;
- a container-only port (\`- "80"\` or \`- 80\`) is published by Docker on a **random host port on all interfaces**, so
  it is bound too, keeping the random host port: \`"127.0.0.1::80"\` (use \`expose:\` if it should not be published);
- an explicit all-interfaces binding \`0.0.0.0:\`, \`[::]:\` or \`::\` is reported as such and rewritten to \`127.0.0.1\`
  / \`[::1]\`;
- long syntax (\`- target: 80\` / \`published: 8080\`) without \`host_ip\` gets \`host_ip: 127.0.0.1\` as its last key;
  \`host_ip: 0.0.0.0\` / \`"::"\` is rewritten to \`127.0.0.1\` / \`::1\`;
- ports written with \`\${VAR}\` are reported without a fix (the binding depends on the environment), as are long-syntax
  ports with \`mode: ingress\` (the swarm routing mesh ignores \`host_ip\`).
Ports already bound to a specific address (\`127.0.0.1\`, \`[::1]\`, \`192.168.1.10\`…) and services with
\`network_mode: host\` (ports are ignored there) are left alone.

## Why
A port published without a host IP listens on every interface of the host, and Docker's iptables rules bypass host
firewalls such as ufw: a database or admin UI meant for local use becomes reachable from the network.

## Example
\`\`\`yaml
services:
  prometheus:
    ports:
      - "9090:9090"
\`\`\`
becomes
\`\`\`yaml
services:
  prometheus:
    ports:
      - "127.0.0.1:9090:9090"
\`\`\`

## Fix safety
Unsafe (applied only with \`--unsafe\`): it changes who can connect. Anything reaching the port from another machine
(or from containers on other hosts, reverse proxies elsewhere) stops working. Only the needed characters are inserted,
inside the user's quotes. An unquoted port stays unquoted when the result still reads as a string in both YAML 1.2
and YAML 1.1 (PyYAML read \`22:22\` as the base-60 number 1342); otherwise the result is double-quoted.

## Options
- \`address\` (string, default \`127.0.0.1\`): the host IP to bind to (e.g. \`::1\`, or a private interface address).
`,
  run(ctx) {
    const file = ctx.file as ParsedCompose;
    const address = typeof ctx.options.address === 'string' && ctx.options.address !== '' ? ctx.options.address : '127.0.0.1';
    const once = onceGuard();
    for (const svc of services(file)) {
      const nm = lookup(svc, 'network_mode');
      if (nm && scalarText(nm.value) === 'host') continue;
      for (const ports of lookupMerged(svc, 'ports')) {
        if (!ports.value || !('items' in ports.value) || isMap(ports.value)) continue;
        if (!once(ports.value)) continue;
        const shared = sharedWhere(ports);
        const where = shared ? ` (in ${shared}, used by \`${svc.name}\` and maybe others)` : '';
        for (const raw of ports.value.items) {
          const item = resolveNode(svc.doc, raw);
          if (isScalar(item)) checkShort(ctx.report, file, item, address, where);
          else if (isMap(item)) checkLong(ctx.report, file, svc.doc, item, address, where);
        }
      }
    }
  },
};

function checkShort(report: (r: Report) => void, file: ParsedCompose, node: import('yaml').Scalar, address: string, where: string): void {
  const spec = scalarText(node);
  if (spec === undefined) return;
  const p = parsePortSpec(spec);
  const range = rangeOf(node);
  if (!p) return;
  const ip = p.hostIp?.text;
  const explicitAll = ip !== undefined && (ALL_V4.has(ip) || ALL_V6.has(ip));
  if (ip !== undefined && !explicitAll && !ip.includes('$')) return;
  if (spec.includes('$')) {
    report({ range, message: `Port \`${spec}\` uses variables, so whether it is published on all interfaces depends on the environment${where}; bind it to ${address} explicitly if it is for local use.` });
    return;
  }
  let edit: Edit | undefined;
  let message: string;
  if (explicitAll && p.hostIp) {
    const v6 = ip?.includes(':') === true;
    const to = v6 ? '[::1]' : loopbackFor(address, false);
    edit = spliceScalar(file, node, p.hostIp.start, p.hostIp.end, to);
    message = `Port \`${spec}\` is explicitly published on all ${v6 ? 'IPv6' : 'IPv4'} interfaces${where}; bind it to ${v6 ? '[::1]' : address} unless other machines must reach it.`;
  } else {
    const prefix = `${loopbackFor(address, true)}:${p.hostPort === undefined ? ':' : ''}`;
    edit = spliceScalar(file, node, 0, 0, prefix);
    message =
      p.hostPort === undefined
        ? `Port \`${spec}\` is published on a random host port on all interfaces${where}; bind it to ${address} (\`${prefix}${spec}\`), or use \`expose:\` if it need not be published.`
        : `Port \`${spec}\` is published on all host interfaces${where}; bind it to ${address} (\`${prefix}${spec}\`) unless other machines must reach it.`;
  }
  report({ range, message, ...(edit ? { fix: fix(`Bind port ${spec} to ${address}`, 'unsafe', [edit]) } : {}) });
}

function checkLong(report: (r: Report) => void, file: ParsedCompose, doc: Document.Parsed, item: YAMLMap, address: string, where: string): void {
  const target = ownPair(item, 'target');
  if (!target) return;
  const published = scalarText(resolveNode(doc, ownPair(item, 'published')?.value));
  const tgt = scalarText(resolveNode(doc, target.value)) ?? '?';
  const label = published ?? tgt;
  const desc = published === undefined ? `\`${tgt}\` (on a random host port)` : `\`${published}:${tgt}\``;
  const mode = scalarText(resolveNode(doc, ownPair(item, 'mode')?.value));
  const hp = ownPair(item, 'host_ip');
  const range = rangeOf(item.items[0]?.key as never);
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
    const edit = replaceScalar(file, v, to);
    report({
      range: rangeOf(v),
      message: `Port ${desc} is explicitly published on all ${v6 ? 'IPv6' : 'IPv4'} interfaces (host_ip: ${ip})${where}; bind it to ${to} unless other machines must reach it.`,
      ...(edit ? { fix: fix(`Bind port ${label} to ${to}`, 'unsafe', [edit]) } : {}),
    });
    return;
  }
  if (mode === 'ingress') {
    report({ range, message: `Port ${desc} uses the swarm ingress routing mesh, which publishes on all nodes' interfaces and ignores host_ip${where}; use \`mode: host\` with \`host_ip: ${address}\` for local-only access.` });
    return;
  }
  report({
    range,
    message: `Port ${desc} is published on all host interfaces${where}; bind it to ${address} (\`host_ip: ${address}\`) unless other machines must reach it.`,
    fix: fix(`Bind port ${label} to ${address}`, 'unsafe', [insertPair(file, doc, item, 'host_ip', address)]),
  });
}
