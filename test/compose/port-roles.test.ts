import { describe, expect, it } from 'vitest';
import { identifyImage, portClass, portRole, withDefaults } from '../../src/compose/port-roles.js';

describe('port roles', () => {
  it('identifies images from the knowledge base, the known-image table and exporter names', () => {
    expect(identifyImage('docker.io/library/postgres:17')?.role).toBe('database');
    expect(identifyImage('caddy:2.10.0')?.role).toBe('proxy');
    expect(identifyImage('grafana/grafana:12')?.role).toBe('app');
    expect(identifyImage('clickhouse/clickhouse-server:25.12')?.role).toBe('database');
    expect(identifyImage('oliver006/redis_exporter:v1.70.0')?.role).toBe('metrics');
    expect(identifyImage('ghcr.io/umami-software/umami:latest')).toBeUndefined();
  });

  it('keeps 80/443, mail, SIP, UDP and ranges public; binds well-known internal ports', () => {
    expect(portClass({ host: 80, container: 3000, range: false })?.kind).toBe('public');
    expect(portClass({ host: 8443, container: 443, range: false })?.kind).toBe('public');
    expect(portClass({ host: 2525, container: 25, range: false })?.evidence).toMatch(/SMTP/);
    expect(portClass({ host: 5080, container: 5080, protocol: 'udp', range: false })?.evidence).toMatch(/SIP/);
    expect(portClass({ host: 20000, container: 20000, range: true })?.kind).toBe('public');
    expect(portClass({ host: 3000, container: 3000, range: false })).toBeUndefined();
    expect(portRole({ host: 15432, container: 5432, range: false }, undefined, '')).toEqual({ kind: 'internal', evidence: '5432 is the well-known port of PostgreSQL' });
    expect(portRole({ host: 3000, container: 3000, range: false }, undefined, '')).toBeUndefined();
  });

  it('image evidence wins over the port number, except mail ports', () => {
    const redis = identifyImage('redis:7');
    expect(portRole({ host: 443, container: 443, range: false }, redis, '')?.kind).toBe('internal');
    const proxy = identifyImage('traefik:v3.4');
    expect(portRole({ host: 8080, container: 8080, range: false }, proxy, '')?.kind).toBe('public');
    expect(portRole({ host: 8080, container: 8080, range: false }, proxy, '--api.insecure=true')?.kind).toBe('internal');
    const minio = identifyImage('minio/minio');
    expect(portRole({ host: 9000, container: 9000, range: false }, minio, '')?.kind).toBe('ask');
    expect(portRole({ host: 9001, container: 9001, range: false }, minio, '')?.kind).toBe('internal');
  });

  it('resolves variable defaults, and refuses variables without one', () => {
    expect(withDefaults('${BIND:-0.0.0.0}:${PORT-80}:80')).toBe('0.0.0.0:80:80');
    expect(withDefaults('${PORT}:80')).toBeUndefined();
    expect(withDefaults('$PORT:80')).toBeUndefined();
    expect(withDefaults('${PORT:?required}:80')).toBeUndefined();
    expect(withDefaults('$BIND_ADDRESS4:25:25', '?')).toBe('?:25:25');
  });
});
