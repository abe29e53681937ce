/**
 * `npm run realworld [-- options] [project…]`: runs harden (with and without --unsafe) over test/realworld/<project>,
 * answering its lookups from the recorded answers, and prints the verdict table (good / noise / wrong by safety).
 *
 *   --list[=VERDICT]    also print every hunk (or those with that verdict: good, noise, wrong, unjudged)
 *   --write-unjudged    add hunks with no verdict to expectations.json as `unjudged`, for a reviewer to fill
 *   --prune             drop expectations whose hunk no longer appears
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  emptyTally, formatTally, listProjects, loadKnownWrong, loadProject, runProject, verdictOf, type Expectation, type Tally, type Verdict,
} from '../test/support/realworld.js';

const args = process.argv.slice(2);
const flag = (f: string) => args.some((a) => a === f || a.startsWith(`${f}=`));
const listArg = args.find((a) => a.startsWith('--list'));
const listOnly = listArg?.includes('=') ? (listArg.split('=')[1] as Verdict) : undefined;
const names = args.filter((a) => !a.startsWith('--'));
const projects = names.length ? names : listProjects();
const knownWrong = loadKnownWrong();

const rows: { name: string; tally: Tally }[] = [];
for (const name of projects) {
  const p = loadProject(name);
  const r = await runProject(p);
  const tally = emptyTally();
  const seen = new Set<string>();
  for (const h of r.hunks) {
    seen.add(h.id);
    const v = verdictOf(p, h);
    tally[h.safety][v]++;
    if (listArg && (!listOnly || listOnly === v)) {
      const kw = knownWrong.has(`${name} ${h.id}`) ? ' (known-wrong)' : '';
      console.log(`${name}  ${h.safety.padEnd(6)} ${v.padEnd(8)} ${h.id}${kw}\n    ${h.message}\n${h.change.split('\n').map((l) => `      ${l}`).join('\n')}\n    reason: ${p.expectations[h.id]?.reason ?? ''}`);
    }
  }
  const stale = Object.keys(p.expectations).filter((id) => !seen.has(id));
  if (stale.length) console.log(`${name}: ${stale.length} expectation(s) for hunks that no longer appear${flag('--prune') ? ' (pruned)' : ' (--prune drops them)'}`);
  if (flag('--write-unjudged') || flag('--prune')) {
    const next: Record<string, Expectation> = {};
    for (const [id, e] of Object.entries(p.expectations)) if (!flag('--prune') || seen.has(id)) next[id] = e;
    if (flag('--write-unjudged')) for (const h of r.hunks) next[h.id] ??= { verdict: 'unjudged', reason: '', safety: h.safety };
    const sorted = Object.fromEntries(Object.entries(next).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    writeFileSync(join(p.dir, 'expectations.json'), `${JSON.stringify(sorted, null, 2)}\n`);
  }
  rows.push({ name, tally });
}
console.log(formatTally(rows));
