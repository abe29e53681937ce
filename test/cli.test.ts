/** The command line end to end: exit codes, bad input, usage errors, standard input (codemod-independent parts). */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { harden, hardenInProcess } from './support/cli.js';
import { tmpTree } from './support/tmp.js';

describe('harden CLI basics', () => {
  it('prints its version and exits 0', () => {
    const r = harden(['--version'], { cwd: tmpTree() });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 on an unknown option, an unknown codemod id, or an unknown explain id', async () => {
    const cwd = tmpTree({ Dockerfile: 'FROM a\n' });
    expect((await hardenInProcess(['fix', '--bogus'], { cwd })).code).toBe(2);
    const only = await hardenInProcess(['fix', '--only', 'no-such-codemod'], { cwd });
    expect(only.code).toBe(2);
    expect(only.stderr).toMatch(/unknown codemod id no-such-codemod/);
    expect((await hardenInProcess(['explain', 'no-such-codemod'], { cwd })).code).toBe(2);
  });

  it('a misspelt codemod id in --only/--skip, explain and .harden.yaml gets the same "did you mean"', async () => {
    const cwd = tmpTree({ Dockerfile: 'FROM a\n' });
    const only = await hardenInProcess(['fix', '--no-network', '--skip', 'pin-imge-digest,nothing-like-it'], { cwd });
    expect(only.code).toBe(2);
    expect(only.stderr).toContain("unknown codemod ids pin-imge-digest (did you mean 'pin-image-digest'?), nothing-like-it (see");
    const explain = await hardenInProcess(['explain', 'lock-apt-instal'], { cwd });
    expect(explain.code).toBe(2);
    expect(explain.stderr).toContain("unknown codemod 'lock-apt-instal' (did you mean 'lock-apt-install'?)");
  });

  it('an unknown flag gets one short error with a hint (and a suggestion), not the whole help', async () => {
    const cwd = tmpTree({ Dockerfile: 'FROM a\n' });
    const r = await hardenInProcess(['fix', '--writ'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--writ'/);
    expect(r.stderr).toMatch(/Did you mean --write\?/);
    expect(r.stderr).toContain('run `harden <command> --help` for its options');
    expect(r.stderr).not.toContain('Options:');
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });

  it('--stdin-filename without - is a usage error, not a scan of .', () => {
    const cwd = tmpTree({ Dockerfile: 'FROM a\n' });
    const r = harden(['fix', '--stdin-filename', 'Dockerfile'], { cwd, input: 'FROM b\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--stdin-filename names standard input: pass - as the path/);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on a configuration error, naming the file', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', '.harden.yaml': 'unsafe: true\nbogus: 1\n', Dockerfile: 'FROM a\n' });
    const r = await hardenInProcess(['check'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.harden\.yaml:2:1: unknown key 'bogus'/);
  });

  it('a string "false" for unsafe is a configuration error (exit 2, file:line:col), not unsafe fixes on', async () => {
    const cwd = tmpTree({
      '.git/HEAD': 'x',
      '.harden.yaml': 'unsafe: "false"\ncodemods:\n  dockerfile-non-root-user: { options: { uidd: 1 } }\n',
      Dockerfile: 'FROM a\n',
    });
    const r = await hardenInProcess(['fix', '--write'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `harden: error: ${join(cwd, '.harden.yaml')}:1:9: 'unsafe' must be true or false, not the string "false"`,
      `harden: error: ${join(cwd, '.harden.yaml')}:3:42: unknown option 'uidd' of dockerfile-non-root-user (did you mean 'uid'?); its options: uid, gid, name`,
    ]);
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe('FROM a\n');
  });

  it('reports every bad file with file:line:col, keeps going, exits 2 and writes nothing for them', async () => {
    const cwd = tmpTree({
      '.git/HEAD': 'x',
      'a/compose.yaml': 'services:\n  web:\n    image: [nginx\n',
      'b/Dockerfile': 'FROM nginx\nWRONG DOCKERFILE\n',
      'c/Dockerfile': Buffer.from([0x46, 0x52, 0x00, 0x01, 0x02]),
      'd/compose.yaml': 'services:\n  ok:\n    image: nginx\n',
    });
    mkdirSync(join(cwd, 'e', 'Dockerfile'), { recursive: true }); // a directory where a file is expected: ignored
    const r = await hardenInProcess(['fix', '--write', '.', 'missing-dir'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\/compose\.yaml:4:1: error: invalid YAML/);
    expect(r.stderr).toMatch(/b\/Dockerfile:2:1: error: unknown instruction 'WRONG'/);
    expect(r.stderr).toMatch(/c\/Dockerfile: error: binary file/);
    expect(r.stderr).toMatch(/missing-dir: error: no such file or directory/);
    expect(readFileSync(join(cwd, 'a/compose.yaml'), 'utf8')).toBe('services:\n  web:\n    image: [nginx\n');
  });

  it('exits 0 on clean input and prints no diff', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', 'Dockerfile': '# nothing to do\n' });
    const r = await hardenInProcess(['fix', '--only', 'none-registered-is-fine'].slice(0, 1), { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('reads standard input with --stdin-filename, and rejects - mixed with paths', () => {
    const cwd = tmpTree();
    const r = harden(['check', '-', '--stdin-filename', 'compose.yaml'], { cwd, input: 'services:\n  a:\n    image: [x\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/compose\.yaml:4:1: error: invalid YAML/);
    expect(harden(['check', '-', 'x'], { cwd }).code).toBe(2);
    const unknownKind = harden(['check', '-'], { cwd, input: 'hello\n' });
    expect(unknownKind.code).toBe(2);
    expect(unknownKind.stderr).toMatch(/--kind or --stdin-filename/);
  });

  it('check --sarif FILE writes SARIF in the same run that prints the findings', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', 'compose.yaml': 'services:\n  db:\n    image: postgres:16\n    ports: ["5432:5432"]\n' });
    const r = await hardenInProcess(['check', '--offline', '--only', 'compose-bind-localhost', '--sarif', 'out.sarif'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^compose\.yaml:4:\d+ compose-bind-localhost /m);
    const log = JSON.parse(readFileSync(join(cwd, 'out.sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(log.runs[0]?.results.map((x) => x.ruleId)).toEqual(['compose-bind-localhost']);
  });

  it('check prints findings and JSON files in path order, whatever order the files were processed in', async () => {
    // Compose files are processed first; the output is by path, as the API's collected results are.
    const cwd = tmpTree({
      '.git/HEAD': 'x',
      'a/Dockerfile': 'FROM scratch\nADD app.txt /app/\n',
      'b/compose.yaml': 'services:\n  db:\n    image: postgres:16\n    ports: ["5432:5432"]\n',
      'c/Dockerfile': 'FROM scratch\nADD run.sh /run.sh\n',
    });
    const args = ['check', '--offline', '--only', 'compose-bind-localhost,dockerfile-add-to-copy'];
    const text = await hardenInProcess(args, { cwd });
    expect(text.code).toBe(1);
    expect(text.stdout.trim().split('\n').map((l) => l.split(':')[0])).toEqual(['a/Dockerfile', 'b/compose.yaml', 'c/Dockerfile']);
    const json = await hardenInProcess([...args, '--format', 'json'], { cwd });
    const out = JSON.parse(json.stdout) as { files: { path: string; findings: unknown[] }[] };
    expect(out.files.map((f) => [f.path, f.findings.length])).toEqual([['a/Dockerfile', 1], ['b/compose.yaml', 1], ['c/Dockerfile', 1]]);
  });

  it('lists rules as JSON', async () => {
    const r = await hardenInProcess(['rules', '--format', 'json'], { cwd: tmpTree() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { version: number; harden: string; rules: { id: string; securitySeverity?: number; sources: string[] }[] };
    expect(out.version).toBe(1);
    expect(out.harden).toBe((await hardenInProcess(['--version'], { cwd: tmpTree() })).stdout.trim());
    expect(out.rules.find((x) => x.id === 'compose-secrets')?.securitySeverity).toBeGreaterThan(0);
    expect(out.rules.find((x) => x.id === 'compose-log-limits')).not.toHaveProperty('securitySeverity');
  });

  it('--preset strict adds network isolation to the compose fixes; rules and explain name the preset', async () => {
    const compose = 'services:\n  app:\n    image: example/app:1.0\n    depends_on: [db]\n  db:\n    image: postgres:16\n  job:\n    image: busybox:1.36\n';
    const cwd = tmpTree({ '.git/HEAD': 'x', 'compose.yaml': compose });
    const args = ['fix', '--unsafe', '--offline', '--only', 'compose-no-new-privileges,compose-network-isolation'];
    // --only names it: it runs without the preset; without --only, only --preset strict runs it.
    expect((await hardenInProcess(args, { cwd })).stdout).toContain('+    network_mode: none');
    const standard = await hardenInProcess(['fix', '--unsafe', '--offline', '--skip', 'pin-image-digest'], { cwd });
    expect(standard.stdout).toMatch(/^\+\s+- no-new-privileges:true$/m); // per service: two unsafe fixes and one safe one are too few for a shared block of one safety
    expect(standard.stdout).not.toContain('network_mode');
    const strict = await hardenInProcess(['fix', '--unsafe', '--offline', '--skip', 'pin-image-digest', '--preset', 'strict'], { cwd });
    expect(strict.stdout).toContain('+    network_mode: none');
    expect(strict.stdout).toContain('+    internal: true');
    expect(strict.stderr).toMatch(/compose\.yaml:5:3 compose-network-isolation Service `db`/);
    expect((await hardenInProcess(['fix', '--preset', 'paranoid'], { cwd })).code).toBe(2);
    const rules = (JSON.parse((await hardenInProcess(['rules', '--format', 'json'], { cwd })).stdout) as { rules: { id: string; presets: string[] }[] }).rules;
    expect(rules.find((r) => r.id === 'compose-network-isolation')?.presets).toEqual(['strict']);
    expect(rules.find((r) => r.id === 'compose-read-only')?.presets).toEqual(['standard', 'strict']);
    expect((await hardenInProcess(['rules'], { cwd })).stdout).toMatch(/compose-network-isolation .*\(--preset strict\)/);
    expect((await hardenInProcess(['explain', 'compose-network-isolation'], { cwd })).stdout).toContain('Presets: strict');
  });
});

describe('start-up path stays light', () => {
  const root = join(import.meta.dirname, '..');
  /** Packages statically imported (not through `await import()`, not type-only) from a module, transitively. */
  function staticImports(entry: string, pattern: RegExp): string[] {
    const seen = new Set<string>();
    const found: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
      for (const st of sf.statements) {
        let spec: string | undefined;
        if (ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly) spec = (st.moduleSpecifier as ts.StringLiteral).text;
        if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) spec = (st.moduleSpecifier as ts.StringLiteral).text;
        if (!spec) continue;
        if (spec.startsWith('.')) visit(join(file, '..', spec.replace(/\.js$/, '.ts')));
        else if (pattern.test(spec)) found.push(`${file}: ${spec}`);
      }
    };
    visit(join(root, entry));
    return found;
  }

  it('the scanner sees static imports through relative modules (sanity check)', () => {
    expect(staticImports('src/resolvers/image.ts', /^undici$/).length).toBeGreaterThan(0);
  });

  it('does not statically import heavy modules from the CLI entry point', () => {
    expect(
      staticImports('src/bin.ts', /^(ts-morph|typescript|web-tree-sitter|sh-syntax|undici|yaml|dockerfile-ast|ajv|semver|@renovatebot\/pep440|xz-decompress)/),
    ).toEqual([]);
  });

  it('loads parsers for shells and source code only when a codemod that needs them runs (prepare)', () => {
    expect(
      staticImports('codemods/index.ts', /^(ts-morph|typescript|web-tree-sitter|tree-sitter|sh-syntax|undici|semver|@renovatebot\/pep440|xz-decompress)/),
    ).toEqual([]);
  });
});
