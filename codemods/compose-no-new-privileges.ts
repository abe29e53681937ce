/** compose-no-new-privileges: `security_opt: [no-new-privileges:true]` for every service that does not set it. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isScalar, isSeq, type Node } from 'yaml';
import { fix } from '../src/engine/edits.js';
import {
  appendItems, fillEmpty, insertPair, lookupMerged, onceGuard, rangeOf, sharedWhere, services, stringItems,
} from '../src/compose/index.js';
import { sharedNote, sharer } from '../src/compose/share.js';

const NNP = /^no-new-privileges(?:[:=](.*))?$/;

export const composeNoNewPrivileges = defineCodemod({
  id: 'compose-no-new-privileges',
  fileKinds: ['compose'],
  summary: 'Adds `security_opt: [no-new-privileges:true]` to services, merged into an existing `security_opt` list.',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:003', 'compose-lint:CL-0003', 'kics:no-new-privileges-not-set'],
  securitySeverity: 5.0,
  docs: `## What it does
For each service whose effective \`security_opt\` (own key, \`<<\` merge sources, same-file \`extends\`) has no
\`no-new-privileges\` entry, adds \`no-new-privileges:true\`:
- to the existing \`security_opt\` list (block \`- x\` or flow \`[a, b]\`), wherever it lives: when the list comes from an
  anchor (\`<<: *defaults\`), the anchor's list gets the entry once, and no second \`security_opt\` key is added;
- as a new \`security_opt:\` block (\`- no-new-privileges:true\`) at the end of the service's mapping otherwise (flow
  style \`security_opt: [no-new-privileges:true]\` in a flow mapping).
Entries written \`no-new-privileges\`, \`no-new-privileges:true\` or \`no-new-privileges=true\` count as set.
\`no-new-privileges:false\` (or \`=false\`) is a deliberate choice: it is reported, never changed.

When three or more services of one document have no \`security_opt\` at all, the list is written once as a
top-level \`x-security-opt: &no-new-privileges\` extension and each of them gets \`security_opt: *no-new-privileges\`
(an anchored list the file already has with the same content is referenced instead); see compose-log-limits for
when no extension is written (older \`version:\`, flow-style root, other files). Services with a \`security_opt\` of
their own get the item appended to it, as before.

## Why
With no-new-privileges the kernel refuses to grant more privileges on \`execve\`: setuid/setgid binaries and file
capabilities inside the container cannot be used to escalate (e.g. \`sudo\`, \`su\`, a planted setuid shell).

## Example
\`\`\`yaml
services:
  app:
    image: app
\`\`\`
becomes
\`\`\`yaml
services:
  app:
    image: app
    security_opt:
      - no-new-privileges:true
\`\`\`

## Fix safety
Safe for almost every service. It breaks processes that need setuid binaries after start (\`sudo\` inside the container,
some entrypoints that switch users with setuid helpers rather than \`gosu\`/\`su-exec\` run as root); set
\`no-new-privileges:false\` explicitly for those, and this codemod will leave them alone.
The shared form (\`x-\` extension + aliases) is the same configuration once the file is read: YAML aliases are
resolved by the parser, before Compose sees the service, and the extension is written only where the file format
accepts top-level \`x-\` keys (fixtures pass \`docker-compose config -q\`).

## Options
None.
`,
  run(ctx) {
    const file = ctx.file;
    const once = onceGuard();
    const all = [...services(file)];
    // Services with no security_opt at all get the same list: shared as one `x-security-opt` extension when several do.
    const bare = all.filter((svc) => lookupMerged(svc, 'security_opt').length === 0);
    const share = sharer(file, { key: 'security_opt', value: ['no-new-privileges:true'], extension: 'x-security-opt', anchor: 'no-new-privileges' }, bare.map((svc) => ({ doc: svc.doc, map: svc.node })));
    for (const svc of all) {
      const lists = lookupMerged(svc, 'security_opt');
      const entries = lists.flatMap((l) => stringItems(svc.doc, l.value));
      const nnp = entries.map((e) => ({ e, m: NNP.exec(e.value.trim()) })).filter((x) => x.m);
      if (nnp.length > 0) {
        const falsy = nnp.find((x) => x.m?.[1] !== undefined && x.m[1].toLowerCase() === 'false');
        const truthy = nnp.some((x) => x.m?.[1] === undefined || x.m[1].toLowerCase() === 'true');
        if (falsy && !truthy && once(falsy.e.node)) {
          ctx.report({
            range: rangeOf(falsy.e.node),
            severity: 'info',
            message: `Service \`${svc.name}\` turns no-new-privileges off explicitly; left as is. Remove it unless the service needs setuid binaries after start.`,
          });
        }
        continue;
      }
      const first = lists[0];
      const message = `Service \`${svc.name}\` does not set no-new-privileges: setuid binaries in the container can escalate privileges.`;
      if (first) {
        if (!once((first.value ?? first.pair.key) as Node)) continue;
        const where = sharedWhere(first);
        const msg = where ? `${message} Added to the security_opt list in ${where}.` : message;
        if (isSeq(first.value)) {
          ctx.report({ range: rangeOf(svc.keyNode), message: msg, fix: fix('Add no-new-privileges:true', 'safe', [appendItems(file, svc.doc, first.value, ['no-new-privileges:true'])]) });
        } else if (first.value === null || (isScalar(first.value) && first.value.value === null)) {
          ctx.report({ range: rangeOf(svc.keyNode), message: msg, fix: fix('Add no-new-privileges:true', 'safe', [fillEmpty(file, svc.doc, first.pair, ['no-new-privileges:true'])]) });
        } else {
          ctx.report({ range: rangeOf(svc.keyNode), message: `${message} Its security_opt is not a list; add \`no-new-privileges:true\` by hand.` });
        }
        continue;
      }
      if (!once(svc.node)) continue;
      const block = share(svc.doc, svc.node);
      ctx.report({
        range: rangeOf(svc.keyNode),
        message: (svc.alias ? `${message} Added to the anchor \`&${svc.alias.source}\` it is an alias of.` : message) + sharedNote(block, 'security_opt'),
        fix: fix('Add security_opt: [no-new-privileges:true]', 'safe', block?.edits ?? [insertPair(file, svc.doc, svc.node, 'security_opt', ['no-new-privileges:true'])]),
      });
    }
  },
});
