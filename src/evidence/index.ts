/**
 * Evidence of what a container needs at run time, for every runtime-hardening front end (compose services, `docker
 * run` lines, Kubernetes pods, Dockerfiles):
 *
 *   const proc = startedProcess(imageConfig, { entrypoint, command });     // what it runs
 *   const file = entrypointFile(proc.argv, imageConfig);                   // the script to read from the layers
 *   lookups: entrypointFileKey(ref, platform, file.paths)                  // an `image-file` lookup
 *   const ev = gatherEvidence({ config, overrides, user, entrypointFile: answer, ports });   // needs loadShell()
 *   capabilityNeeds(ev)  → { decided, caps, because } | { decided: false, check }
 *   writesOutside(ev.writes, isWritable) → what a read-only root would break
 *   privilegeGainNeeds(ev, { kb }) → whether no-new-privileges can break it
 *
 * Nothing here does I/O: the image config and the entrypoint file arrive as lookup answers.
 */
export { entrypointFile, entrypointFileKey, inlineScripts, splitCommand, startedProcess, withoutInit, type ProcessOverrides, type StartedProcess } from './process.js';
export { readScript, wordPath, type FileWrite, type OwnershipChange, type PrivilegeDrop, type ScriptEvidence, type ScriptFact, type ScriptRead, type SetuidUse } from './script.js';
export { capabilityNeeds, gatherEvidence, isRootUser, privilegeGainNeeds, SCRATCH_DIRS, writesOutside, type CapabilityNeeds, type PrivilegeGainInput, type PrivilegeGainNeeds, type Cited, type EvidenceInput, type RuntimeEvidence } from './needs.js';
