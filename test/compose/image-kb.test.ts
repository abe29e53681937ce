/** The knowledge base of official images: its shape, and matching by repository and tag family. */
import { describe, expect, it } from 'vitest';
import { FAMILY_RESOURCES, KNOWLEDGE_BASE, imageRepository, knowledgeBaseTable, matchBuilt, matchImage } from '../../src/compose/image-kb.js';

const CAPS = new Set(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP']);

describe('image knowledge base', () => {
  it('covers the images the issue lists', () => {
    for (const ref of ['nginx', 'httpd', 'postgres', 'mysql', 'mariadb', 'redis', 'valkey/valkey', 'mongo', 'rabbitmq', 'memcached', 'elasticsearch', 'grafana/grafana', 'prom/prometheus', 'traefik', 'caddy', 'node', 'python', 'golang']) {
      expect(matchImage(`${ref}:latest`)?.id, ref).toBeDefined();
    }
  });

  it('has well-formed entries', () => {
    const repos = new Set<string>();
    for (const e of KNOWLEDGE_BASE) {
      for (const r of e.repositories) {
        expect(repos.has(r), `${r} listed twice`).toBe(false);
        repos.add(r);
      }
      for (const p of [...e.writable, ...e.volumes, ...(e.data ?? [])]) expect(p).toMatch(/^\/[^\s]*[^/]$/);
      for (const c of e.capAdd) expect(CAPS.has(c), `${e.id}: ${c} is not a default docker capability`).toBe(true);
      expect(FAMILY_RESOURCES[e.family]).toBeDefined();
      expect(e.healthcheck !== undefined || e.noHealthcheck !== undefined, `${e.id}: healthcheck or the reason for none`).toBe(true);
      if (e.healthcheck) expect(['CMD', 'CMD-SHELL']).toContain(e.healthcheck.test[0]);
    }
    expect(KNOWLEDGE_BASE.map((e) => e.id)).toEqual([...KNOWLEDGE_BASE.map((e) => e.id)].sort());
  });

  it('normalises Docker Hub spellings and mirrors for matching', () => {
    expect(imageRepository('docker.io/library/nginx:1.27')).toEqual({ repository: 'nginx', tag: '1.27' });
    expect(imageRepository('index.docker.io/library/redis')).toEqual({ repository: 'redis', tag: undefined });
    expect(imageRepository('public.ecr.aws/docker/library/postgres:16@sha256:' + 'a'.repeat(64))).toEqual({ repository: 'postgres', tag: '16' });
    expect(imageRepository('localhost:5000/nginx:1')).toEqual({ repository: 'localhost:5000/nginx', tag: '1' });
    expect(imageRepository('${IMAGE}')).toBeUndefined();
    expect(matchImage('bitnami/postgresql:16')).toBeUndefined();
    expect(matchImage('ghcr.io/acme/nginx:1')).toBeUndefined();
    expect(matchImage('quay.io/prometheus/prometheus:v2.48.0')?.id).toBe('prometheus');
    expect(matchImage('docker.elastic.co/elasticsearch/elasticsearch:8.14.0')?.id).toBe('elasticsearch');
  });

  it('applies tag-family variants', () => {
    expect(matchImage('mongo:7.0.3')?.healthcheck?.test[1]).toBe('mongosh');
    expect(matchImage('mongo:4.4')?.healthcheck?.test[1]).toBe('mongo');
    expect(matchImage('mongo')?.healthcheck?.test[1]).toBe('mongosh');
    expect(matchImage('mariadb:10.3')?.healthcheck?.test[1]).toBe('mysqladmin');
    expect(matchImage('mariadb:10.11')?.healthcheck?.test).toEqual(['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized']);
    expect(matchImage('mariadb:11.4')?.healthcheck?.test[1]).toBe('healthcheck.sh');
    expect(matchImage('grafana/grafana:10.2.2-ubuntu')?.name).toBe('grafana (ubuntu)');
    expect(matchImage('postgres:18')?.volumes).toEqual(['/var/lib/postgresql']);
    expect(matchImage('postgres:16-alpine')?.volumes).toEqual(['/var/lib/postgresql/data']);
    expect(matchImage('postgres:16-alpine')?.name).toBe('postgres');
  });

  it('matches images built here by their final stage and the stages it copies from', () => {
    expect(matchBuilt('node:20-alpine', ['node:20'])?.id).toBe('node');
    expect(matchBuilt('scratch', ['golang:1.22'])?.id).toBe('golang-app');
    expect(matchBuilt('gcr.io/distroless/static-debian12', ['docker.io/library/golang:1.22-alpine'])).toMatchObject({ id: 'golang-app', runsAsRoot: true });
    expect(matchBuilt('gcr.io/distroless/static:nonroot', ['golang:1.22'])).toMatchObject({ name: 'golang-app (nonroot)', runsAsRoot: false });
    // Without a golang builder: the base image's own entry, if any.
    expect(matchBuilt('scratch', [])).toBeUndefined();
    expect(matchBuilt('gcr.io/distroless/static', ['rust:1.77'])).toBeUndefined();
    expect(matchBuilt('nginx:1.27', ['golang:1.22'])?.id).toBe('nginx');
    // The built-image entry matches no pulled image.
    expect(matchImage('scratch')).toBeUndefined();
    expect(matchImage('gcr.io/distroless/static:latest')).toBeUndefined();
  });

  it('renders a docs table with a row per entry', () => {
    const t = knowledgeBaseTable(['writable', 'capAdd']);
    expect(t.split('\n').filter((l) => l.startsWith('| `')).length).toBe(KNOWLEDGE_BASE.length);
    expect(t).toContain('`/var/cache/nginx`');
  });
});
