/**
 * `defineCodemod`: the typed way to write a codemod. It checks nothing a test would not, but it lets the compiler do
 * the checking:
 *
 * - `ctx.file` (and the `file` of `lookups`) is the parsed type of the declared `fileKinds`: a compose codemod reads a
 *   `ParsedCompose`, a Dockerfile codemod a `ParsedDockerfile`, a codemod of both kinds either, so no cast or
 *   kind guard is needed (the engine only hands a codemod files of its kinds, and the returned codemod refuses others);
 * - `ctx.options` has the type the codemod states (`defineCodemod<'compose', { address?: string }>(…)`), and the
 *   declared `optionsSchema` is the one source for what a configuration may set: `.harden.yaml` validation and
 *   schema/harden.schema.json are built from it, the engine checks options given any other way against it
 *   (src/engine/options.ts), and `defaultOptions` must name only options the schema declares.
 */
import { schemaProblems } from './options.js';
import type { Answers, Codemod, CodemodContext, CodemodOptions, FileKind, FileOf, GlobalSettings, LookupKey } from './types.js';

/** A codemod as written with `defineCodemod`: the engine's `Codemod`, with `file` and `options` typed. */
export interface CodemodSpec<K extends FileKind, O extends object>
  extends Omit<Codemod, 'fileKinds' | 'defaultOptions' | 'lookups' | 'run'> {
  fileKinds: readonly K[];
  /** Default options: only keys `optionsSchema` declares. */
  defaultOptions?: Readonly<Partial<NoInfer<O>>>;
  lookups?(file: FileOf<K>, options: Readonly<O>, global: GlobalSettings, answers: Answers): Iterable<LookupKey>;
  run(ctx: CodemodContext<FileOf<K>, O>): void;
}

/**
 * Declare a codemod. `K` (the file kinds) is inferred from `fileKinds`; give `O` (the options type) explicitly
 * when the codemod takes options: `defineCodemod<'dockerfile', TemplateOptions>({ … })`.
 */
export function defineCodemod<const K extends FileKind, O extends object = CodemodOptions>(spec: CodemodSpec<NoInfer<K>, O> & { fileKinds: readonly K[] }): Codemod {
  const problems = spec.defaultOptions ? schemaProblems(spec.optionsSchema, spec.defaultOptions) : [];
  if (problems.length) throw new Error(`codemod ${spec.id}: its defaultOptions do not match its optionsSchema: ${problems.join('; ')}`);
  const kinds: readonly FileKind[] = spec.fileKinds;
  const ofKind = (kind: FileKind): void => {
    if (!kinds.includes(kind)) throw new Error(`codemod ${spec.id} handles ${kinds.join(', ')} files, not ${kind}`);
  };
  const { lookups, run } = spec;
  return {
    ...spec,
    fileKinds: kinds,
    ...(lookups
      ? {
          lookups: (file, options, global, answers) => {
            ofKind(file.kind);
            return lookups.call(spec, file as FileOf<K>, options as Readonly<O>, global, answers);
          },
        }
      : {}),
    run: (ctx) => {
      ofKind(ctx.file.kind);
      run.call(spec, ctx as unknown as CodemodContext<FileOf<K>, O>);
    },
  } satisfies Codemod;
}
