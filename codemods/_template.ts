/**
 * Copy this file to start a codemod, then register it in codemods/index.ts and add fixtures/<id>/<case>/.
 * A codemod is pure: it reads ctx.file (parsed), ctx.answers (resolved lookups) and ctx.options, and reports.
 *
 * Declare it with `defineCodemod`: `ctx.file` (and the `file` of `lookups`) is then the parsed type of `fileKinds`
 * (here a `ParsedDockerfile`: `file.ast` without a cast or a kind check), and `ctx.options` the options type given
 * as the second type argument.
 *
 * Lookups: ask in `lookups()` with keys of the kinds declared in src/engine/lookups.ts (`lookupKey(kind, fields)`),
 * read the answer in `run()` with `ctx.answers.get(key)`: it is typed by the key's kind (here an `ImageConfigAnswer`),
 * no cast. A lookup not answered yet is `undefined`; a failed one is `{ error }`: say so, do not guess.
 * Options: declare them in `optionsSchema`, the one source for them: `.harden.yaml` validation and
 * schema/harden.schema.json are built from it, options given any other way (the API, fixtures' options.json) are
 * checked against it before a run, an unknown key is an error naming the codemod and the key, and `defaultOptions`
 * may hold only keys it declares. Give each option a `description`: the page's `## Options` section (docs/codemods/,
 * `harden explain`) is generated from the schema and `defaultOptions` (src/engine/codemod-docs.ts), so `docs` has none.
 */
import { defineCodemod } from '../src/engine/define.js';
import { fix, replace } from '../src/engine/edits.js';
import { isOk, lookupKey, type KeyOf } from '../src/engine/lookups.js';
import type { GlobalSettings, ParsedDockerfile } from '../src/engine/types.js';

/** The first `FROM` image of a Dockerfile, as written (the real codemods read src/dockerfile/images.ts). */
function baseImage(file: ParsedDockerfile): string | undefined {
  return /^FROM\s+(?:--\S+\s+)*(\S+)/im.exec(file.text)?.[1];
}

const configKey = (ref: string, global: GlobalSettings): KeyOf<'image-config'> =>
  lookupKey('image-config', { ref, ...(global.platform ? { platform: global.platform } : {}) });

/** The options `optionsSchema` declares, as `ctx.options` has them (defaults merged in). */
interface TemplateOptions {
  keyword?: string;
}

export const templateCodemod = defineCodemod<'dockerfile', TemplateOptions>({
  id: 'template-codemod',
  fileKinds: ['dockerfile'],
  summary: 'One line saying what it changes.',
  safety: 'safe',
  network: true,
  defaultOptions: { keyword: 'MAINTAINER' },
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { keyword: { type: 'string', description: 'The instruction to replace.' } },
  },
  docs: `## What it does\n…\n\n## Why\n…\n\n## Example\n…\n\n## Fix safety\n…\n`,
  lookups(file, _options, global) {
    const ref = baseImage(file);
    return ref ? [configKey(ref, global)] : [];
  },
  run(ctx) {
    const needle = ctx.options.keyword ?? 'MAINTAINER';
    const at = ctx.file.text.indexOf(needle);
    if (at < 0) return;
    const range = { start: at, end: at + needle.length };
    const ref = baseImage(ctx.file);
    const config = ref ? ctx.answers.get(configKey(ref, ctx.global)) : undefined;
    // The evidence the message names: the base image's user, read from its config.
    const user = isOk(config) ? (config.ok.user ?? 'root') : undefined;
    const why = user !== undefined ? ` (the base image ${ref} runs as ${user || 'root'})` : '';
    ctx.report({ range, message: `Example finding${why}.`, fix: fix('Example fix', 'safe', [replace(range, 'LABEL')]) });
  },
});
