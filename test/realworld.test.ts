/**
 * The real-world suite (test/realworld/README.md): harden, with and without --unsafe, over real projects' compose
 * files and Dockerfiles, lookups answered from each project's recorded answers (registries cannot be reached here:
 * image configs are transcribed from the images' published Dockerfiles, digests synthesized). Every applied fix is a
 * hunk with a reviewer's verdict in expectations.json; the test fails on a hunk with no verdict, on a `wrong` hunk
 * not listed in known-wrong.txt, and on a known-wrong entry that no longer appears or is no longer judged wrong. Every
 * compose file harden writes stays valid YAML and, where docker-compose accepted the original (with the project's
 * documented env file as `.env`), is still accepted by `docker-compose config -q`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_BIN, composeConfigChecks, emptyTally, formatTally, listProjects, loadKnownWrong, loadProject, runProject, verdictOf, yamlErrors, type Tally,
} from './support/realworld.js';

const projects = listProjects();
const knownWrong = loadKnownWrong();
const rows: { name: string; tally: Tally }[] = [];
let configRejected = 0;
const movedSafety: string[] = [];

describe('real-world suite', () => {
  it('has at least 12 projects, each with its origin and expectations', () => {
    expect(projects.length).toBeGreaterThanOrEqual(12);
    for (const name of projects) {
      const p = loadProject(name);
      expect(p.origin.repo, name).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+$/);
      expect(p.origin.commit, name).toMatch(/^[0-9a-f]{40}$/);
      expect(p.origin.licence, name).toBeTruthy();
    }
  });

  it.each(projects)('%s: every hunk judged, none wrong beyond known-wrong.txt; written compose files valid', async (name) => {
    const p = loadProject(name);
    const r = await runProject(p);
    const tally = emptyTally();
    const problems: string[] = [];
    const produced = new Map(r.hunks.map((h) => [h.id, h]));
    for (const h of r.hunks) {
      const v = verdictOf(p, h);
      tally[h.safety][v]++;
      const listed = knownWrong.has(`${name} ${h.id}`);
      const judgedAs = p.expectations[h.id]?.safety;
      if (judgedAs && judgedAs !== h.safety) movedSafety.push(`${name} ${h.id}: judged as ${judgedAs}, now ${h.safety}`);
      if (v === 'unjudged') problems.push(`no verdict (${h.safety}): ${h.id} — ${h.message}`);
      else if (v === 'wrong' && !listed) problems.push(`NEW wrong hunk (${h.safety}): ${h.id} — ${p.expectations[h.id]?.reason}`);
    }
    for (const entry of knownWrong) {
      const [proj, id] = entry.split(/\s+/, 2) as [string, string];
      if (proj !== name || id.startsWith('config:')) continue;
      if (!produced.has(id)) problems.push(`known-wrong hunk no longer produced (remove it from known-wrong.txt): ${id}`);
      else if (p.expectations[id]?.verdict !== 'wrong') problems.push(`known-wrong hunk is not judged wrong in expectations.json: ${id}`);
    }
    rows.push({ name, tally });
    for (const run of [r.safe, r.unsafe]) {
      expect(run.files.filter((f) => f.error && !/parse|YAML|yaml|Dockerfile/.test(f.error.message)).map((f) => `${f.path}: ${f.error?.message}`), `${name}: file errors`).toEqual([]);
      expect(yamlErrors(run), `${name}: written compose files must be valid YAML`).toEqual([]);
    }
    expect(problems, `${name}: ${problems.length} problem(s); judge with \`npm run realworld -- --list=unjudged ${name}\``).toEqual([]);
    if (COMPOSE_BIN) {
      const cache = new Map<string, Promise<{ ok: boolean; stderr: string }>>();
      const checks = [
        ...(await composeConfigChecks(p, r.safe, cache)).map((c) => ({ ...c, run: 'safe' })),
        ...(await composeConfigChecks(p, r.unsafe, cache)).map((c) => ({ ...c, run: 'unsafe' })),
      ];
      // A rejection is attributed to wrong hunks already listed: known-wrong.txt names it as `<project> config:<safe|unsafe>:<files>`.
      const rejected = new Map(checks.filter((c) => c.originalOk && !c.writtenOk).map((c) => [`config:${c.run}:${c.files.join('+')}`, c.stderr.trim().slice(0, 300)]));
      const unlisted = [...rejected].filter(([k]) => !knownWrong.has(`${name} ${k}`)).map(([k, e]) => `${k}: ${e}`);
      const fixed = [...knownWrong].filter((e) => e.startsWith(`${name} config:`) && !rejected.has(e.slice(name.length + 1)));
      expect(unlisted, `${name}: docker-compose config -q now rejects files it accepted before`).toEqual([]);
      expect(fixed, `${name}: accepted again (remove from known-wrong.txt)`).toEqual([]);
      configRejected += rejected.size;
    }
  }, 600_000);

  afterAll(() => {
    if (rows.length) console.log(`real-world hunks by verdict (safe = applied without --unsafe; unsafe = only with --unsafe):\n${formatTally(rows.sort((a, b) => (a.name < b.name ? -1 : 1)))}\ncompose files docker-compose config -q rejects after harden (known-wrong): ${configRejected}` +
        (movedSafety.length ? `\nhunks whose safety changed since they were judged (check the verdict still holds):\n  ${movedSafety.join('\n  ')}` : ''));
  });
});
