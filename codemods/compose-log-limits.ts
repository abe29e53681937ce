/** compose-log-limits: bounded json-file logs (`max-size`, `max-file`) for services that set no logging. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isMap, isScalar } from 'yaml';
import { fix, withHint } from '../src/engine/edits.js';
import { inheritanceClaims, sharedNote, sharer } from '../src/compose/share.js';
import { insertPair, lookupMerged, onceGuard, ownPair, rangeOf, resolveNode, scalarText, services, sharedWhere } from '../src/compose/index.js';
import { partialOverrides } from '../src/compose/hardening.js';

export const composeLogLimits = defineCodemod({
  id: 'compose-log-limits',
  fileKinds: ['compose'],
  summary: 'Services without `logging:` get json-file logs with `max-size`/`max-file`, so logs cannot fill the disk.',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'info',
  sources: ['seed:001', 'kics:logging-not-configured'],
  defaultOptions: { maxSize: '10m', maxFile: '3' },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { maxSize: { type: 'string', pattern: '^[0-9]+[kmg]?$', description: 'Value of `max-size`.' }, maxFile: { type: ['string', 'integer'], pattern: '^[1-9][0-9]*$', minimum: 1, description: 'Value of `max-file` (written quoted: the driver wants a string).' } } },
  docs: `## What it does
For each service with no \`logging:\` (own key, \`<<\` merge sources or same-file \`extends\`), adds at the end of the
service's mapping:
\`\`\`yaml
    logging:
      driver: json-file
      options:
        max-size: 10m
        max-file: "3"
\`\`\`
A service whose \`logging\` uses the \`json-file\` or \`local\` driver explicitly but sets no \`max-size\` gets
\`max-size\`/\`max-file\` added to its \`options\` (creating \`options\` if needed). Logging with another driver, or
with no \`driver\` (the daemon's default, which may not accept these options), is left alone. When \`logging\` comes
from an anchor, the anchor is edited once and no second \`logging\` key is added. When the services of the file that
choose a driver all use one other than \`json-file\`/\`local\` (Mailu's \`driver: journald\`), the services without
\`logging\` get an info finding and no block: json-file for them would split the stack's logs. In an override file
(\`docker-compose.nginx.yml\`, \`compose.prod.yaml\`), a service with neither \`image\`, \`build\` nor \`extends\` only
adjusts one defined elsewhere: it gets nothing, since the file defining the service gets the block (a second copy in
every override would be read twice).

When three or more services of one document get the block, it is written once, as a top-level extension before
\`services:\`, and each service references it (src/compose/share.ts):
\`\`\`yaml
x-logging: &default-logging
  driver: json-file
  options:
    max-size: 10m
    max-file: "3"

services:
  app:
    image: app
    logging: *default-logging
\`\`\`
An anchored node the file already has with the same content is referenced instead, for any number of services. No
extension is written when the file's \`version:\` is older than 2.1 or 3.4 (those formats reject top-level \`x-\`
keys), when the root is a flow mapping, or across files: an alias only works inside one YAML document, so an
override or \`extends\` file gets its own block. A service whose \`logging\` is an alias has logging: a second run
changes nothing.

## Why
Docker's default json-file driver keeps container logs forever; a chatty or crash-looping container fills the host
disk. Rotation with a bounded size is the usual fix (compose-spec \`logging\`).

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
    logging:
      driver: json-file
      options:
        max-size: 10m
        max-file: "3"
\`\`\`

## Fix safety
Two kinds of fix, with different safety:

- **A service that sets no logging gets a whole block: unsafe.** A service without \`logging\` logs with the driver
  the Docker daemon is configured with (\`log-driver\` in \`daemon.json\`: \`journald\`, \`fluentd\`, \`syslog\`,
  \`gelf\`, \`awslogs\`…). Writing \`driver: json-file\` overrides it: on a host that ships logs centrally they stop
  arriving there, and \`docker logs\`/the aggregator an existing deployment depends on changes. harden cannot see the
  daemon's configuration, so the fix needs \`--unsafe\`, and its message says so.
  Writing only \`options:\` (\`max-size\`/\`max-file\`) without a driver is not a safe alternative: the Docker daemon
  fills an empty driver with its default and then validates the options against that driver
  (\`mergeAndVerifyLogConfig\` → \`logger.ValidateLogOpts\` in moby's \`daemon/logs.go\`); \`journald\` accepts only
  \`tag\`, \`labels\`, \`env\` (and their \`-regex\` forms) and the container is not created
  (\`unknown log opt 'max-file' for journald log driver\`, a failure users of several public stacks have reported).
  So the codemod writes the driver explicitly, and leaves the choice to the reviewer.
- **\`max-size\`/\`max-file\` added to a logging block whose driver is explicitly \`json-file\` or \`local\`: safe.** Both
  drivers take these options (Docker's json-file and local driver documentation); the driver does not change, only
  how much old log is kept (older logs beyond 3 × 10 MB are dropped). A block with no \`driver\` (the daemon's
  default) or another driver is left alone, for the reason above.
The shared form (\`x-\` extension + aliases) is the same configuration once the file is read: YAML aliases are
resolved by the parser, before Compose sees the service, and the extension is written only where the file format
accepts top-level \`x-\` keys (fixtures pass \`docker-compose config -q\`).
`,
  run(ctx) {
    const file = ctx.file;
    const maxSize = typeof ctx.options.maxSize === 'string' ? ctx.options.maxSize : '10m';
    const maxFile = String(typeof ctx.options.maxFile === 'string' || typeof ctx.options.maxFile === 'number' ? ctx.options.maxFile : '3');
    const once = onceGuard();
    const value = { driver: 'json-file', options: { 'max-size': maxSize, 'max-file': maxFile } };
    const all = [...services(file)];
    // A partial definition in an override file gets nothing: the file defining the service does.
    const skipped = partialOverrides(file);
    // The drivers the file's services choose explicitly: when they all ship logs elsewhere (journald, syslog, fluentd),
    // json-file for the rest would split the stack's logs; those services are told so instead of changed.
    const chosen = new Map<string, string[]>();
    for (const svc of all) {
      const l = lookupMerged(svc, 'logging')[0]?.value;
      const d = isMap(l) ? scalarText(resolveNode(svc.doc, ownPair(l, 'driver')?.value)) : undefined;
      if (d !== undefined && d !== 'none' && !d.includes('$')) chosen.set(d, [...(chosen.get(d) ?? []), svc.name]);
    }
    const elsewhere = chosen.size > 0 && !chosen.has('json-file') && !chosen.has('local') ? [...chosen] : undefined;
    // Services that set no logging at all get the same block: shared as one `x-logging` extension when several do.
    const bare = elsewhere ? [] : all.filter((svc) => lookupMerged(svc, 'logging').length === 0 && !skipped.has(svc.node));
    const share = sharer(file, { key: 'logging', value, extension: 'x-logging', anchor: 'default-logging' }, bare.map((svc) => ({ doc: svc.doc, map: svc.node })));
    const claimsOf = inheritanceClaims('logging', bare);
    for (const svc of all) {
      const found = lookupMerged(svc, 'logging');
      if (found.length === 0) {
        if (skipped.has(svc.node) || !once(svc.node)) continue;
        if (elsewhere) {
          const which = elsewhere.map(([d, names]) => `\`${d}\` (${names.join(', ')})`).join(', ');
          ctx.report({
            range: rangeOf(svc.keyNode),
            severity: 'info',
            message: `Service \`${svc.name}\` sets no logging, and the services of this file that choose a log driver use ${which}: json-file here would split the stack's logs between drivers, so none is added. Give it the same \`logging:\` as them by hand if its logs belong there too.`,
          });
          continue;
        }
        const shared = svc.alias ? ` Added to the anchor \`&${svc.alias.source}\` it is an alias of.` : '';
        const block = share(svc.doc, svc.node);
        ctx.report({
          range: rangeOf(svc.keyNode),
          message: `Service \`${svc.name}\` sets no logging: with Docker's default json-file driver its logs grow without limit. Rotate them (max-size ${maxSize}, max-file ${maxFile}).${shared}${sharedNote(block, 'logging')} Unsafe: \`driver: json-file\` overrides a log driver the Docker daemon may be configured with (journald, fluentd… in daemon.json); options without a driver fail on such a daemon (\`unknown log opt\`).`,
          fix: withHint(fix('Add bounded json-file logging', 'unsafe', block?.edits ?? [insertPair(file, svc.doc, svc.node, 'logging', value)]), 'claims', claimsOf(svc)),
        });
        continue;
      }
      const first = found[0];
      const logging = first?.value;
      if (!first || !isMap(logging) || !once(logging)) continue;
      const where = sharedWhere(first);
      const inShared = where ? ` (the logging settings are in ${where}, edited there)` : '';
      const driver = scalarText(resolveNode(svc.doc, ownPair(logging, 'driver')?.value));
      if (driver !== 'json-file' && driver !== 'local') continue;
      const optPair = ownPair(logging, 'options');
      const opts = optPair ? resolveNode(svc.doc, optPair.value) : null;
      if (isMap(opts)) {
        if (ownPair(opts, 'max-size')) continue;
        const add: Record<string, string> = { 'max-size': maxSize };
        if (!ownPair(opts, 'max-file')) add['max-file'] = maxFile;
        const edits = Object.entries(add).map(([k, v]) => insertPair(file, svc.doc, opts, k, v));
        // Both insertions land at the same offset: merge them into one edit, in order.
        const edit = { start: edits[0]?.start ?? 0, end: edits[0]?.end ?? 0, text: edits.map((e) => e.text).join('') };
        ctx.report({
          range: rangeOf(first.keyNode),
          message: `Service \`${svc.name}\` logs with ${driver} without max-size${inShared}: the logs grow without limit.`,
          fix: fix('Add max-size/max-file', 'safe', [edit]),
        });
      } else if (!optPair || (isScalar(opts) && opts.value === null) || opts === null) {
        if (optPair) continue;
        ctx.report({
          range: rangeOf(first.keyNode),
          message: `Service \`${svc.name}\` logs with ${driver} without max-size${inShared}: the logs grow without limit.`,
          fix: fix('Add max-size/max-file', 'safe', [insertPair(file, svc.doc, logging, 'options', { 'max-size': maxSize, 'max-file': maxFile })]),
        });
      }
    }
  },
});
