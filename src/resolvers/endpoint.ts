/**
 * Which URL serves a registry: mirrors, insecure registries and the loopback rule.
 *
 * - `registries[host].mirror` (e.g. 'http://127.0.0.1:5000'): lookups for that registry go to the mirror; the repository
 *   path is unchanged (Docker Hub names keep `library/`). Keys are normalised like references ('index.docker.io' = 'docker.io').
 *   A mirror without a scheme follows the rules below. A mirror that cannot be reached (connection refused, timeout,
 *   5xx after retries) is given up for the rest of the run and the upstream registry answers instead, as dockerd does
 *   (registry.ts; one note names the mirror). Any other answer of a mirror (404, 401, …) is its answer: no fallback.
 * - Loopback hosts (localhost, 127.0.0.0/8, [::1]) are spoken to over plain HTTP (as Docker does for them).
 * - Hosts listed in `insecure` ('host' or 'host:port') use plain HTTP.
 * - Every other host uses HTTPS with verified TLS.
 */
import { DOCKER_HUB, DOCKER_HUB_API_HOST, type ImageReference } from './reference.js';

export interface EndpointSettings {
  registries?: Record<string, { mirror?: string }>;
  insecure?: readonly string[];
}

export interface Endpoint {
  /** Base URL up to (not including) '/v2/'. */
  base: URL;
  /** host[:port] of the base, for messages and credential lookup. */
  host: string;
  /** Canonical registry this endpoint serves. */
  registry: string;
  /** True when `base` is a configured mirror. */
  mirror: boolean;
}

/** True for 'localhost', 127.0.0.0/8 and ::1 (with or without brackets and port). */
export function isLoopbackHost(host: string): boolean {
  const h = stripPort(host).replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const i = host.lastIndexOf(':');
  return i >= 0 ? host.slice(0, i) : host;
}

function canonicalHost(host: string): string {
  const h = host.toLowerCase();
  return h === 'index.docker.io' || h === DOCKER_HUB_API_HOST ? DOCKER_HUB : h;
}

function schemeFor(host: string, insecure: readonly string[]): 'http' | 'https' {
  if (isLoopbackHost(host)) return 'http';
  const h = host.toLowerCase();
  return insecure.some((x) => x.toLowerCase() === h || x.toLowerCase() === stripPort(h)) ? 'http' : 'https';
}

/** The endpoint that serves `ref` (`upstream`: the registry itself, whatever mirror is configured). */
export function endpointFor(ref: ImageReference, settings: EndpointSettings, upstream = false): Endpoint {
  const insecure = settings.insecure ?? [];
  const mirror = upstream ? undefined : findMirror(ref.registry, settings.registries ?? {});
  if (mirror) {
    const withScheme = /^[a-z]+:\/\//i.test(mirror) ? mirror : `${schemeFor(mirror.replace(/\/.*$/, ''), insecure)}://${mirror}`;
    const base = new URL(withScheme);
    base.pathname = base.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
    return { base, host: base.host, registry: ref.registry, mirror: true };
  }
  const base = new URL(`${schemeFor(ref.apiHost, insecure)}://${ref.apiHost}`);
  return { base, host: ref.registry, registry: ref.registry, mirror: false };
}

function findMirror(registry: string, registries: Record<string, { mirror?: string }>): string | undefined {
  for (const [k, v] of Object.entries(registries)) if (canonicalHost(k) === registry && v.mirror) return v.mirror;
  return undefined;
}

/** A URL under the endpoint's /v2/ root. `path` starts after '/v2/'. */
export function v2Url(ep: Endpoint, path: string): URL {
  const prefix = ep.base.pathname.replace(/\/+$/, '');
  return new URL(`${ep.base.origin}${prefix}/v2/${path}`);
}

/** Human label of where an answer came from, e.g. 'registry 127.0.0.1:5000 (mirror of docker.io)'. */
export function describeEndpoint(ep: Endpoint): string {
  return ep.mirror ? `registry ${ep.host} (mirror of ${ep.registry})` : `registry ${ep.registry}`;
}
