/**
 * A loopback GitHub for tests. Every request harden sends is checked against GitHub's published OpenAPI
 * description (@octokit/openapi): method + path template, query parameter names, required headers, and the
 * JSON body against the operation's request schema (ajv). Answers are built from the description's own
 * examples (and @octokit/fixtures recordings where one fits), adjusted to the fake's state, and are checked
 * against the operation's response schema too. Violations are collected; tests assert there are none.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

type Json = Record<string, unknown>;
interface Spec {
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, Json>>;
}

let specCache: Spec | undefined;
function spec(): Spec {
  return (specCache ??= JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as Spec);
}

function fixture(scenario: string): { method: string; path: string; status: number; response: unknown }[] {
  return JSON.parse(readFileSync(require.resolve(`@octokit/fixtures/scenarios/api.github.com/${scenario}/normalized-fixture.json`), 'utf8'));
}

/** Resolve `#/components/...` references (cycles become `{}`). */
function deref(node: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => deref(n, seen));
  if (!node || typeof node !== 'object') return node;
  const o = node as Json;
  if (typeof o.$ref === 'string') {
    const ref = o.$ref;
    if (seen.includes(ref)) return {};
    const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((acc, k) => (acc as Json)?.[k], spec());
    return deref(target, [...seen, ref]);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'example' || k === 'examples' ? v : deref(v, seen);
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();
function validator(key: string, schema: unknown): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile(toJsonSchema(schema) as object);
    compiled.set(key, v);
  }
  return v;
}
/** OpenAPI 3.0 `nullable: true` → JSON Schema type unions. */
function toJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!s || typeof s !== 'object') return s;
  const o: Json = {};
  for (const [k, v] of Object.entries(s as Json)) if (k !== 'example' && k !== 'examples') o[k] = k === 'enum' || k === 'required' ? v : toJsonSchema(v);
  if (o.nullable === true) {
    if (typeof o.type === 'string') o.type = [o.type, 'null'];
    if (Array.isArray(o.enum)) o.enum = [...(o.enum as unknown[]), null];
    if (!o.type && (o.allOf || o.oneOf || o.anyOf)) return { anyOf: [{ type: 'null' }, { ...o, nullable: undefined }] };
  }
  delete o.nullable;
  return o;
}

interface Route {
  template: string;
  method: string;
  re: RegExp;
  names: string[];
  op: Json;
}
let routesCache: Route[] | undefined;
function routes(): Route[] {
  if (routesCache) return routesCache;
  const out: Route[] = [];
  for (const [template, item] of Object.entries(spec().paths)) {
    const names: string[] = [];
    const re = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}|\{([^}]+)\}/g, (_m, a: string, b: string) => (names.push(a ?? b), '([^/]+)'))}$`);
    for (const [method, op] of Object.entries(item)) if (method !== 'parameters') out.push({ template, method: method.toUpperCase(), re, names, op: op as Json });
  }
  // Literal segments win over parameters (e.g. /issues/comments/{id} vs /issues/{number}/comments).
  out.sort((a, b) => a.names.length - b.names.length);
  return (routesCache = out);
}

export interface Pull {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  title: string;
  body: string;
  head: string;
  base: string;
  labels: string[];
  reviewers: string[];
}
export interface Comment {
  id: number;
  issue: number;
  body: string;
}
export interface Logged {
  method: string;
  path: string;
  template?: string;
  status: number;
  headers: IncomingMessage['headers'];
  body: unknown;
}
export interface Fault {
  method?: string;
  /** Matched against the path template, e.g. '/repos/{owner}/{repo}/pulls'. */
  template?: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many requests it answers (default 1). */
  times?: number;
}

export class FakeGitHub {
  private server!: Server;
  /** Mount point, like GHE's /api/v3. */
  constructor(readonly token: string, readonly owner: string, readonly repo: string, readonly prefix = '/api/v3') {}
  pulls: Pull[] = [];
  comments: Comment[] = [];
  log: Logged[] = [];
  violations: string[] = [];
  faults: Fault[] = [];
  /** Page size used when listing comments (to exercise pagination). */
  commentPageSize = 100;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.prefix}`;
    return this;
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const u = new URL(req.url ?? '/', 'http://x');
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: Logged = { method, path: u.pathname + u.search, status: 0, headers: req.headers, body: undefined };
    this.log.push(entry);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, route?: Route) => {
      entry.status = status;
      if (route && body !== undefined) this.checkResponse(route, status, body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const violation = (m: string) => this.violations.push(`${method} ${u.pathname}: ${m}`);

    if (!u.pathname.startsWith(this.prefix)) return send(404, { message: 'Not Found' });
    const path = u.pathname.slice(this.prefix.length);
    const route = routes().find((r) => r.method === method && r.re.test(path));
    if (!route) {
      violation('no such operation in the OpenAPI description');
      return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    }
    entry.template = route.template;
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(route.re.exec(path)?.[i + 1] ?? '')]));

    // Headers.
    if (req.headers.accept !== 'application/vnd.github+json') violation(`Accept is ${req.headers.accept}`);
    if (req.headers['x-github-api-version'] !== '2022-11-28') violation(`X-GitHub-Api-Version is ${req.headers['x-github-api-version']}`);
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) violation('Authorization is not "Bearer <token>"');
    if (!req.headers['user-agent']) violation('no User-Agent');

    // Query parameters: names the operation declares, with their schema types.
    const declared = new Map<string, Json>();
    for (const p of (route.op.parameters as Json[] | undefined) ?? []) {
      const d = deref(p) as Json;
      if (d.in === 'query') declared.set(d.name as string, d.schema as Json);
    }
    for (const [k, v] of u.searchParams) {
      const s = declared.get(k);
      if (!s) violation(`query parameter '${k}' is not declared`);
      else if (s.type === 'integer' && !/^\d+$/.test(v)) violation(`query parameter '${k}' should be an integer`);
      else if (Array.isArray(s.enum) && !s.enum.includes(v)) violation(`query parameter '${k}' is not one of ${s.enum.join(', ')}`);
    }

    // Body against the request schema.
    const rb = (deref(route.op.requestBody) as Json | undefined)?.content as Json | undefined;
    const schema = (rb?.['application/json'] as Json | undefined)?.schema;
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        violation('body is not JSON');
      }
      if (!schema) violation('operation takes no JSON body');
      if (!/^application\/json/.test(req.headers['content-type'] ?? '')) violation(`Content-Type is ${req.headers['content-type']}`);
    } else if ((deref(route.op.requestBody) as Json | undefined)?.required) violation('required body missing');
    entry.body = body;
    if (schema && body !== undefined) {
      const v = validator(`${method} ${route.template} request`, schema);
      if (!v(body)) violation(`request body: ${ajv.errorsText(v.errors)}`);
    }

    // Authentication, then injected faults.
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    const fi = this.faults.findIndex((f) => (!f.method || f.method === method) && (!f.template || f.template === route.template));
    const fault = fi >= 0 ? this.faults[fi] : undefined;
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.faults.splice(fi, 1);
      return send(fault.status, fault.body ?? { message: 'fault' }, fault.headers);
    }
    if (params.owner !== this.owner || params.repo !== this.repo) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository', status: '404' });

    const q = u.searchParams;
    const b = (body ?? {}) as Json;
    switch (`${method} ${route.template}`) {
      case 'GET /repos/{owner}/{repo}': {
        const rec = fixture('get-repository').find((x) => x.method === 'get')?.response as Json;
        return send(200, { ...rec, name: this.repo, full_name: `${this.owner}/${this.repo}`, default_branch: 'main' }, {}, route);
      }
      case 'GET /repos/{owner}/{repo}/pulls': {
        const state = q.get('state') ?? 'open';
        const head = q.get('head');
        const list = this.pulls
          .filter((p) => (state === 'all' || p.state === state) && (!head || `${this.owner}:${p.head}` === head))
          .sort((x, y) => y.number - x.number)
          .map((p) => this.pullJson(p, 'pull-request-simple'));
        return send(200, list, {}, route);
      }
      case 'POST /repos/{owner}/{repo}/pulls': {
        if (this.pulls.some((p) => p.state === 'open' && p.head === b.head && p.base === b.base)) {
          const rec = fixture('errors').find((x) => x.status === 422)?.response as Json;
          return send(422, { ...rec, message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${this.owner}:${String(b.head)}.` }], documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request' }, {}, route);
        }
        const p: Pull = { number: this.nextNumber(), state: 'open', merged: false, title: String(b.title), body: String(b.body ?? ''), head: String(b.head), base: String(b.base), labels: [], reviewers: [] };
        this.pulls.push(p);
        return send(201, this.pullJson(p, 'pull-request'), {}, route);
      }
      case 'PATCH /repos/{owner}/{repo}/pulls/{pull_number}': {
        const p = this.pulls.find((x) => x.number === Number(params.pull_number));
        if (!p) return send(404, { message: 'Not Found' });
        if (b.state === 'open' && p.state === 'closed' && p.merged) return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'state cannot be changed. The pull request has been merged.' }] }, {}, route);
        if (typeof b.title === 'string') p.title = b.title;
        if (typeof b.body === 'string') p.body = b.body;
        if (typeof b.base === 'string') p.base = b.base;
        if (b.state === 'open' || b.state === 'closed') p.state = b.state;
        return send(200, this.pullJson(p, 'pull-request'), {}, route);
      }
      case 'POST /repos/{owner}/{repo}/issues/{issue_number}/labels': {
        const p = this.pulls.find((x) => x.number === Number(params.issue_number));
        const labels = ((b.labels as string[]) ?? []).map(String);
        p?.labels.push(...labels);
        const shape = (fixture('add-labels-to-issue').find((x) => x.path.endsWith('/labels'))?.response as Json[])[0] ?? {};
        return send(200, labels.map((name, i) => ({ ...shape, id: 2000 + i, name, url: `https://api.github.com/repos/${this.owner}/${this.repo}/labels/${encodeURIComponent(name)}` })), {}, route);
      }
      case 'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers': {
        const p = this.pulls.find((x) => x.number === Number(params.pull_number));
        if (!p) return send(404, { message: 'Not Found' });
        p.reviewers.push(...((b.reviewers as string[]) ?? []));
        return send(201, this.pullJson(p, 'pull-request-simple'), {}, route);
      }
      case 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': {
        const all = this.comments.filter((c) => c.issue === Number(params.issue_number));
        const per = Math.min(Number(q.get('per_page') ?? 30), this.commentPageSize);
        const page = Number(q.get('page') ?? 1);
        const slice = all.slice((page - 1) * per, page * per);
        const headers: Record<string, string> = {};
        if (page * per < all.length) {
          const next = new URL(`http://${req.headers.host}${u.pathname}`);
          next.searchParams.set('per_page', String(q.get('per_page') ?? per));
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${next}>; rel="next"`;
        }
        return send(200, slice.map((c) => this.commentJson(c)), headers, route);
      }
      case 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': {
        const c: Comment = { id: 9000 + this.comments.length + 1, issue: Number(params.issue_number), body: String(b.body) };
        this.comments.push(c);
        return send(201, this.commentJson(c), {}, route);
      }
      case 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': {
        const c = this.comments.find((x) => x.id === Number(params.comment_id));
        if (!c) return send(404, { message: 'Not Found' });
        c.body = String(b.body);
        return send(200, this.commentJson(c), {}, route);
      }
      default:
        violation('operation valid but not expected from harden');
        return send(500, { message: 'unexpected' });
    }
  }

  private nextNumber(): number {
    return Math.max(0, ...this.pulls.map((p) => p.number)) + 1;
  }

  private example(name: string): Json {
    return structuredClone((spec().components.examples?.[name] as Json).value as Json);
  }

  pullJson(p: Pull, example: 'pull-request' | 'pull-request-simple'): Json {
    const e = this.example(example === 'pull-request' ? 'pull-request' : 'pull-request-simple-items') as Json | Json[];
    const base = (Array.isArray(e) ? e[0] : e) as Json;
    const html = `https://github.com/${this.owner}/${this.repo}/pull/${p.number}`;
    return {
      ...base,
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      html_url: html,
      merged_at: p.merged ? '2024-01-01T00:00:00Z' : null,
      closed_at: p.state === 'closed' ? '2024-01-01T00:00:00Z' : null,
      head: { ...(base.head as Json), ref: p.head, label: `${this.owner}:${p.head}` },
      base: { ...(base.base as Json), ref: p.base, label: `${this.owner}:${p.base}` },
      labels: p.labels.map((name, i) => ({ ...((base.labels as Json[])[0] ?? {}), id: 3000 + i, name })),
      requested_teams: [],
      ...(example === 'pull-request' ? { merged: p.merged } : {}),
    };
  }

  commentJson(c: Comment): Json {
    const e = this.example('issue-comment');
    return { ...e, id: c.id, body: c.body, html_url: `https://github.com/${this.owner}/${this.repo}/pull/${c.issue}#issuecomment-${c.id}` };
  }

  private checkResponse(route: Route, status: number, body: unknown): void {
    const resp = deref((route.op.responses as Json)[String(status)]) as Json | undefined;
    const schema = ((resp?.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
    if (!resp) {
      this.violations.push(`${route.method} ${route.template}: status ${status} not described`);
      return;
    }
    if (!schema) return;
    const v = validator(`${route.method} ${route.template} ${status}`, schema);
    if (!v(body)) this.violations.push(`fake's own ${status} response to ${route.method} ${route.template} does not fit the description: ${ajv.errorsText(v.errors).slice(0, 500)}`);
  }

  /** Requests sent (excluding none). */
  requests(): Logged[] {
    return this.log;
  }
}
