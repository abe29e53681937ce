/** compose-drop-capabilities: `cap_drop: [ALL]` plus the minimal `cap_add` the image is known to need. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fix } from '../src/engine/edits.js';
import type { CodemodContext, Edit } from '../src/engine/types.js';
import { lookup, lookupMerged, rangeOf, scalarText, services, servicesUsing, stringItems, type ComposeService, type Lookup, type NewValue } from '../src/compose/index.js';
import {
  aliasAnchorNote, builtImage, describeSources, extendedPlans, guessReason, hardeningLookups, insertPairs, kbSource, listAddition,
  lookupView, mergeInsertions, readBaseConfig, readImageConfig, serviceEvidence, serviceImage, serviceViews, userIsRoot, type ServiceView,
} from '../src/compose/hardening.js';
import { capabilityNeeds } from '../src/evidence/index.js';
import { loadShell } from '../src/shell/index.js';
import { KNOWLEDGE_FILE, KNOWLEDGE_SOURCE, runEvidence, serviceKnowledge, TRIAL_NOTE } from '../src/compose/knowledge.js';
import { knowledgeBaseTable } from '../src/compose/image-kb.js';

/** Capabilities an entrypoint needs only to chown files and switch from root to another user. */
const USER_SWITCH = new Set(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID']);

const capName = (c: string): string => c.trim().toUpperCase().replace(/^CAP_/, '');

interface Plan {
  view: ServiceView;
  addDrop: boolean;
  add: string[];
  drop: Lookup | undefined;
  capAdd: Lookup | undefined;
  message: string;
}

function capsOf(svc: ComposeService, views: readonly ComposeService[], key: string): string[] {
  return [svc, ...views].flatMap((s) => lookupMerged(s, key).flatMap((l) => stringItems(s.doc, l.value).map((e) => capName(e.value))));
}

function plan(ctx: CodemodContext, view: ServiceView): Plan | { view: ServiceView; manual: string } | undefined {
  const { svc } = view;
  const drops = capsOf(svc, view.overrides, 'cap_drop');
  if (drops.includes('ALL')) return undefined; // already dropped: whatever it adds back was chosen
  const adds = capsOf(svc, view.overrides, 'cap_add');
  if (adds.includes('ALL')) return undefined; // compose-dangerous-options reports it
  const img = serviceImage(svc, ctx);
  const m = img.match;
  const kept = adds.length ? ` Its existing cap_add (${adds.join(', ')}) is kept.` : '';
  if (!m || m.appDependent) {
    // No knowledge-base entry decides: the evidence (image config, entrypoint script, the service's keys) must.
    const ev = serviceEvidence(view, img, ctx.global, ctx.answers);
    let n = capabilityNeeds(ev);
    if (!n.decided && ev.user === undefined && m?.runsAsRoot === false) {
      n = { decided: true, caps: [], because: [`knowledge base entry ${m.name}: it runs as a non-root user, so its processes have no capabilities in effect`] };
    }
    const cfg = readImageConfig(img, ctx.global, ctx.answers);
    const learned = [...(serviceKnowledge(ctx, svc.name)?.capAdd ?? [])].sort();
    if (!n.decided) {
      // Only a run is evidence then: a verify run's trial, or what an earlier run recorded (knowledge `verified`).
      const byRun = runEvidence(ctx, svc.name, 'compose-drop-capabilities');
      if (!byRun) {
        return {
          view,
          manual: `Service \`${svc.name}\` runs with docker's default capabilities, and harden has no evidence of what it needs (${guessReason(img, cfg)}): ${n.check}.`,
        };
      }
      const kept = learned.length ? `only ${learned.join(', ')}` : 'none';
      n = {
        decided: true,
        caps: learned,
        because: [byRun === 'verified'
          ? `verified by a run (${KNOWLEDGE_FILE}): it stayed healthy with ${kept} added back, though harden has no evidence of its own (${guessReason(img, cfg)})`
          : `proposed ${TRIAL_NOTE}${learned.length ? ` with ${learned.join(', ')} (${KNOWLEDGE_SOURCE})` : ''}: harden has no evidence of what it needs (${guessReason(img, cfg)})`],
      };
    } else if (learned.some((c) => !n.caps.includes(c))) {
      const more = learned.filter((c) => !n.caps.includes(c));
      n = { ...n, caps: [...n.caps, ...more].sort(), because: [...n.because, `a verified run showed it needs ${more.join(', ')} (${KNOWLEDGE_SOURCE})`] };
    }
    const add = n.caps.filter((c) => !adds.includes(c));
    const read = ev.read.length ? ` Evidence read: ${ev.read.join('; ')}.` : '';
    let message = `Service \`${svc.name}\` runs with docker's default capabilities: dropped ALL, ${n.caps.length ? `added back ${n.caps.join(', ')}` : 'none added back'} (${n.because.join('; ')}).${read}${kept}`;
    if (m) message += ` ${m.name} runs whatever application it is given: if that application binds ports below 1024 or changes file ownership, add those capabilities.`;
    return { view, addDrop: true, add, drop: lookup(svc, 'cap_drop'), capAdd: lookup(svc, 'cap_add'), message };
  }
  const built = builtImage(img);
  const cfg = readImageConfig(img, ctx.global, ctx.answers);
  const userSetting = lookupView(view, 'user');
  const svcUser = scalarText(userSetting?.value);
  // A built image runs as its Dockerfile's USER, else as its base image's (the config's User, empty for root).
  const base = built ? readBaseConfig(img, ctx.global, ctx.answers) : undefined;
  const baseUser = base ? base.config.user ?? '' : undefined;
  const cfgUser = 'config' in cfg ? cfg.config.user ?? '' : built?.user ?? baseUser;
  const cfgWhere = 'config' in cfg ? 'image config' : built?.user !== undefined ? `USER in ${built.spec.shown}` : base?.describe ?? '';
  const rootBySvc = userIsRoot(svcUser);
  const rootByCfg = userIsRoot(cfgUser);
  const runsAsRoot = rootBySvc ?? rootByCfg ?? m.runsAsRoot;
  const why: string[] = [];
  let needed: string[] = [...m.capAdd];
  if (runsAsRoot === false && needed.some((c) => USER_SWITCH.has(c))) {
    needed = needed.filter((c) => !USER_SWITCH.has(c));
    why.push(`it runs as user \`${svcUser ?? cfgUser ?? ''}\`${svcUser !== undefined ? '' : ` (${cfgWhere})`}, so its entrypoint does not switch users`);
  }
  const learned = (serviceKnowledge(ctx, svc.name)?.capAdd ?? []).filter((c) => !needed.includes(c));
  if (learned.length) {
    needed.push(...learned);
    why.push(`a verified run showed it needs ${learned.join(', ')} (${KNOWLEDGE_SOURCE})`);
  }
  needed.sort();
  const add = needed.filter((c) => !adds.includes(c));
  const sources = describeSources([
    kbSource(img),
    built?.user !== undefined && !('config' in cfg)
      ? `the USER of ${built.spec.shown}: \`${built.user}\`${base && baseUser !== built.user ? `, over user ${baseUser ? `\`${baseUser}\`` : 'root (not set)'} in ${base.describe}` : ''}`
      : undefined,
    built?.user === undefined && base ? `${base.describe}: user ${baseUser ? `\`${baseUser}\`` : 'root (not set)'}` : undefined,
    'config' in cfg ? `the image config${cfg.source ? ` (${cfg.source})` : ''}: user ${cfg.config.user ? `\`${cfg.config.user}\`` : 'root (not set)'}` : undefined,
    svcUser !== undefined ? 'the service\'s `user`' : undefined,
  ]);
  let message = `Service \`${svc.name}\` runs with docker's default capabilities: dropped ALL`;
  message += needed.length ? `, added back ${needed.join(', ')}` : ', none added back';
  const whyAll = [needed.length ? `what ${m.name} needs` : `${m.name} needs none`, ...why];
  message += ` (${whyAll.join('; ')})`;
  message += `${sources}.${kept}`;
  return { view, addDrop: true, add, drop: lookup(svc, 'cap_drop'), capAdd: lookup(svc, 'cap_add'), message };
}

export const composeDropCapabilities = defineCodemod({
  id: 'compose-drop-capabilities',
  fileKinds: ['compose'],
  summary: 'Adds `cap_drop: [ALL]` and adds back only the capabilities the image is known to need (`cap_add`).',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  sources: ['seed:001', 'seed:003', 'kics:capabilities-not-dropped'],
  securitySeverity: 5.5,
  docs: `## What it does
For each service whose \`cap_drop\` (own, \`<<\` merge sources, same-file \`extends\`, override files of the same run)
has no \`ALL\`, adds \`ALL\` to \`cap_drop\` and the capabilities the image needs to \`cap_add\`:
- for images in the knowledge base below, what their default entrypoint needs: CHOWN/SETUID/SETGID (and
  DAC_OVERRIDE/FOWNER for some) for entrypoints that start as root, chown their data and switch to an unprivileged
  user; NET_BIND_SERVICE for servers binding ports below 1024;
- when the service's \`user:\` or the image config's \`User\` (read from the registry when available) is not root, the
  user-switching capabilities are left out: the entrypoint does not switch users then;
- Services built here (\`build:\`) are matched through their Dockerfile (read from the build context, \`build.dockerfile\`
  and \`build.target\` followed, ARGs in FROM expanded with literal \`build.args\`): the base image of the final (or target)
  stage picks the entry (\`FROM node:20-alpine\` → node), and a \`scratch\`, distroless or alpine stage with a binary
  copied from a \`golang\` stage picks the golang-app entry. A \`USER\` in the Dockerfile counts like the
  image config's \`User\`; without one, the \`User\` of the base image's config (read from the registry when
  available) does, as in a build. The finding names the Dockerfile, the base image and where the user came from.
- for other images, and for images that run whatever application they are given (node, python, golang…), only
  evidence decides (see \`src/evidence/\`): the image config (User, Entrypoint, Cmd, ExposedPorts, read from the
  registry), the entrypoint script it starts with (read from the image's layers, found through the image's PATH and
  init wrappers such as tini), and the service's own \`user:\`, \`entrypoint:\` and \`command:\` (\`sh -c '…'\` scripts are
  read too). A non-root user needs nothing added back. A root entrypoint that switches user (gosu, su-exec, setpriv
  --reuid, su, runuser, s6-setuidgid, chroot --userspec) gets SETUID and SETGID, plus CHOWN, DAC_OVERRIDE and FOWNER
  when it chowns first (FOWNER alone for chmod), plus NET_BIND_SERVICE for a container port below 1024. The message
  cites each fact (\`the entrypoint /usr/local/bin/docker-entrypoint.sh, line 5: exec su-exec app …\`).
- **No evidence, no fix**: a service running as root whose entrypoint could not be read (a binary, a lookup that
  failed, a built image) or does not drop privileges, or whose user is unknown, gets a \`manual\` finding saying what
  to check, never a guessed list. A run is evidence too: when \`.harden/knowledge.yaml\` (written by \`harden verify
  --save\`) lists \`compose-drop-capabilities\` under the service's \`verified\`, the service stayed healthy with ALL
  dropped and only its \`capAdd\` added back, and it gets exactly that; the finding says it was verified by a run.
- A tag written as a variable does not hide the image: \`nginx:\${NGINX_IMAGE_TAG}\` is matched as nginx.
An existing \`cap_drop\` list (e.g. \`[NET_RAW]\`) gets \`ALL\` appended; an existing \`cap_add\` is kept and only the
missing capabilities are appended. A service that already drops \`ALL\` is left alone (its \`cap_add\` was chosen), and
so is one with \`cap_add: [ALL]\` (reported by compose-dangerous-options). Lists in anchors are edited in the anchor
only when every service using it needs the same entries; otherwise the service gets its own list (with the anchor's
entries, since YAML merge keys override rather than merge).

### Knowledge base

${knowledgeBaseTable(['capAdd'])}

## Why
Docker grants 14 capabilities by default (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP). Most services need none or a few of them after
start-up; each one left is a tool for an attacker (NET_RAW for spoofing, MKNOD for device nodes, DAC_OVERRIDE to ignore
file permissions). Dropping ALL and adding back the known minimum is the standard hardening (seed 003: \`cap_drop: [ALL]\`).

## Example
\`\`\`yaml
services:
  db:
    image: postgres:16
\`\`\`
becomes
\`\`\`yaml
services:
  db:
    image: postgres:16
    cap_drop:
      - ALL
    cap_add:
      - CHOWN
      - DAC_OVERRIDE
      - FOWNER
      - SETGID
      - SETUID
\`\`\`

## Fix safety
Unsafe: a process that needs a capability not listed fails (\`Operation not permitted\`). The list comes from the
knowledge base (what the image's own entrypoint does) or from evidence read from the image and the service; what a
compiled program does after the entrypoint hands over to it cannot be read, so a configuration that makes it bind a
port below 1024 or chown files still needs the capability added by hand. Without evidence the finding is manual.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    return hardeningLookups(file, global, answers);
  },
  run(ctx) {
    const file = ctx.file;
    const all = services(file);
    const results = serviceViews(ctx).filter((v) => !v.skip).map((v) => plan(ctx, v));
    for (const r of results) {
      if (r && 'manual' in r) ctx.report({ range: rangeOf(r.view.svc.keyNode), message: r.manual, fix: { title: 'drop capabilities by hand, after checking what the service needs', safety: 'manual', edits: [] } });
    }
    const planned = results.filter((p): p is Plan => p !== undefined && !('manual' in p));
    // A service extending one that gets the settings in this run inherits them (compose merges cap_drop/cap_add).
    const plans = planned.flatMap((p): Plan[] => {
      const inherited = extendedPlans(p.view.svc, planned);
      if (inherited.length === 0) return [p];
      const add = p.add.filter((c) => !inherited.some((q) => q.add.includes(c)));
      return add.length === 0 ? [] : [{ ...p, add, drop: inherited[0]?.drop ?? p.drop, addDrop: false }];
    });
    const planOf = (s: ComposeService): Plan | undefined => plans.find((p) => p.view.svc.keyNode === s.keyNode);
    const done = new Set<unknown>();
    for (const p of plans) {
      const { svc } = p.view;
      const aliasNote = aliasAnchorNote(ctx, svc, all, (s) => { const q = planOf(s); return q !== undefined && q.add.join() === p.add.join(); }, p.message, done);
      if (aliasNote === undefined) continue;
      let note = aliasNote;
      const edits: Edit[] = [];
      const pairs: [string, NewValue][] = [];
      const dropAdd = listAddition(file, svc, 'cap_drop', p.drop, p.addDrop ? ['ALL'] : [], (owner) => servicesUsing(all, owner).every((s) => planOf(s)?.drop?.value === p.drop?.value), done);
      const capAdd = listAddition(file, svc, 'cap_add', p.capAdd, p.add, (owner) => servicesUsing(all, owner).every((s) => {
        const q = planOf(s);
        return q !== undefined && q.capAdd?.value === p.capAdd?.value && q.add.join() === p.add.join();
      }), done);
      if ('error' in dropAdd || 'error' in capAdd) {
        ctx.report({ range: rangeOf(svc.keyNode), message: `${p.message} Not changed: ${'error' in dropAdd ? dropAdd.error : (capAdd as { error: string }).error}.` });
        continue;
      }
      for (const a of [dropAdd, capAdd]) {
        edits.push(...a.edits);
        pairs.push(...a.pairs);
        note += a.note;
      }
      if (pairs.length) edits.push(insertPairs(file, svc, svc.node, pairs));
      if (edits.length === 0) continue;
      ctx.report({ range: rangeOf(svc.keyNode), message: p.message + note, fix: fix('Drop all capabilities, add back what the image needs', 'unsafe', mergeInsertions(edits)) });
    }
  },
});
