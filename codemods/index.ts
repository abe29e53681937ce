/**
 * The explicit, sorted registry of codemods. A test fails if a module in codemods/ is not registered here,
 * or if a registered codemod has no fixtures or no docs.
 */
import type { Codemod } from '../src/engine/types.js';
import { composeEnvFileSecrets } from './compose-env-file-secrets.js';
import { composeSecrets } from './compose-secrets.js';
import { dockerfileSecretEnv } from './dockerfile-secret-env.js';
import { sourceReadSecretFiles } from './source-read-secret-files.js';

export const codemods: readonly Codemod[] = [
  // keep sorted by id
  composeEnvFileSecrets,
  composeSecrets,
  dockerfileSecretEnv,
  sourceReadSecretFiles,
];

export function codemodById(id: string): Codemod | undefined {
  return codemods.find((c) => c.id === id);
}
