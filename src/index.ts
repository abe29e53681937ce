/**
 * harden's public API.
 *
 *   import { fix, check } from 'harden-containers';
 *   const result = await fix({ paths: ['.'], write: false });
 */
export { fix, check, hasProcessingErrors, presetCodemods, UsageError } from './api.js';
export type { FixOptions, HardenOptions, HardenResult, Problem } from './api.js';
export type { FileResult, FileError } from './engine/run.js';
export type {
  Answer, Answers, Codemod, CodemodContext, CodemodOptions, Edit, FileKind, FileOf, Finding, Fix, GlobalSettings, JsonSchema, LookupKey, ParsedFile,
  Preset, Range, Report, Resolver, Safety, Severity,
} from './engine/types.js';
export { defineCodemod } from './engine/define.js';
export type { CodemodSpec } from './engine/define.js';
export { OptionsError } from './engine/options.js';
export { unifiedDiff } from './engine/diff.js';
export { codemods } from '../codemods/index.js';
export { toSarif } from './output/sarif.js';
