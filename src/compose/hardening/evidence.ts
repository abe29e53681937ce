/**
 * The evidence of src/evidence/ for a compose service: its image config (read from the registry), the entrypoint
 * script read from the image's layers (an `image-file` lookup asked once the config is answered), and the service's
 * own `entrypoint:`, `command:`, `user:` and ports (base file and overrides of the same run).
 */
import type { KeyOf } from '../../engine/lookups.js';
import { isScalar, isSeq } from 'yaml';
import type { Answers, GlobalSettings, ImageConfigAnswer, LookupKey, ParsedFile } from '../../engine/types.js';
import { entrypointFile, entrypointFileKey, gatherEvidence, splitCommand, startedProcess, type ProcessOverrides, type RuntimeEvidence } from '../../evidence/index.js';
import { scalarText } from '../scalars.js';
import { lookup, services, stringItems } from '../services.js';
import { imageConfigKey, readBaseConfig, readImageConfig } from './lookups.js';
import { builtImage, containerPorts, lookupView, serviceImage, type ServiceImage, type ServiceView } from './views.js';

/** A service's `entrypoint:`/`command:` (list or string form) as an argv; undefined when not set or unreadable. */
function argvOf(v: { value: unknown } | undefined, doc: Parameters<typeof stringItems>[0]): string[] | undefined {
  if (!v) return undefined;
  const n = v.value;
  if (isSeq(n)) return stringItems(doc, n).map((e) => e.value);
  if (isScalar(n) && n.value === null) return undefined;
  const s = scalarText(n as never);
  return s === undefined ? undefined : splitCommand(s);
}

/** The service's own entrypoint/command overrides (its own keys, merge sources, extends, override files). */
export function serviceOverrides(view: ServiceView): ProcessOverrides {
  const ep = argvOf(lookupView(view, 'entrypoint'), view.svc.doc);
  const cmd = argvOf(lookupView(view, 'command'), view.svc.doc);
  return { ...(ep ? { entrypoint: ep } : {}), ...(cmd ? { command: cmd } : {}) };
}

/** The `image-file` lookup of the entrypoint script a pulled image starts with, once its image config is answered. */
export function entrypointKey(view: ServiceView, img: ServiceImage, global: GlobalSettings, answers: Answers): KeyOf<'image-file'> | undefined {
  const k = imageConfigKey(img, global);
  if (!k || k.kind !== 'image-config') return undefined;
  const cfg = readImageConfig(img, global, answers);
  if (!('config' in cfg)) return undefined;
  const proc = startedProcess(cfg.config, serviceOverrides(view));
  const f = entrypointFile(proc.argv, cfg.config);
  return f ? entrypointFileKey(img.ref as string, typeof k.platform === 'string' ? k.platform : undefined, f.paths) : undefined;
}

/** Entrypoint-script lookups for the pulled images of a compose file (base-file services; overrides are not followed here). */
export function entrypointLookups(file: ParsedFile, global: GlobalSettings, answers: Answers): LookupKey[] {
  if (file.kind !== 'compose') return [];
  const out = new Map<string, LookupKey>();
  for (const svc of services(file)) {
    if (lookup(svc, 'build') !== undefined) continue;
    const k = entrypointKey({ svc, overrides: [] }, serviceImage(svc), global, answers);
    if (k) out.set(JSON.stringify(k), k);
  }
  return [...out.values()];
}

/** What the evidence says about a service (the shell parser must be loaded: codemods call loadShell() in prepare()). */
export function serviceEvidence(view: ServiceView, img: ServiceImage, global: GlobalSettings, answers: Answers): RuntimeEvidence {
  const cfgRead = readImageConfig(img, global, answers);
  const built = builtImage(img);
  let config: { config: ImageConfigAnswer; describe: string } | undefined;
  if ('config' in cfgRead) config = { config: cfgRead.config, describe: `the image config of \`${img.ref ?? ''}\`${cfgRead.source ? ` (${cfgRead.source})` : ''}` };
  else if (built) {
    const base = readBaseConfig(img, global, answers);
    if (base) {
      // The Dockerfile's own ENTRYPOINT/CMD are not known here: only the base image's user and ports count.
      const { entrypoint: _e, cmd: _c, ...rest } = base.config;
      const user = built.user ?? base.config.user;
      config = { config: { ...rest, ...(user !== undefined ? { user } : {}) }, describe: built.user !== undefined ? `the USER of ${built.spec.shown}` : base.describe };
    } else if (built.user !== undefined) config = { config: { user: built.user }, describe: `the USER of ${built.spec.shown}` };
  }
  const overrides = serviceOverrides(view);
  const ownUser = scalarText(lookupView(view, 'user')?.value);
  let entrypoint: { path: string | null; content: string | null } | { missing: string } | undefined;
  if ('config' in cfgRead) {
    const k = entrypointKey(view, img, global, answers);
    if (k) {
      const a = answers.get(k);
      entrypoint = !a ? { missing: 'not looked up' } : 'error' in a ? { missing: `lookup failed (${a.error.code})` } : a.ok;
    }
  } else if (built) entrypoint = { missing: `it is built here from ${built.spec.shown}` };
  const { published, exposed } = containerPorts(view.svc);
  const ports = [
    ...published.map((port) => ({ port, describe: "the service's `ports:`" })),
    ...exposed.map((port) => ({ port, describe: "the service's `expose:`" })),
  ];
  return gatherEvidence({
    ...(config ? { config } : {}),
    overrides: { ...overrides, entrypointDescribe: "the service's `entrypoint:`", commandDescribe: "the service's `command:`" },
    ...(ownUser !== undefined ? { user: { value: ownUser, describe: "the service's `user:`" } } : {}),
    ...(entrypoint ? { entrypointFile: entrypoint } : {}),
    ports,
  });
}
