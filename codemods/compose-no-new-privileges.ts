/** compose-no-new-privileges: `security_opt: [no-new-privileges:true]` for every service that does not set it. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isScalar, isSeq, type Node } from 'yaml';
import { fix, minSafety, withHint } from '../src/engine/edits.js';
import type { CodemodContext, ParsedCompose, Safety } from '../src/engine/types.js';
import {
  appendItems, fillEmpty, insertPair, lookupMerged, onceGuard, rangeOf, sharedWhere, services, stringItems, type ComposeService,
} from '../src/compose/index.js';
import { guessReason, hardeningLookups, partialOverrides, readImageConfig, serviceEvidence, serviceImage, serviceViews, type ServiceView } from '../src/compose/hardening.js';
import { KNOWLEDGE_FILE, serviceKnowledge } from '../src/compose/knowledge.js';
import { inheritanceClaims, sharedNote, sharer } from '../src/compose/share.js';
import { privilegeGainNeeds, type PrivilegeGainNeeds } from '../src/evidence/index.js';
import { loadShell } from '../src/shell/index.js';
import { knowledgeBaseTable } from '../src/compose/image-kb.js';

const NNP = /^no-new-privileges(?:[:=](.*))?$/;

export const composeNoNewPrivileges = defineCodemod({
  id: 'compose-no-new-privileges',
  fileKinds: ['compose'],
  summary: 'Adds `security_opt: [no-new-privileges:true]` to services, merged into an existing `security_opt` list.',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  // Under --no-network it still runs: the knowledge base and the service's own keys decide, without image configs.
  offlineFindings: true,
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
In an override file (\`docker-compose.nginx.yml\`, \`compose.prod.yaml\`), a service with neither \`image\`, \`build\`
nor \`extends\` only adjusts one defined elsewhere: it gets nothing, since the file defining the service gets the entry.
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
Safe only where harden has evidence that nothing in the container gains privileges on \`execve\`, unsafe otherwise.
no-new-privileges does not stop a process from giving privileges up: a root entrypoint that switches to its user with
gosu, su-exec or setpriv calls setuid()/setgid() with the capabilities it already has, and a process that stays root
needs nothing more on exec. What stops working is a non-root process that relies on a setuid bit or a file capability:
\`sudo\`, \`su\` from a non-root user, \`ping\` with \`cap_net_raw\` file capabilities, \`fusermount\`, a browser's setuid
sandbox, a server binding a low port through a file capability. So the fix is \`safe\` when:
- the image is in the knowledge base below (matched by repository, also when the tag is a variable), as an image and not
  as a runtime that runs whatever application it is given (node, python, golang…): each entry describes what the
  image's entrypoint and server do, and none of them gains privileges that way. The one entry whose program carries a
  file capability (caddy, \`cap_net_bind_service\`) is safe only while it runs as root, as it does by default; with a
  non-root \`user:\` (or image config \`User\`) the fix is unsafe;
- or a run showed it: \`.harden/knowledge.yaml\` (written by \`harden verify --save\`) lists
  \`compose-no-new-privileges\` under the service's \`verified\`.

Otherwise the fix is \`unsafe\` and its message says why: the image is not in the knowledge base, runs an arbitrary
application, or is built here (its Dockerfile may install setuid programs), or the evidence read shows it runs \`sudo\`
or \`su\` as a non-root user (the service's \`command:\`/\`entrypoint:\`, the image's entrypoint script read from its
layers; the message cites the line). Check that no process of the service runs such a program after start; if one
does, set \`no-new-privileges:false\` explicitly and this codemod leaves the service alone. When a list or anchor several
services share gets the entry, the fix is as safe as the least safe of them.

The shared form (\`x-\` extension + aliases) is the same configuration once the file is read: YAML aliases are
resolved by the parser, before Compose sees the service, and the extension is written only where the file format
accepts top-level \`x-\` keys (fixtures pass \`docker-compose config -q\`). A block is shared only among services whose
fixes have the same safety (see src/compose/share.ts): every fix that may write it carries the definition, so a run of
safe fixes only never references a block it did not write.

### Knowledge base

${knowledgeBaseTable(['privilegeGain'])}
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    return hardeningLookups(file, global, answers);
  },
  run(ctx) {
    const file = ctx.file;
    const once = onceGuard();
    const all = [...services(file)];
    const views = serviceViews(ctx);
    // What the evidence says about each service, and so the safety of its fix (see privilegeGainNeeds).
    const needs = new Map(all.map((svc) => [svc, gainNeeds(ctx, { svc, overrides: views.find((v) => v.svc === svc)?.overrides ?? [] })]));
    const safetyOf = (svc: ComposeService): Safety => (needs.get(svc)?.none ? 'safe' : 'unsafe');
    // A list or mapping several services share (an anchor) is edited once: as safe as the least safe of them.
    const nodeSafety = new Map<unknown, Safety>();
    const claim = (node: unknown, svc: ComposeService) => nodeSafety.set(node, minSafety(nodeSafety.get(node) ?? 'safe', safetyOf(svc)));
    for (const svc of all) {
      const first = lookupMerged(svc, 'security_opt')[0];
      claim(first ? first.value ?? first.pair.key : svc.node, svc);
    }
    // Services with no security_opt at all get the same list: shared as one `x-security-opt` extension when several
    // whose fixes have the same safety do (see src/compose/share.ts).
    // A partial definition in an override file gets nothing: the file defining the service does.
    const skipped = partialOverrides(file);
    const bare = all.filter((svc) => lookupMerged(svc, 'security_opt').length === 0 && !skipped.has(svc.node));
    const share = sharer(file, { key: 'security_opt', value: ['no-new-privileges:true'], extension: 'x-security-opt', anchor: 'no-new-privileges' }, bare.map((svc) => ({ doc: svc.doc, map: svc.node, safety: nodeSafety.get(svc.node) ?? safetyOf(svc) })));
    const claimsOf = inheritanceClaims('security_opt', bare);
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
      if (skipped.has(svc.node)) continue;
      const first = lists[0];
      const n = needs.get(svc) as PrivilegeGainNeeds;
      const base = `Service \`${svc.name}\` does not set no-new-privileges: setuid binaries in the container can escalate privileges.`;
      const verdict = (safety: Safety) => (safety === 'safe'
        ? ` Safe: ${n.because}.`
        : n.none
          ? ' Unsafe: another service shares this setting, and harden has no evidence for it.'
          : ` Unsafe: ${n.because}; ${n.check ?? ''}.`);
      if (first) {
        const node = (first.value ?? first.pair.key) as Node;
        if (!once(node)) continue;
        const safety = nodeSafety.get(node) ?? safetyOf(svc);
        const where = sharedWhere(first);
        const msg = `${base}${where ? ` Added to the security_opt list in ${where}.` : ''}${verdict(safety)}`;
        if (isSeq(first.value)) {
          ctx.report({ range: rangeOf(svc.keyNode), message: msg, fix: fix('Add no-new-privileges:true', safety, [appendItems(file, svc.doc, first.value, ['no-new-privileges:true'])]) });
        } else if (first.value === null || (isScalar(first.value) && first.value.value === null)) {
          ctx.report({ range: rangeOf(svc.keyNode), message: msg, fix: fix('Add no-new-privileges:true', safety, [fillEmpty(file, svc.doc, first.pair, ['no-new-privileges:true'])]) });
        } else {
          ctx.report({ range: rangeOf(svc.keyNode), message: `${base} Its security_opt is not a list; add \`no-new-privileges:true\` by hand.` });
        }
        continue;
      }
      if (!once(svc.node)) continue;
      const safety = nodeSafety.get(svc.node) ?? safetyOf(svc);
      const block = share(svc.doc, svc.node);
      ctx.report({
        range: rangeOf(svc.keyNode),
        message: (svc.alias ? `${base} Added to the anchor \`&${svc.alias.source}\` it is an alias of.` : base) + sharedNote(block, 'security_opt') + verdict(safety),
        fix: withHint(fix('Add security_opt: [no-new-privileges:true]', safety, block?.edits ?? [insertPair(file, svc.doc, svc.node, 'security_opt', ['no-new-privileges:true'])]), 'claims', claimsOf(svc)),
      });
    }
  },
});

/** Whether no-new-privileges can break the service, from the knowledge base, a verified run and the service's evidence. */
function gainNeeds(ctx: CodemodContext<ParsedCompose>, view: ServiceView): PrivilegeGainNeeds {
  const img = serviceImage(view.svc, ctx);
  const ev = serviceEvidence(view, img, ctx.global, ctx.answers);
  const cfg = readImageConfig(img, ctx.global, ctx.answers);
  const verified = serviceKnowledge(ctx, view.svc.name)?.verified?.includes('compose-no-new-privileges')
    ? `verified by a run (${KNOWLEDGE_FILE}): it stayed healthy with no-new-privileges`
    : undefined;
  const m = img.match;
  return privilegeGainNeeds(ev, {
    ...(m ? { kb: { name: m.name, runsAsRoot: m.runsAsRoot, ...(m.appDependent ? { appDependent: true } : {}), ...(m.privilegeGain ? { privilegeGain: m.privilegeGain } : {}) } } : {}),
    // A Dockerfile built here may add setuid programs to the base image the knowledge base describes.
    ...(img.built || !m || m.appDependent ? { unknown: guessReason(img, cfg) } : {}),
    ...(verified ? { verified } : {}),
  });
}
