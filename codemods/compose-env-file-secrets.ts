/**
 * compose-env-file-secrets: `env_file:` files and the `.env` next to a compose file that hold secret-looking keys.
 * Advice only; the finding names the key and the file, never the value.
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { isOk } from '../src/engine/lookups.js';
import type { LookupKey, ParsedCompose, Range } from '../src/engine/types.js';
import { composeDir, getPair, rangeOf, services } from '../src/secrets/compose.js';
import { SECRET_NAME_OPTIONS, isSecretName, nameOptions } from '../src/secrets/names.js';
import { MANUAL } from '../src/secrets/report.js';

interface EnvFileRef {
  path: string;
  absPath: string;
  range: Range;
  service?: string;
}

function envFileRefs(file: ParsedCompose): EnvFileRef[] {
  const dir = composeDir(file);
  if (!dir) return [];
  const refs: EnvFileRef[] = [];
  for (const doc of file.docs) {
    for (const svc of services(file, doc)) {
      const p = getPair(svc.node, 'env_file');
      if (!p) continue;
      const items: Node[] = isSeq(p.value) ? (p.value.items as Node[]) : p.value ? [p.value as Node] : [];
      for (const it of items) {
        const s = isScalar(it) ? it : isMap(it) ? (getPair(it, 'path')?.value as Node | undefined) : undefined;
        if (!s || !isScalar(s) || typeof s.value !== 'string' || s.value.includes('$')) continue;
        refs.push({ path: s.value, absPath: resolve(dir, s.value), range: rangeOf(s), service: svc.name });
      }
    }
  }
  const first = file.docs[0]?.contents;
  const top = first && isMap(first) ? getPair(first, 'services') : undefined;
  refs.push({ path: '.env', absPath: join(dir, '.env'), range: top ? rangeOf(top.key as never) : { start: 0, end: 0 } });
  return refs;
}

/** Keys of a dotenv file that have a non-empty value (`KEY=…`, `export KEY=…`), with 1-based line numbers. */
export function dotenvKeys(text: string): { key: string; line: number }[] {
  const out: { key: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(l);
    if (!m?.[1]) return;
    const v = (m[2] ?? '').trim();
    if (v === '' || v === '""' || v === "''" || v.startsWith('#')) return;
    out.push({ key: m[1], line: i + 1 });
  });
  return out;
}

export const composeEnvFileSecrets = defineCodemod({
  id: 'compose-env-file-secrets',
  fileKinds: ['compose'],
  summary: 'Report secret-looking keys in env_file files and the .env next to a compose file (never their values).',
  safety: 'manual',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001'],
  securitySeverity: 7.5,
  defaultOptions: { secretNames: [], ignoreNames: [] },
  optionsSchema: SECRET_NAME_OPTIONS,
  docs: `## What it does
Reads every \`env_file:\` of every service (short and long syntax; paths relative to the compose file) and the
\`.env\` file next to the compose file, and reports each key whose name looks like a secret (the same heuristics as
\`compose-secrets\`) and that has a non-empty value. The finding names the key, the file and the line, **never the
value**. Files that do not exist are ignored.

## Why
Variables from \`env_file\` end up in the container's environment (\`docker inspect\`), and \`.env\` files are easy to
commit by mistake. Compose secrets mount the value as a file instead.

## Example
\`.env\` with \`GRAFANA_PASSWORD=…\` → \`.env:1: GRAFANA_PASSWORD looks like a secret\`: reference it from a
compose \`secrets:\` entry (\`environment: GRAFANA_PASSWORD\`) and keep \`.env\` out of version control.

## Fix safety
Manual: harden does not move values between files.
`,
  lookups(file) {
    return envFileRefs(file).map((r): LookupKey => ({ kind: 'file', path: r.absPath }));
  },
  run(ctx) {
    const file = ctx.file;
    const names = nameOptions(ctx.options);
    const seen = new Set<string>();
    for (const ref of envFileRefs(file)) {
      if (seen.has(ref.absPath)) continue;
      seen.add(ref.absPath);
      const a = ctx.answers.get({ kind: 'file', path: ref.absPath });
      if (!isOk(a) || !a.ok.exists || a.ok.text === undefined) continue;
      const keys = dotenvKeys(a.ok.text).filter((k) => isSecretName(k.key, names));
      for (const k of keys) {
        ctx.report({
          range: ref.range,
          message: `${ref.path}:${k.line}: ${k.key} looks like a secret${ref.service ? ` (env_file of service ${ref.service})` : ''}: pass it as a compose secret (environment: ${k.key} or file:) and keep ${ref.path} out of version control`,
          data: { file: ref.path, key: k.key, line: k.line },
          fix: MANUAL,
        });
      }
    }
  },
});
