/**
 * The explicit, sorted registry of codemods. A test fails if a module in codemods/ is not registered here,
 * or if a registered codemod has no fixtures or no docs.
 */
import type { Codemod } from '../src/engine/types.js';
import { addDownloadChecksum } from './add-download-checksum.js';
import { composeBindLocalhost } from './compose-bind-localhost.js';
import { composeDangerousOptions } from './compose-dangerous-options.js';
import { composeDropCapabilities } from './compose-drop-capabilities.js';
import { composeEnvFileSecrets } from './compose-env-file-secrets.js';
import { composeHealthcheck } from './compose-healthcheck.js';
import { composeLogLimits } from './compose-log-limits.js';
import { composeNetworkIsolation } from './compose-network-isolation.js';
import { composeNoNewPrivileges } from './compose-no-new-privileges.js';
import { composeReadOnly } from './compose-read-only.js';
import { composeRequireSecretVars } from './compose-require-secret-vars.js';
import { composeResourceLimits } from './compose-resource-limits.js';
import { composeSecrets } from './compose-secrets.js';
import { dockerRunDangerousOptions } from './docker-run-dangerous-options.js';
import { dockerRunDropCapabilities } from './docker-run-drop-capabilities.js';
import { dockerRunNoNewPrivileges } from './docker-run-no-new-privileges.js';
import { dockerRunReadOnly } from './docker-run-read-only.js';
import { dockerRunResourceLimits } from './docker-run-resource-limits.js';
import { dockerRunSecretEnv } from './docker-run-secret-env.js';
import { dockerfileAddToCopy } from './dockerfile-add-to-copy.js';
import { dockerfileAptHygiene } from './dockerfile-apt-hygiene.js';
import { dockerfileCacheBustArg } from './dockerfile-cache-bust-arg.js';
import { dockerfileHealthcheck } from './dockerfile-healthcheck.js';
import { dockerfileNonRootUser } from './dockerfile-non-root-user.js';
import { dockerfileSecretEnv } from './dockerfile-secret-env.js';
import { dockerfileSetEExitCapture } from './dockerfile-set-e-exit-capture.js';
import { dockerfileSudoNopasswd } from './dockerfile-sudo-nopasswd.js';
import { k8sDangerousOptions } from './k8s-dangerous-options.js';
import { k8sNoPrivilegeEscalation } from './k8s-no-privilege-escalation.js';
import { k8sResourceLimits } from './k8s-resource-limits.js';
import { k8sSecurityContext } from './k8s-security-context.js';
import { lockApkAdd } from './lock-apk-add.js';
import { lockAptInstall } from './lock-apt-install.js';
import { lockNpmGlobal } from './lock-npm-global.js';
import { lockPipInstall } from './lock-pip-install.js';
import { npmInstallToCi } from './npm-install-to-ci.js';
import { pinImageDigest } from './pin-image-digest.js';
import { shellPipefail } from './shell-pipefail.js';
import { sourceReadSecretFiles } from './source-read-secret-files.js';

export const codemods: readonly Codemod[] = [
  // keep sorted by id
  addDownloadChecksum,
  composeBindLocalhost,
  composeDangerousOptions,
  composeDropCapabilities,
  composeEnvFileSecrets,
  composeHealthcheck,
  composeLogLimits,
  composeNetworkIsolation,
  composeNoNewPrivileges,
  composeReadOnly,
  composeRequireSecretVars,
  composeResourceLimits,
  composeSecrets,
  dockerRunDangerousOptions,
  dockerRunDropCapabilities,
  dockerRunNoNewPrivileges,
  dockerRunReadOnly,
  dockerRunResourceLimits,
  dockerRunSecretEnv,
  dockerfileAddToCopy,
  dockerfileAptHygiene,
  dockerfileCacheBustArg,
  dockerfileHealthcheck,
  dockerfileNonRootUser,
  dockerfileSecretEnv,
  dockerfileSetEExitCapture,
  dockerfileSudoNopasswd,
  k8sDangerousOptions,
  k8sNoPrivilegeEscalation,
  k8sResourceLimits,
  k8sSecurityContext,
  lockApkAdd,
  lockAptInstall,
  lockNpmGlobal,
  lockPipInstall,
  npmInstallToCi,
  pinImageDigest,
  shellPipefail,
  sourceReadSecretFiles,
];

export function codemodById(id: string): Codemod | undefined {
  return codemods.find((c) => c.id === id);
}
